package face

import (
	"image"

	"gocv.io/x/gocv"

	"animeface/internal/imagefile"
)

// Picture is an illustration decoded for detection and cutting.
type Picture struct {
	// Pixels is the decoded picture: 8-bit BGR, or BGRA when the file has
	// an alpha channel. The detector sees its colour channels as OpenCV
	// decodes them, exactly as cv2.imread(path) gives them, so detections
	// match the reference Python pipeline box for box, and faster: on the
	// 346 renpy images OpenCV decodes in 0.85 s where Go's decoders take
	// 2.7 s. (Go's decoders differ from libjpeg by a grey level here and
	// there, which moved 1 of the 30 boxes by a few pixels; detecting on
	// sprites composited onto white moved 18.) GIFs, which OpenCV cannot
	// read, and files its readers refuse but Go's accept, come from Go's
	// decoders.
	Pixels gocv.Mat
	Header imagefile.Header

	data      []byte
	maxPixels int
	alphaLost bool // Pixels came from OpenCV without the file's alpha
}

// Open checks data with imagefile.Check (so bombs and truncated files
// never reach a decoder) and decodes it. The caller must Close the
// picture.
func Open(data []byte, maxPixels int) (*Picture, error) {
	h, err := imagefile.Check(data, maxPixels)
	if err != nil {
		return nil, err
	}
	p := &Picture{Header: h, data: data, maxPixels: maxPixels}

	if h.Format != "gif" {
		// libpng would print a warning for many colour profiles.
		cv := imagefile.DropPNGChunks(data, "iCCP")
		if m, alphaLost, ok := decodeCV(cv, h); ok {
			p.Pixels, p.alphaLost = m, alphaLost
			return p, nil
		}
	}

	// OpenCV could not read it: Go's decoders read it or say why not.
	img, _, err := imagefile.Decode(data, maxPixels)
	if err != nil {
		return nil, err
	}
	if p.Pixels, err = FromNRGBA(img); err != nil {
		return nil, err
	}
	return p, nil
}

// decodeCV decodes data with OpenCV, as BGR (which converts 16-bit, gray,
// paletted and CMYK pictures the way cv2.imread does) or, when the file may
// hold transparency, unchanged, to get 8-bit BGRA when it has alpha and
// composite it onto white when cutting without decoding twice. It reports
// whether it dropped an alpha channel: the unchanged decoding was neither
// 8-bit BGR nor BGRA (16-bit RGBA, say) and the BGR one was kept.
func decodeCV(data []byte, h imagefile.Header) (m gocv.Mat, alphaLost, ok bool) {
	// A 32-bit BMP's fourth byte is padding as often as it is alpha.
	if h.Alpha && h.Format != "bmp" {
		m, err := gocv.IMDecode(data, gocv.IMReadUnchanged)
		if err == nil {
			t := m.Type()
			if (t == gocv.MatTypeCV8UC3 || t == gocv.MatTypeCV8UC4) && sameSize(m, h) {
				return m, false, true
			}
			m.Close()
		}
	}
	m, err := gocv.IMDecode(data, gocv.IMReadColor)
	if err != nil {
		return gocv.Mat{}, false, false
	}
	if m.Empty() || m.Type() != gocv.MatTypeCV8UC3 || !sameSize(m, h) {
		m.Close()
		return gocv.Mat{}, false, false
	}
	return m, h.Alpha && h.Format != "bmp", true
}

// sameSize reports whether m has the header's size, either way round
// (OpenCV applies a JPEG's EXIF orientation).
func sameSize(m gocv.Mat, h imagefile.Header) bool {
	r, c := m.Rows(), m.Cols()
	return r == h.Height && c == h.Width || r == h.Width && c == h.Height
}

// Cut cuts each region out of the picture (see Square and CutMat) and
// resizes it to size×size. Transparent pixels become white. A file that
// may hold transparency but that OpenCV decoded without alpha (16-bit
// RGBA, say) is decoded again by Go's decoders for its alpha.
func (p *Picture) Cut(regions []image.Rectangle, size int) ([]*image.NRGBA, error) {
	if len(regions) == 0 {
		return nil, nil
	}
	src := p.Pixels
	if p.alphaLost {
		m, ok, err := p.onWhite()
		if err != nil {
			return nil, err
		}
		if ok {
			defer m.Close()
			src = m
		}
	}
	faces := make([]*image.NRGBA, len(regions))
	for i, r := range regions {
		var err error
		if faces[i], err = CutMat(src, r, size); err != nil {
			return nil, err
		}
	}
	return faces, nil
}

// onWhite decodes the file with Go's decoders, composited onto white. It
// reports false, and the caller keeps Pixels, when the two decoders
// disagree on the size: OpenCV turned the picture by its EXIF orientation.
func (p *Picture) onWhite() (gocv.Mat, bool, error) {
	img, _, err := imagefile.Decode(p.data, p.maxPixels)
	if err != nil {
		return gocv.Mat{}, false, err
	}
	if img.Rect.Dx() != p.Pixels.Cols() || img.Rect.Dy() != p.Pixels.Rows() {
		// TODO: apply the EXIF orientation to Go's decoding instead, so
		// that a turned transparent picture still gets a white background.
		return gocv.Mat{}, false, nil
	}
	m, err := FromNRGBA(img)
	return m, err == nil, err
}

// Close frees the decoded pixels.
func (p *Picture) Close() error { return p.Pixels.Close() }
