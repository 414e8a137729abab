package face

import (
	"image"
	"math"
)

// Square returns the square region to cut around a detected box in an
// illustration with the given bounds. The box grows by margin times its
// side on every side and becomes a square of side max(w, h)·(1+2·margin),
// centred on the box. The square is then shifted, never shrunk, to lie
// inside the illustration. Only when the illustration is narrower (or
// shorter) than the square can it not fit; it then covers the whole width
// (or height), staying as close to centred on the face as it can, and
// the part outside the illustration is padded (see Cut). Keeping the side
// fixed keeps every face at the same scale in the dataset.
func Square(box image.Rectangle, margin float64, bounds image.Rectangle) image.Rectangle {
	side := int(math.Round(float64(max(box.Dx(), box.Dy())) * (1 + 2*margin)))
	side = max(side, 1)
	cx := float64(box.Min.X) + float64(box.Dx())/2
	cy := float64(box.Min.Y) + float64(box.Dy())/2
	x := place(cx, side, bounds.Min.X, bounds.Max.X)
	y := place(cy, side, bounds.Min.Y, bounds.Max.Y)
	return image.Rect(x, y, x+side, y+side)
}

// place returns the start of a segment of length side centred on c, moved
// into [lo, hi) when it fits there, or covering all of [lo, hi) when not.
func place(c float64, side, lo, hi int) int {
	start := int(math.Round(c - float64(side)/2))
	first, last := lo, hi-side // the range of starts that fit
	if last < first {
		first, last = last, first // too long: the starts that cover [lo, hi)
	}
	return min(max(start, first), last)
}
