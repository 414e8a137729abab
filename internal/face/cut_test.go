package face

import (
	"image"
	"image/color"
	"testing"

	"gocv.io/x/gocv"

	"animeface/internal/imagefile/imagefiletest"
)

func TestCutPadsWithWhite(t *testing.T) {
	src := imagefiletest.Pattern(40, 20)
	m, err := FromNRGBA(src)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	// A 40×40 square over a 40×20 picture: 10 rows of padding above and below.
	got, err := CutMat(m, image.Rect(0, -10, 40, 30), 40)
	if err != nil {
		t.Fatal(err)
	}
	white := color.NRGBA{255, 255, 255, 255}
	for _, p := range []image.Point{{0, 0}, {39, 9}, {5, 30}, {39, 39}} {
		if c := got.NRGBAAt(p.X, p.Y); c != white {
			t.Errorf("padding at %v = %v, want white", p, c)
		}
	}
	for _, p := range []image.Point{{0, 10}, {17, 15}, {39, 29}} {
		if c, want := got.NRGBAAt(p.X, p.Y), src.NRGBAAt(p.X, p.Y-10); c != want {
			t.Errorf("pixel %v = %v, want the source's %v", p, c, want)
		}
	}
}

func TestCutResizes(t *testing.T) {
	src := imagefiletest.Pattern(300, 300)
	m, err := FromNRGBA(src)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for _, size := range []int{64, 400} {
		got, err := CutMat(m, image.Rect(50, 50, 250, 250), size)
		if err != nil {
			t.Fatal(err)
		}
		if got.Rect != image.Rect(0, 0, size, size) {
			t.Fatalf("size %d: got %v", size, got.Rect)
		}
		// The gradient's centre keeps its colour whatever the scale.
		c, want := got.NRGBAAt(size/2, size/2), src.NRGBAAt(150, 150)
		if d := int(c.R) - int(want.R); d < -3 || d > 3 {
			t.Errorf("size %d: centre %v, want about %v", size, c, want)
		}
	}
}

func TestOpenCVThreads(t *testing.T) {
	old := OpenCVThreads()
	defer SetOpenCVThreads(old)
	SetOpenCVThreads(1)
	if n := OpenCVThreads(); n != 1 {
		t.Errorf("OpenCVThreads() = %d after SetOpenCVThreads(1)", n)
	}
}

func TestCutCompositesAlphaOnWhite(t *testing.T) {
	// One row: opaque red, half-transparent red, transparent (black).
	m, err := gocv.NewMatFromBytes(1, 3, gocv.MatTypeCV8UC4,
		[]byte{0, 0, 255, 255, 0, 0, 255, 128, 0, 0, 0, 0})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	got, err := CutMat(m, image.Rect(0, -1, 3, 2), 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []color.NRGBA{{255, 0, 0, 255}, {255, 127, 127, 255}, {255, 255, 255, 255}}
	for x, w := range want {
		if c := got.NRGBAAt(x, 1); c != w {
			t.Errorf("pixel %d = %v, want %v", x, c, w)
		}
	}
}
