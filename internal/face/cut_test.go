package face

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/png"
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

// TestPictureOnWhite checks that transparent pixels come out white down
// every decoding path: OpenCV with alpha (8-bit PNG), OpenCV without it
// then Go (16-bit PNG), and Go alone (GIF).
func TestPictureOnWhite(t *testing.T) {
	rgba64 := image.NewNRGBA64(image.Rect(0, 0, 80, 60))
	rgba64.SetNRGBA64(40, 30, color.NRGBA64{R: 0xffff, A: 0xffff})
	rgba := image.NewNRGBA(image.Rect(0, 0, 80, 60))
	rgba.SetNRGBA(40, 30, color.NRGBA{R: 255, A: 255})
	pal := image.NewPaletted(image.Rect(0, 0, 80, 60),
		color.Palette{color.Transparent, color.NRGBA{R: 255, A: 255}})
	pal.SetColorIndex(40, 30, 1)
	images := map[string]image.Image{"png8": rgba, "png16": rgba64, "gif": pal}

	for name, img := range images {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			var err error
			if name == "gif" {
				err = gif.Encode(&buf, img, nil)
			} else {
				err = png.Encode(&buf, img)
			}
			if err != nil {
				t.Fatal(err)
			}
			p, err := Open(buf.Bytes(), 0)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			faces, err := p.Cut([]image.Rectangle{image.Rect(0, 0, 80, 80)}, 80)
			if err != nil {
				t.Fatal(err)
			}
			white, red := color.NRGBA{255, 255, 255, 255}, color.NRGBA{255, 0, 0, 255}
			if c := faces[0].NRGBAAt(0, 0); c != white {
				t.Errorf("transparent pixel = %v, want white", c)
			}
			if c := faces[0].NRGBAAt(40, 30); c != red {
				t.Errorf("opaque red pixel = %v, want red", c)
			}
		})
	}
}

// TestPictureCMYK checks OpenCV's reading of an Adobe (inverted) CMYK
// JPEG: red on the left, light blue on the right, as drawn.
func TestPictureCMYK(t *testing.T) {
	p := openFile(t, "../imagefile/testdata/cmyk.jpg")
	faces, err := p.Cut([]image.Rectangle{image.Rect(0, 0, 24, 24)}, 24)
	if err != nil {
		t.Fatal(err)
	}
	near := func(c, w color.NRGBA) bool {
		d := func(a, b uint8) bool { return int(a)-int(b) < 12 && int(b)-int(a) < 12 }
		return d(c.R, w.R) && d(c.G, w.G) && d(c.B, w.B)
	}
	if c := faces[0].NRGBAAt(2, 2); !near(c, color.NRGBA{255, 0, 0, 255}) {
		t.Errorf("left = %v, want red", c)
	}
	if c := faces[0].NRGBAAt(20, 2); !near(c, color.NRGBA{120, 180, 255, 255}) {
		t.Errorf("right = %v, want light blue", c)
	}
}
