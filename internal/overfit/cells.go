package overfit

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
)

// Cells partitions face space into k cells by k-means on a sample of the
// training faces, as the data-copying test of Meehan, Chaudhuri and
// Dasgupta (2020) does: a face belongs to the cell of its nearest centre.
type Cells struct {
	dim     int
	centres []float32 // k × dim
	cnorm   []float64
}

// kmeansIterations bounds Lloyd's iterations; the partition only needs to
// be reasonable, not converged to the last face.
const kmeansIterations = 20

// NewCells runs k-means (k-means++ seeding from rng, then Lloyd's
// iterations) on sample, faces of dim bytes each, back to back. It panics
// if sample holds fewer than k faces.
func NewCells(sample []uint8, dim, k int, rng *rand.Rand) *Cells {
	n := len(sample) / dim
	if n < k {
		panic("overfit: fewer faces than cells")
	}
	pts := make([]float32, n*dim)
	pnorm := make([]float64, n)
	for i := range n {
		pnorm[i] = toFloats(pts[i*dim:(i+1)*dim], sample[i*dim:(i+1)*dim])
	}
	c := &Cells{dim: dim, centres: make([]float32, k*dim), cnorm: make([]float64, k)}
	c.seed(pts, pnorm, n, k, rng)

	assign := make([]int, n)
	for range kmeansIterations {
		changed := c.assign(pts, pnorm, n, assign)
		c.update(pts, n, assign, rng)
		if !changed {
			break
		}
	}
	return c
}

// K returns the number of cells.
func (c *Cells) K() int { return len(c.cnorm) }

// Of returns the cell of each face in faces (dim bytes each, back to back).
func (c *Cells) Of(faces []uint8) []int {
	n := len(faces) / c.dim
	pts := make([]float32, n*c.dim)
	pnorm := make([]float64, n)
	for i := range n {
		pnorm[i] = toFloats(pts[i*c.dim:(i+1)*c.dim], faces[i*c.dim:(i+1)*c.dim])
	}
	out := make([]int, n)
	c.assign(pts, pnorm, n, out)
	return out
}

// seed picks the first centre at random and each next one with probability
// proportional to its squared distance from the nearest centre so far.
func (c *Cells) seed(pts []float32, pnorm []float64, n, k int, rng *rand.Rand) {
	dist := make([]float64, n)
	for i := range dist {
		dist[i] = math.Inf(1)
	}
	pick := rng.IntN(n)
	for m := range k {
		copy(c.centres[m*c.dim:(m+1)*c.dim], pts[pick*c.dim:(pick+1)*c.dim])
		c.cnorm[m] = pnorm[pick]
		var total float64
		for i := range n {
			d := sqDist(pts[i*c.dim:(i+1)*c.dim], pts[pick*c.dim:(pick+1)*c.dim])
			dist[i] = min(dist[i], d)
			total += dist[i]
		}
		r := rng.Float64() * total
		for i := range n {
			r -= dist[i]
			if r <= 0 {
				pick = i
				break
			}
		}
	}
}

// assign sets each point's nearest centre and reports whether any changed.
func (c *Cells) assign(pts []float32, pnorm []float64, n int, out []int) bool {
	k := c.K()
	prod := make([]float32, n*k)
	openBLAS.Sgemm(blas.NoTrans, blas.Trans, n, k, c.dim, 1, pts, c.dim,
		c.centres, c.dim, 0, prod, k)
	changed := false
	for i := range n {
		best, bestD := 0, math.Inf(1)
		for m := range k {
			d := pnorm[i] + c.cnorm[m] - 2*float64(prod[i*k+m])
			if d < bestD {
				best, bestD = m, d
			}
		}
		if out[i] != best {
			changed = true
		}
		out[i] = best
	}
	return changed
}

// update moves each centre to the mean of its points; an empty cell takes a
// random point.
func (c *Cells) update(pts []float32, n int, assign []int, rng *rand.Rand) {
	k := c.K()
	sum := make([]float64, k*c.dim)
	count := make([]int, k)
	for i := range n {
		m := assign[i]
		count[m]++
		row := sum[m*c.dim : (m+1)*c.dim]
		for d, v := range pts[i*c.dim : (i+1)*c.dim] {
			row[d] += float64(v)
		}
	}
	for m := range k {
		centre := c.centres[m*c.dim : (m+1)*c.dim]
		if count[m] == 0 {
			p := rng.IntN(n)
			copy(centre, pts[p*c.dim:(p+1)*c.dim])
		} else {
			for d := range centre {
				centre[d] = float32(sum[m*c.dim+d] / float64(count[m]))
			}
		}
		var nn float64
		for _, v := range centre {
			nn += float64(v) * float64(v)
		}
		c.cnorm[m] = nn
	}
}

func sqDist(a, b []float32) float64 {
	var s float64
	for i := range a {
		d := float64(a[i] - b[i])
		s += d * d
	}
	return s
}
