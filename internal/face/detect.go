// Package face finds faces in illustrations with an OpenCV cascade and
// turns each detection into the square picture a dataset stores: the
// detected box, widened by a margin, made square, kept inside the
// illustration, and resized.
package face

import (
	"errors"
	"fmt"
	"image"
	"sort"

	"gocv.io/x/gocv"
)

// Settings are the detector's parameters, as recorded with every sample.
type Settings struct {
	// ScaleFactor is how much the search window grows between scales.
	ScaleFactor float64 `json:"scale_factor"`
	// MinNeighbors is how many overlapping hits a face needs to be kept.
	MinNeighbors int `json:"min_neighbors"`
	// MinSize is the side of the smallest face searched for, in source
	// pixels.
	MinSize int `json:"min_size"`
}

// DefaultSettings are lbpcascade_animeface's recommended settings, except
// MinSize, which the caller chooses for its dataset.
var DefaultSettings = Settings{ScaleFactor: 1.1, MinNeighbors: 5, MinSize: 24}

// Detector runs one cascade. It is not safe for concurrent use (OpenCV's
// cascade keeps per-call buffers): give each worker its own.
type Detector struct {
	cascade gocv.CascadeClassifier
	s       Settings
}

// NewDetector loads the cascade file at path.
func NewDetector(path string, s Settings) (*Detector, error) {
	if s.ScaleFactor <= 1 || s.MinNeighbors < 0 || s.MinSize < 1 {
		return nil, fmt.Errorf("detector settings %+v: need a scale factor above 1, "+
			"min neighbours >= 0 and a min size >= 1", s)
	}
	c := gocv.NewCascadeClassifier()
	if !c.Load(path) {
		c.Close()
		return nil, fmt.Errorf("load cascade %s: OpenCV could not read it", path)
	}
	return &Detector{cascade: c, s: s}, nil
}

// Settings returns the detector's settings.
func (d *Detector) Settings() Settings { return d.s }

// Close frees the cascade.
func (d *Detector) Close() error { return d.cascade.Close() }

// ErrEmpty is returned by Detect for an empty picture.
var ErrEmpty = errors.New("empty picture")

// Detect finds faces in a BGR or grayscale picture: it converts it to
// gray, equalises the histogram, and runs the cascade. Boxes come sorted
// top to bottom, then left to right.
func (d *Detector) Detect(img gocv.Mat) ([]image.Rectangle, error) {
	if img.Empty() {
		return nil, ErrEmpty
	}
	gray := gocv.NewMat()
	defer gray.Close()
	switch img.Channels() {
	case 1:
		img.CopyTo(&gray)
	case 3:
		gocv.CvtColor(img, &gray, gocv.ColorBGRToGray)
	case 4:
		gocv.CvtColor(img, &gray, gocv.ColorBGRAToGray)
	default:
		return nil, fmt.Errorf("detect: %d channels", img.Channels())
	}

	// The cascade was trained on equalised faces.
	gocv.EqualizeHist(gray, &gray)

	min := image.Pt(d.s.MinSize, d.s.MinSize)
	boxes := d.cascade.DetectMultiScaleWithParams(gray, d.s.ScaleFactor,
		d.s.MinNeighbors, 0, min, image.Point{})
	sort.Slice(boxes, func(i, j int) bool {
		a, b := boxes[i].Min, boxes[j].Min
		return a.Y < b.Y || a.Y == b.Y && a.X < b.X
	})
	return boxes, nil
}
