package imagefile

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"

	"animeface/internal/imagefile/imagefiletest"
)

var (
	red   = color.NRGBA{255, 0, 0, 255}
	blue  = color.NRGBA{120, 180, 255, 255}
	white = color.NRGBA{255, 255, 255, 255}
)

// halves draws a 32×24 picture like testdata/gen.py: red left, blue right,
// and with alpha the bottom half transparent.
func halves(alpha bool) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 32, 24))
	for y := 0; y < 24; y++ {
		for x := 0; x < 32; x++ {
			c := red
			if x >= 16 {
				c = blue
			}
			if alpha && y >= 12 {
				c = color.NRGBA{}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func encodeWith(t *testing.T, enc func(*bytes.Buffer) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := enc(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// formats returns one encoded file per format and colour model, with the
// colours expected at the top left, top right and bottom left.
func formats(t *testing.T) []struct {
	name, format string
	data         []byte
	alpha        bool
	want         [3]color.NRGBA
	tol          int
} {
	opaque := [3]color.NRGBA{red, blue, red}
	onWhite := [3]color.NRGBA{red, blue, white}
	gray := func(c color.NRGBA) color.NRGBA {
		g := color.GrayModel.Convert(c).(color.Gray).Y
		return color.NRGBA{g, g, g, 255}
	}
	grays := [3]color.NRGBA{gray(red), gray(blue), gray(red)}

	rgba := halves(true)
	g16 := image.NewGray16(rgba.Rect)
	pal := image.NewPaletted(rgba.Rect, color.Palette{red, blue, color.NRGBA{}})
	for y := 0; y < 24; y++ {
		for x := 0; x < 32; x++ {
			g16.Set(x, y, halves(false).At(x, y))
			pal.Set(x, y, rgba.At(x, y))
		}
	}
	grayJPEG := image.NewGray(rgba.Rect)
	for y := 0; y < 24; y++ {
		for x := 0; x < 32; x++ {
			grayJPEG.Set(x, y, halves(false).At(x, y))
		}
	}
	pngOf := func(img image.Image) []byte {
		return encodeWith(t, func(b *bytes.Buffer) error { return png.Encode(b, img) })
	}
	return []struct {
		name, format string
		data         []byte
		alpha        bool
		want         [3]color.NRGBA
		tol          int
	}{
		{"png-rgba", "png", pngOf(rgba), true, onWhite, 0},
		{"png-gray16", "png", pngOf(g16), false, grays, 1},
		{"png-palette-transparent", "png", pngOf(pal), true, onWhite, 0},
		{"jpeg-gray", "jpeg", encodeWith(t, func(b *bytes.Buffer) error {
			return jpeg.Encode(b, grayJPEG, &jpeg.Options{Quality: 100})
		}), false, grays, 3},
		{"jpeg-cmyk", "jpeg", fixture(t, "cmyk.jpg"), false, opaque, 8},
		{"gif-transparent", "gif", encodeWith(t, func(b *bytes.Buffer) error {
			return gif.Encode(b, pal, nil)
		}), true, onWhite, 0},
		// An NRGBA image is written as a 32-bit BMP, with an alpha channel.
		{"bmp", "bmp", encodeWith(t, func(b *bytes.Buffer) error {
			return bmp.Encode(b, halves(false))
		}), true, opaque, 0},

		{"tiff-rgba", "tiff", encodeWith(t, func(b *bytes.Buffer) error {
			return tiff.Encode(b, rgba, nil)
		}), true, onWhite, 0},
		// Lossless WebP (VP8L) can always hold alpha.
		{"webp", "webp", fixture(t, "rgb.webp"), true, opaque, 0},
		{"webp-alpha", "webp", fixture(t, "rgba.webp"), true, onWhite, 0},
	}
}

func near(a, b color.NRGBA, tol int) bool {
	d := func(x, y uint8) bool { return int(x)-int(y) <= tol && int(y)-int(x) <= tol }
	return d(a.R, b.R) && d(a.G, b.G) && d(a.B, b.B) && a.A == b.A
}

func TestDecodeFormats(t *testing.T) {
	for _, tt := range formats(t) {
		t.Run(tt.name, func(t *testing.T) {
			img, h, err := Decode(tt.data, 0)
			if err != nil {
				t.Fatal(err)
			}
			if h.Format != tt.format || h.Width != 32 || h.Height != 24 {
				t.Errorf("header = %+v, want %s 32x24", h, tt.format)
			}
			if h.Alpha != tt.alpha {
				t.Errorf("Alpha = %v, want %v", h.Alpha, tt.alpha)
			}
			at := [3]image.Point{{2, 2}, {20, 2}, {2, 20}}
			for i, p := range at {
				if got := img.NRGBAAt(p.X, p.Y); !near(got, tt.want[i], tt.tol) {
					t.Errorf("pixel %v = %v, want %v (±%d)", p, got, tt.want[i], tt.tol)
				}
			}
		})
	}
}

func TestCheckTruncated(t *testing.T) {
	for _, tt := range formats(t) {
		t.Run(tt.name, func(t *testing.T) {
			cut := tt.data[:len(tt.data)*2/3]
			_, err := Check(cut, 0)
			if tt.format == "gif" || tt.format == "tiff" {
				// No cheap end check: the decoder must catch it.
				_, _, err = Decode(cut, 0)
			}
			if err == nil {
				t.Fatalf("a file cut to %d of %d bytes passed", len(cut), len(tt.data))
			}
			if r := Reason(err); r != "truncated" && r != "corrupt" {
				t.Errorf("Reason = %s (%v), want truncated or corrupt", r, err)
			}
		})
	}
}

func TestBadInputs(t *testing.T) {
	dir := t.TempDir()
	bad, err := imagefiletest.WriteBad(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		t.Run(b.Name, func(t *testing.T) {
			_, _, err := ReadFile(filepath.Join(dir, b.Name), 0)
			want := b.Reason
			if want == "" {
				want = "not-file"
			}
			if err == nil || Reason(err) != want {
				t.Errorf("ReadFile err = %v (%s), want reason %s", err, Reason(err), want)
			}
		})
	}
}

func TestTooLargeBeforeDecoding(t *testing.T) {
	data, err := imagefiletest.Bomb(1000, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Decode(data, 999_999); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Decode at a limit of 999999 pixels: err = %v, want ErrTooLarge", err)
	}
	if _, _, err := Decode(data, 1_000_000); err != nil {
		t.Errorf("Decode at a limit of 1000000 pixels: %v", err)
	}
}

// FuzzDecode feeds arbitrary bytes to the checks and the decoders: they
// must return an error or an image of the announced size, never panic.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"cmyk.jpg", "rgb.webp", "rgba.webp"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, halves(true)); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		img, h, err := Decode(data, 1<<20)
		if err != nil {
			return
		}
		if img.Rect.Dx() != h.Width || img.Rect.Dy() != h.Height {
			t.Errorf("decoded %v, header says %dx%d", img.Rect, h.Width, h.Height)
		}
	})
}

func TestSniffAgreesWithDecoder(t *testing.T) {
	for _, tt := range formats(t) {
		if got := Sniff(tt.data[:SniffLen]); got != tt.format {
			t.Errorf("%s: Sniff = %q, want %q", tt.name, got, tt.format)
		}
	}
	for _, s := range []string{"", "hello, world", "RIFF\x00\x00\x00\x00WAVE"} {
		if got := Sniff([]byte(s)); got != "" {
			t.Errorf("Sniff(%q) = %q, want none", s, got)
		}
	}
}

func TestDropPNGChunks(t *testing.T) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, halves(true)); err != nil {
		t.Fatal(err)
	}
	orig := buf.Bytes()

	// Put an iCCP chunk after IHDR (8 + 25 bytes).
	var withICC bytes.Buffer
	withICC.Write(orig[:33])
	withICC.Write([]byte{0, 0, 0, 4, 'i', 'C', 'C', 'P', 1, 2, 3, 4, 0, 0, 0, 0})
	withICC.Write(orig[33:])
	data := withICC.Bytes()
	kept := bytes.Clone(data)

	got := DropPNGChunks(data, "iCCP")
	if !bytes.Equal(got, orig) {
		t.Errorf("DropPNGChunks did not give back the PNG without its iCCP chunk")
	}
	if !bytes.Equal(data, kept) {
		t.Errorf("DropPNGChunks modified its input")
	}
	if again := DropPNGChunks(orig, "iCCP"); &again[0] != &orig[0] {
		t.Errorf("a PNG without the chunk was copied")
	}
	jpegData := fixture(t, "cmyk.jpg")
	if got := DropPNGChunks(jpegData, "iCCP"); &got[0] != &jpegData[0] {
		t.Errorf("a JPEG was changed")
	}
}
