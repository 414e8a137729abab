package face

import (
	"encoding/json"
	"image"
	"os"
	"path/filepath"
	"testing"

	"animeface/internal/testdata"
)

func animeFace(t testing.TB) string {
	return filepath.Join(testdata.Shared(t), "cascades", "lbpcascade_animeface.xml")
}

func detectFile(t *testing.T, d *Detector, path string) []image.Rectangle {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Open(data, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	boxes, err := d.Detect(p.Pixels)
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
