package montage

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

func solid(w, h int, c color.NRGBA) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return img
}

func TestGridLayout(t *testing.T) {
	red := color.NRGBA{255, 0, 0, 255}
	blue := color.NRGBA{0, 0, 255, 255}
	tests := []struct {
		name       string
		n, cols    int
		wantW      int
		wantH      int
		blueCellAt image.Point // top-left pixel of the last image
	}{
		{"one row", 3, 4, 1 + 3*9, 1 + 9, image.Pt(1+2*9, 1)},
		{"two rows", 5, 3, 1 + 3*9, 1 + 2*9, image.Pt(1+1*9, 1+9)},
		{"single", 1, 8, 1 + 9, 1 + 9, image.Pt(1, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			images := make([]image.Image, tt.n)
			for i := range images {
				images[i] = solid(8, 8, red)
			}
			images[tt.n-1] = solid(8, 8, blue)
			got := Grid(images, tt.cols, 1)
			if b := got.Bounds(); b.Dx() != tt.wantW || b.Dy() != tt.wantH {
				t.Fatalf("size %dx%d, want %dx%d", b.Dx(), b.Dy(), tt.wantW, tt.wantH)
			}
			p := tt.blueCellAt
			if c := got.NRGBAAt(p.X, p.Y); c != blue {
				t.Errorf("pixel at %v = %v, want blue", p, c)
			}
			if c := got.NRGBAAt(0, 0); c != Background {
				t.Errorf("gap pixel = %v, want background", c)
			}
		})
	}
}

func TestWritePNGRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "grid.png")
	want := Grid([]image.Image{solid(4, 4, color.NRGBA{1, 2, 3, 255}), nil}, 2, 2)
	if err := WritePNG(path, want); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if got.Bounds() != want.Bounds() {
		t.Errorf("bounds %v, want %v", got.Bounds(), want.Bounds())
	}
}
