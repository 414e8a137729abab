//go:build matprofile

package face

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"

	"animeface/internal/testdata"
)

// TestNoMatLeak opens, detects (both ways) and cuts pictures down every decoding path
// (OpenCV BGR, OpenCV BGRA, OpenCV without alpha plus Go, Go alone) and
// checks that every Mat is closed. Run it with -tags matprofile.
func TestNoMatLeak(t *testing.T) {
	sprite, err := os.ReadFile(filepath.Join("/usr/share/games/renpy/the_question",
		"game/images/sylvie green smile.png"))
	if err != nil {
		t.Fatal(err)
	}
	jpeg, err := os.ReadFile(testdata.Path(t, "data", "illustrations", "grapeot",
		"112032.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	rgba64 := image.NewNRGBA64(image.Rect(0, 0, 80, 60))
	rgba64.SetNRGBA64(5, 5, color.NRGBA64{A: 0x8000})
	pal := image.NewPaletted(image.Rect(0, 0, 80, 60), color.Palette{color.White,
		color.Transparent})
	inputs := map[string][]byte{"bgra": sprite, "bgr": jpeg,
		"png16": encode(t, func(b *bytes.Buffer) error { return png.Encode(b, rgba64) }),
		"gif":   encode(t, func(b *bytes.Buffer) error { return gif.Encode(b, pal, nil) }),
	}

	d, err := NewDetector(animeFace(t), DefaultSettings)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for name, data := range inputs {
		t.Run(name, func(t *testing.T) {
			before := gocv.MatProfile.Count()
			p, err := Open(data, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := d.Detect(p.Pixels); err != nil {
				t.Fatal(err)
			}
			if _, _, err := d.DetectAtLeast(p.Pixels, 46); err != nil {
				t.Fatal(err)
			}
			r := image.Rect(-10, -10, 50, 50)
			if _, err := p.Cut([]image.Rectangle{r}, 32); err != nil {
				t.Fatal(err)
			}
			p.Close()
			if n := gocv.MatProfile.Count() - before; n != 0 {
				t.Errorf("%d Mats left open", n)
			}
		})
	}
}

func encode(t *testing.T, enc func(*bytes.Buffer) error) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := enc(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
