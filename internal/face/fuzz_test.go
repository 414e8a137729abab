package face

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"testing"

	"animeface/internal/imagefile/imagefiletest"
)

// FuzzOpen feeds arbitrary bytes through the checks into OpenCV's and
// Go's decoders and a cut: an error is fine, a crash is not.
func FuzzOpen(f *testing.F) {
	img := imagefiletest.Pattern(40, 30)
	for _, enc := range []func(*bytes.Buffer) error{
		func(b *bytes.Buffer) error { return png.Encode(b, img) },
		func(b *bytes.Buffer) error { return jpeg.Encode(b, img, nil) },
	} {
		var b bytes.Buffer
		if err := enc(&b); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Open(data, 1<<20)
		if err != nil {
			return
		}
		defer p.Close()
		if _, err := p.Cut([]image.Rectangle{image.Rect(-5, -5, 20, 20)}, 8); err != nil {
			t.Errorf("cut a decoded picture: %v", err)
		}
	})
}
