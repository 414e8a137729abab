package face

import (
	"encoding/json"
	"image"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"gocv.io/x/gocv"

	"animeface/internal/testdata"
)

func animeFace(t testing.TB) string {
	return filepath.Join(testdata.Shared(t), "cascades", "lbpcascade_animeface.xml")
}

// openFile opens the picture at path; the test closes it.
func openFile(t *testing.T, path string) *Picture {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Open(data, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func detectFile(t *testing.T, d *Detector, path string) []image.Rectangle {
	t.Helper()
	boxes, err := d.Detect(openFile(t, path).Pixels)
	if err != nil {
		t.Fatal(err)
	}
	return boxes
}

func iou(a, b image.Rectangle) float64 {
	in := a.Intersect(b)
	if in.Empty() {
		return 0
	}
	i := float64(in.Dx() * in.Dy())
	return i / (float64(a.Dx()*a.Dy()+b.Dx()*b.Dy()) - i)
}

// TestDetectHysts checks the cascade against 38 reference boxes from
// another detector: it matches 35 at IoU >= 0.3 and finds 37 faces.
func TestDetectHysts(t *testing.T) {
	dir := filepath.Join(testdata.Shared(t), "data", "illustrations", "hysts")
	raw, err := os.ReadFile(filepath.Join(dir, "boxes.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref map[string][][4]int
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	d, err := NewDetector(animeFace(t), DefaultSettings)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	got := detectFile(t, d, filepath.Join(dir, "input.jpg"))
	used := make([]bool, len(got))
	matched := 0
	for _, b := range ref["input.jpg"] {
		want := image.Rect(b[0], b[1], b[0]+b[2], b[1]+b[3])
		for i, g := range got {
			if !used[i] && iou(g, want) >= 0.3 {
				used[i] = true
				matched++
				break
			}
		}
	}
	if len(ref["input.jpg"]) != 38 {
		t.Fatalf("boxes.json has %d boxes, want 38", len(ref["input.jpg"]))
	}
	if matched < 35 {
		t.Errorf("matched %d of 38 reference boxes at IoU >= 0.3, want >= 35", matched)
	}
	if len(got) != 37 {
		t.Errorf("found %d faces, want 37 (the reference pipeline's count)", len(got))
	}
	t.Logf("found %d faces, matched %d of 38", len(got), matched)
}

// TestDetectGrapeot checks the counts the reference pipeline finds, among
// them none on a head seen from behind (164032).
func TestDetectGrapeot(t *testing.T) {
	dir := filepath.Join(testdata.Shared(t), "data", "illustrations", "grapeot")
	d, err := NewDetector(animeFace(t), DefaultSettings)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	want := map[string]int{"112032.jpg": 1, "119032.jpg": 0, "164032.jpg": 0,
		"204032.jpg": 1, "57032.jpg": 2}
	for name, n := range want {
		t.Run(name, func(t *testing.T) {
			if got := detectFile(t, d, filepath.Join(dir, name)); len(got) != n {
				t.Errorf("%d faces %v, want %d", len(got), got, n)
			}
		})
	}
}

func TestSquare(t *testing.T) {
	img := image.Rect(0, 0, 200, 100)
	tests := []struct {
		name   string
		box    image.Rectangle
		margin float64
		bounds image.Rectangle
		want   image.Rectangle
	}{
		{"inside", image.Rect(80, 40, 100, 60), 0.5, img, image.Rect(70, 30, 110, 70)},
		{"no margin", image.Rect(80, 40, 100, 60), 0, img, image.Rect(80, 40, 100, 60)},
		{"wide box squared on its long side", image.Rect(80, 40, 120, 60), 0, img,
			image.Rect(80, 30, 120, 70)},
		{"shifted right off the left edge", image.Rect(0, 40, 20, 60), 0.5, img,
			image.Rect(0, 30, 40, 70)},
		{"shifted up off the bottom", image.Rect(80, 85, 100, 100), 0.5, img,
			image.Rect(70, 60, 110, 100)},
		{"shifted left off the right edge", image.Rect(190, 40, 200, 60), 0.25, img,
			image.Rect(170, 35, 200, 65)},
		{"taller than the image: covers its height", image.Rect(20, 10, 100, 90), 0.25, img,
			image.Rect(0, -10, 120, 110)},
		{"taller than the image at its edge", image.Rect(0, 0, 100, 100), 0.25, img,
			image.Rect(0, -25, 150, 125)},
		{"larger both ways: covers the image", image.Rect(0, 0, 200, 100), 0.25, img,
			image.Rect(-50, -100, 250, 200)},
		{"offset bounds", image.Rect(10, 10, 20, 20), 0.5, image.Rect(10, 10, 60, 60),
			image.Rect(10, 10, 30, 30)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Square(tt.box, tt.margin, tt.bounds); got != tt.want {
				t.Errorf("Square(%v, %v, %v) = %v, want %v",
					tt.box, tt.margin, tt.bounds, got, tt.want)
			}
		})
	}
}

// TestDetectAtLeast shrinks the hysts illustration (faces 88 to 384 pixels
// wide) so that some of its faces fall below 46 pixels, and checks that a
// search from the cascade's window keeps exactly what a search from 46
// finds, and reports as small exactly the smaller faces of the first.
func TestDetectAtLeast(t *testing.T) {
	const keep = 46
	p := openFile(t, testdata.Path(t, "data", "illustrations", "hysts", "input.jpg"))
	small := gocv.NewMat()
	defer small.Close()
	gocv.Resize(p.Pixels, &small, image.Pt(768, 768), 0, 0, gocv.InterpolationArea)

	detector := func(minSize int) *Detector {
		s := DefaultSettings
		s.MinSize = minSize
		d, err := NewDetector(animeFace(t), s)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		return d
	}
	all, err := detector(0).Detect(small)
	if err != nil {
		t.Fatal(err)
	}
	from46, err := detector(keep).Detect(small)
	if err != nil {
		t.Fatal(err)
	}
	kept, below, err := detector(0).DetectAtLeast(small, keep)
	if err != nil {
		t.Fatal(err)
	}

	if !slices.Equal(kept, from46) {
		t.Errorf("kept %v,\nwant the search from %d: %v", kept, keep, from46)
	}
	var want []image.Rectangle
	same := 0 // small boxes that are a kept face
	for _, b := range all {
		if b.Dx() >= keep && b.Dy() >= keep {
			continue
		}
		c := image.Pt((b.Min.X+b.Max.X)/2, (b.Min.Y+b.Max.Y)/2)
		if slices.ContainsFunc(from46, func(k image.Rectangle) bool { return c.In(k) }) {
			same++
			continue
		}
		want = append(want, b)
	}
	if !slices.Equal(below, want) {
		t.Errorf("small %v,\nwant %v", below, want)
	}
	// The shrunk picture must put faces on both sides of 46, and one face
	// in both searches, or the test shows nothing.
	if len(kept) < 20 || len(below) < 3 || same < 1 {
		t.Errorf("%d kept, %d small, %d small boxes of kept faces: want at least "+
			"20, 3 and 1", len(kept), len(below), same)
	}
	t.Logf("%d found from the window, %d kept, %d small, %d small boxes of kept faces",
		len(all), len(kept), len(below), same)
}
