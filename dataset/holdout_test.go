package dataset

import (
	"fmt"
	"math"
	"testing"
)

// TestHoldoutShare checks that the share held out matches the fraction
// for short numeric keys and for crop-style keys, within 3 standard
// deviations of a fair draw.
func TestHoldoutShare(t *testing.T) {
	const n = 5000
	for _, format := range []string{"%d", "faces-%06d", "%d_2004"} {
		for _, f := range []float64{0.1, 0.25, 0.5} {
			held := 0
			for i := range n {
				if Holdout(fmt.Sprintf(format, i), f) {
					held++
				}
			}
			share := float64(held) / n
			if sd := math.Sqrt(f * (1 - f) / n); math.Abs(share-f) > 3*sd {
				t.Errorf("keys %q, fraction %.2f: held out %.3f", format, f, share)
			}
		}
	}
}
