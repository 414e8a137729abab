package overfit

import (
	"math"
	"slices"
)

// CloserShare returns the share of generated faces whose nearest training
// face is closer than the closest `quantile` share of held-out faces are to
// theirs (MSE of each face to its nearest training face), and that
// threshold. A generator that makes new faces, as far from the training set
// as unseen real faces are, scores about quantile; one that copies scores
// more.
func CloserShare(generated, heldOut []float64, quantile float64) (share,
	threshold float64) {
	h := slices.Clone(heldOut)
	slices.Sort(h)
	threshold = h[int(quantile*float64(len(h)-1))]
	n := 0
	for _, g := range generated {
		if g < threshold {
			n++
		}
	}
	return float64(n) / float64(len(generated)), threshold
}

// MinGeneratedPerCell is the reference implementation's rule for the cells
// C_T averages over: cells holding more than 20 generated faces.
const MinGeneratedPerCell = 20

// CellStat is one cell of the data-copying test.
type CellStat struct {
	Cell      int     `json:"cell"`
	HeldOut   int     `json:"held_out"`
	Generated int     `json:"generated"`
	Training  int     `json:"training"`
	ZU        float64 `json:"z_u"`
	Used      bool    `json:"used"`
}

// CT computes the three-sample data-copying statistic C_T of Meehan,
// Chaudhuri and Dasgupta (2020, "A Non-Parametric Test to Detect
// Data-Copying in Generative Models"). Within each cell π of a partition of
// face space, L(x) is the distance of x to its nearest training face in π,
// and Z_U(π) is the Mann-Whitney U statistic of L over the generated faces
// against L over the held-out faces, Z-scored under the null hypothesis
// that both come from one distribution. C_T is the average of Z_U over the
// cells with more than MinGeneratedPerCell generated faces, weighted by
// each cell's share of held-out faces. C_T well below 0 (the authors use
// about -3) says generated faces sit closer to training faces than unseen
// real faces do: data copying. Well above 0 says they sit farther:
// underfitting.
//
// Here faces are compared in pixel space, by mean squared error (any
// monotone function of the distance gives the same U), and the cells come
// from k-means on training pixels (see Cells); the authors also work in
// learned embeddings for natural images.
//
// gen and held give each face's distance to the nearest training face of
// its cell and genCell, heldCell its cell; training counts the training
// faces per cell. Cells without held-out or training faces are left out.
// ok is false when no cell qualifies.
func CT(gen []float64, genCell []int, held []float64, heldCell []int,
	training []int) (ct float64, cells []CellStat, ok bool) {
	k := len(training)
	byCell := func(d []float64, cell []int) [][]float64 {
		out := make([][]float64, k)
		for i, c := range cell {
			out[c] = append(out[c], d[i])
		}
		return out
	}
	g, h := byCell(gen, genCell), byCell(held, heldCell)
	var num, den float64
	for c := range k {
		st := CellStat{Cell: c, HeldOut: len(h[c]), Generated: len(g[c]),
			Training: training[c]}
		if st.HeldOut > 0 && st.Training > 0 && st.Generated > 0 {
			st.ZU = zU(g[c], h[c])
			st.Used = st.Generated > MinGeneratedPerCell
		}
		if st.Used {
			w := float64(st.HeldOut) / float64(len(held))
			num += w * st.ZU
			den += w
		}
		cells = append(cells, st)
	}
	if den == 0 {
		return 0, cells, false
	}
	return num / den, cells, true
}

// zU returns the Mann-Whitney U statistic of q against p (the number of
// pairs with q above p, ties counting a half), Z-scored with the mean and
// standard deviation it has when both come from one distribution. Like the
// authors' reference code, the mean carries a continuity correction of 0.5
// and the deviation no tie correction.
func zU(q, p []float64) float64 {
	m, n := float64(len(q)), float64(len(p))
	u := mannWhitneyU(q, p)
	mean := m*n/2 - 0.5
	sd := math.Sqrt(m * n * (m + n + 1) / 12)
	return (u - mean) / sd
}

// mannWhitneyU counts the pairs (x in q, y in p) with x > y, ties a half,
// by merging the two sorted samples.
func mannWhitneyU(q, p []float64) float64 {
	qs, ps := slices.Clone(q), slices.Clone(p)
	slices.Sort(qs)
	slices.Sort(ps)
	var u float64
	lo, hi := 0, 0 // ps[:lo] < x, ps[:hi] <= x
	for _, x := range qs {
		for lo < len(ps) && ps[lo] < x {
			lo++
		}
		hi = max(hi, lo)
		for hi < len(ps) && ps[hi] <= x {
			hi++
		}
		u += float64(lo) + float64(hi-lo)/2
	}
	return u
}
