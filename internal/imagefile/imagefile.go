// Package imagefile reads illustration files safely: it recognises JPEG,
// PNG, GIF, WebP, BMP and TIFF by content, refuses files whose header
// announces more pixels than a limit before any pixel is decoded (so a
// small compressed file cannot claim gigabytes of memory), spots truncated
// files, and decodes to opaque 8-bit RGB with transparency composited onto
// white. Errors wrap one of the sentinel errors below, so callers can count
// bad files by reason.
package imagefile

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	_ "image/gif" // registered for image.DecodeConfig and image.Decode
	_ "image/jpeg"
	_ "image/png"
	"io"
	"os"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"
)

// DefaultMaxPixels is the default limit on width×height: 100 megapixels,
// far above any illustration, far below what exhausts a small machine
// (an 8-bit RGBA copy of it is 400 MB).
const DefaultMaxPixels = 100_000_000

// Sentinel errors, wrapped by every error this package returns.
var (
	ErrEmpty     = errors.New("empty file")
	ErrNotImage  = errors.New("not an image")
	ErrTruncated = errors.New("truncated")
	ErrCorrupt   = errors.New("corrupt image")
	ErrTooLarge  = errors.New("too many pixels")
	ErrNotFile   = errors.New("not a regular file")
)

// Reason returns a short name for the class of err, for counting bad files:
// "empty", "not-image", "truncated", "corrupt", "too-large", "not-file", or
// "unreadable" for anything else (such as a permission error).
func Reason(err error) string {
	switch {
	case errors.Is(err, ErrEmpty):
		return "empty"
	case errors.Is(err, ErrNotImage):
		return "not-image"
	case errors.Is(err, ErrTruncated):
		return "truncated"
	case errors.Is(err, ErrCorrupt):
		return "corrupt"
	case errors.Is(err, ErrTooLarge):
		return "too-large"
	case errors.Is(err, ErrNotFile):
		return "not-file"
	}
	return "unreadable"
}

// Header is what an image file says about itself before its pixels.
type Header struct {
	Format        string // "jpeg", "png", "gif", "webp", "bmp" or "tiff"
	Width, Height int
	// Alpha is true when the format and colour model allow transparent
	// pixels; the pixels may all be opaque nonetheless.
	Alpha bool
}

// ReadFile reads the file at path and checks it with Check. It refuses
// anything but a regular file (after following symbolic links).
func ReadFile(path string, maxPixels int) ([]byte, Header, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, Header{}, err
	}
	if !st.Mode().IsRegular() {
		return nil, Header{}, ErrNotFile
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, Header{}, err
	}
	h, err := Check(data, maxPixels)
	return data, h, err
}

// Check reads the header in data, refuses images of more than maxPixels
// pixels (DefaultMaxPixels when maxPixels <= 0), and checks for the end of
// the data where the format makes that cheap (JPEG, PNG, WebP, BMP). It
// decodes no pixel.
func Check(data []byte, maxPixels int) (Header, error) {
	if len(data) == 0 {
		return Header{}, ErrEmpty
	}
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}

	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return Header{}, classify(err)
	}
	// A GIF's transparent index lives in a frame's extension, which the
	// config does not read.
	h := Header{Format: format, Width: cfg.Width, Height: cfg.Height,
		Alpha: format == "gif" || hasAlpha(cfg.ColorModel)}

	// Refuse before decoding: a 20000×20000 PNG of zeros is 1 MB on disk.
	if h.Width <= 0 || h.Height <= 0 {
		return h, fmt.Errorf("%w: %s of %dx%d pixels",
			ErrCorrupt, format, h.Width, h.Height)
	}
	if int64(h.Width)*int64(h.Height) > int64(maxPixels) {
		return h, fmt.Errorf("%w: %dx%d %s is over the limit of %d pixels",
			ErrTooLarge, h.Width, h.Height, format, maxPixels)
	}

	if err := checkComplete(format, data); err != nil {
		return h, err
	}
	return h, nil
}

// classify wraps a decoder's error in the matching sentinel.
func classify(err error) error {
	switch {
	case errors.Is(err, image.ErrFormat):
		return ErrNotImage
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fmt.Errorf("%w: %v", ErrTruncated, err)
	}
	return fmt.Errorf("%w: %v", ErrCorrupt, err)
}

// hasAlpha reports whether a colour model can hold transparent pixels.
func hasAlpha(m color.Model) bool {
	switch m {
	case color.RGBAModel, color.RGBA64Model, color.NRGBAModel,
		color.NRGBA64Model, color.AlphaModel, color.Alpha16Model,
		color.NYCbCrAModel:
		return true
	}
	if p, ok := m.(color.Palette); ok {
		for _, c := range p {
			if _, _, _, a := c.RGBA(); a != 0xffff {
				return true
			}
		}
	}
	return false
}

// Decode checks data like Check, then decodes it with Go's decoders (the
// first frame of a GIF) and composites it onto white. The result is opaque
// and its bounds start at (0, 0). EXIF orientation is not applied.
func Decode(data []byte, maxPixels int) (*image.NRGBA, Header, error) {
	h, err := Check(data, maxPixels)
	if err != nil {
		return nil, h, err
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, h, classify(err)
	}
	return OnWhite(img), h, nil
}

// OnWhite returns img composited onto an opaque white background, as 8-bit
// RGB with an alpha of 255 everywhere, its bounds moved to start at (0, 0).
// Grayscale, 16-bit, paletted and CMYK images are converted through their
// colour model.
func OnWhite(img image.Image) *image.NRGBA {
	b := img.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Rect, image.White, image.Point{}, draw.Src)
	draw.Draw(dst, dst.Rect, img, b.Min, draw.Over)

	// Opaque premultiplied pixels equal their non-premultiplied values.
	return &image.NRGBA{Pix: dst.Pix, Stride: dst.Stride, Rect: dst.Rect}
}
