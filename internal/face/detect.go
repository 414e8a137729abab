// Package face finds faces in illustrations with an OpenCV cascade and
// turns each detection into the square picture a dataset stores: the
// detected box, widened by a margin, made square, kept inside the
// illustration, and resized.
package face

import (
	"cmp"
	"errors"
	"fmt"
	"image"
	"slices"

	"gocv.io/x/gocv"
)

// Settings are the detector's parameters, as recorded with every sample.
type Settings struct {
	// ScaleFactor is how much the search window grows between scales.
	ScaleFactor float64 `json:"scale_factor"`
	// MinNeighbors is how many overlapping hits a face needs to be kept.
	MinNeighbors int `json:"min_neighbors"`
	// MinSize is the side of the smallest face searched for, in source
	// pixels; 0 means the cascade's window, the size it was trained at
	// (24 for lbpcascade_animeface), below which it finds nothing.
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
	if s.ScaleFactor <= 1 || s.MinNeighbors < 0 || s.MinSize < 0 {
		return nil, fmt.Errorf("detector settings %+v: need a scale factor above 1, "+
			"min neighbours >= 0 and a min size >= 0", s)
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

// ErrEmpty is returned by Detect and DetectAtLeast for an empty picture.
var ErrEmpty = errors.New("empty picture")

// Detect finds faces in a BGR or grayscale picture: it converts it to
// gray, equalises the histogram, and runs the cascade. Boxes come sorted
// top to bottom, then left to right.
func (d *Detector) Detect(img gocv.Mat) ([]image.Rectangle, error) {
	gray, err := equalisedGray(img)
	if err != nil {
		return nil, err
	}
	defer gray.Close()

	// A zero size lets the cascade start at its own window.
	min := image.Pt(d.s.MinSize, d.s.MinSize)
	boxes := d.cascade.DetectMultiScaleWithParams(gray, d.s.ScaleFactor,
		d.s.MinNeighbors, 0, min, image.Point{})
	sortBoxes(boxes)
	return boxes, nil
}

// DetectAtLeast searches as Detect does, down to the detector's MinSize,
// and splits what it finds at keep pixels. kept are the faces Detect would
// find with MinSize keep, box for box: the cascade's hits in windows at
// least keep wide and high, grouped on their own. small are the faces
// Detect finds below keep, less those whose centre lies in a kept face
// (the same face, its box pulled smaller by the hits of the smaller
// windows). A search below keep thus reports the smaller faces without
// changing the larger ones; it costs the time of the smaller windows.
// Both lists come sorted as Detect's.
func (d *Detector) DetectAtLeast(img gocv.Mat, keep int) (kept, small []image.Rectangle,
	err error) {
	gray, err := equalisedGray(img)
	if err != nil {
		return nil, nil, err
	}
	defer gray.Close()

	// Without neighbours the cascade returns its hits ungrouped, each the
	// size of the window that found it.
	min := image.Pt(d.s.MinSize, d.s.MinSize)
	hits := d.cascade.DetectMultiScaleWithParams(gray, d.s.ScaleFactor, 0, 0, min,
		image.Point{})
	var large []image.Rectangle
	for _, h := range hits {
		if h.Dx() >= keep && h.Dy() >= keep {
			large = append(large, h)
		}
	}
	kept = group(large, d.s.MinNeighbors)
	sortBoxes(kept)

	for _, f := range group(hits, d.s.MinNeighbors) {
		if (f.Dx() < keep || f.Dy() < keep) && !centreIn(f, kept) {
			small = append(small, f)
		}
	}
	sortBoxes(small)
	return kept, small, nil
}

// equalisedGray returns the picture as the cascade wants it: gray, its
// histogram equalised. The caller closes it.
func equalisedGray(img gocv.Mat) (gocv.Mat, error) {
	if img.Empty() {
		return gocv.Mat{}, ErrEmpty
	}
	gray := gocv.NewMat()
	switch img.Channels() {
	case 1:
		img.CopyTo(&gray)
	case 3:
		gocv.CvtColor(img, &gray, gocv.ColorBGRToGray)
	case 4:
		gocv.CvtColor(img, &gray, gocv.ColorBGRAToGray)
	default:
		gray.Close()
		return gocv.Mat{}, fmt.Errorf("detect: %d channels", img.Channels())
	}

	// The cascade was trained on equalised faces.
	gocv.EqualizeHist(gray, &gray)
	return gray, nil
}

// sortBoxes sorts boxes top to bottom, then left to right (then by size,
// so that the order never depends on the cascade's).
func sortBoxes(boxes []image.Rectangle) {
	slices.SortFunc(boxes, func(a, b image.Rectangle) int {
		return cmp.Or(cmp.Compare(a.Min.Y, b.Min.Y), cmp.Compare(a.Min.X, b.Min.X),
			cmp.Compare(a.Max.Y, b.Max.Y), cmp.Compare(a.Max.X, b.Max.X))
	})
}

// centreIn reports whether the centre of r lies in one of boxes.
func centreIn(r image.Rectangle, boxes []image.Rectangle) bool {
	c := image.Pt((r.Min.X+r.Max.X)/2, (r.Min.Y+r.Max.Y)/2)
	for _, b := range boxes {
		if c.In(b) {
			return true
		}
	}
	return false
}
