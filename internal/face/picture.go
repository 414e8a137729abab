package face

import (
	"image"

	"gocv.io/x/gocv"

	"animeface/internal/imagefile"
)

// Picture is an illustration decoded for detection and cutting.
type Picture struct {
	// BGR is what the detector sees: OpenCV's own decoding with any alpha
	// channel dropped, exactly as cv2.imread(path) gives it, so detections
	// match the reference Python pipeline box for box. (Go's decoders
	// differ from libjpeg by a grey level here and there, and compositing
	// onto white changes what the cascade sees around sprites: both move
	// boxes by a few pixels.) GIFs, which OpenCV cannot read, and files its
	// readers refuse but Go's accept, come from Go's decoders.
	BGR    gocv.Mat
	Header imagefile.Header

	data      []byte
	maxPixels int
	fromGo    bool
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
		m, err := gocv.IMDecode(data, gocv.IMReadColor)
		if err == nil && !m.Empty() && sameSize(m, h) {
			p.BGR = m
			return p, nil
		}
		if err == nil {
			m.Close()
		}
	}

	// OpenCV could not read it: Go's decoders read it or say why not.
	img, _, err := imagefile.Decode(data, maxPixels)
	if err != nil {
		return nil, err
	}
	if p.BGR, err = FromNRGBA(img); err != nil {
		return nil, err
	}
	p.fromGo = true
	return p, nil
}

// sameSize reports whether m has the header's size, either way round
// (OpenCV applies a JPEG's EXIF orientation).
func sameSize(m gocv.Mat, h imagefile.Header) bool {
	r, c := m.Rows(), m.Cols()
	return r == h.Height && c == h.Width || r == h.Width && c == h.Height
}

// Cut cuts each region out of the picture (see Square and CutMat) and
// resizes it to size×size. Transparent pixels become white: when the file
// may hold transparency, the pixels come from Go's decoders composited
// onto white rather than from BGR, which has alpha dropped.
func (p *Picture) Cut(regions []image.Rectangle, size int) ([]*image.NRGBA, error) {
	if len(regions) == 0 {
		return nil, nil
	}
	src := p.BGR
	if p.Header.Alpha && !p.fromGo {
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
// reports false, and the caller keeps BGR, when the two decoders disagree
// on the size: OpenCV turned the picture by its EXIF orientation.
func (p *Picture) onWhite() (gocv.Mat, bool, error) {
	img, _, err := imagefile.Decode(p.data, p.maxPixels)
	if err != nil {
		return gocv.Mat{}, false, err
	}
	if img.Rect.Dx() != p.BGR.Cols() || img.Rect.Dy() != p.BGR.Rows() {
		// TODO: apply the EXIF orientation to Go's decoding instead, so
		// that a turned transparent picture still gets a white background.
		return gocv.Mat{}, false, nil
	}
	m, err := FromNRGBA(img)
	return m, err == nil, err
}

// Close frees the decoded pixels.
func (p *Picture) Close() error { return p.BGR.Close() }
