package overfit

import (
	"container/heap"
	"math"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
)

// Neighbour is a training face close to a query: its number in reading
// order and the mean squared error between them, pixels in [0, 1].
type Neighbour struct {
	Index int
	MSE   float64
}

// Searcher finds, for a fixed set of queries, the k training faces nearest
// by mean squared error, exactly, reading the training faces block by block
// so memory stays bounded whatever the size of the training set.
//
// Each block is one matrix product: ‖a−b‖² = ‖a‖² + ‖b‖² − 2a·b with a·b
// for every query and face of the block from BLAS sgemm in float32. A face
// whose float32 distance comes within a small slack of a query's current
// k-th neighbour has its error recomputed exactly in float64 from the
// bytes, and only exact errors enter the result, so float32 rounding can
// neither reorder nor drop a true neighbour.
//
// A Searcher is not safe for concurrent use.
type Searcher struct {
	dim, k  int
	queries []float32 // len(qs) × dim, pixels in [0, 1]
	qbytes  [][]uint8
	qnorm   []float64
	best    []nheap

	// Cells, when set, also tracks for each query its nearest training face
	// in the query's own cell (for the data-copying statistic).
	qcell    []int
	cellBest []Neighbour

	gemm  sgemmer
	block []float32
	bnorm []float64
	prod  []float32
	seen  int
}

// slack bounds the float32 rounding of a distance, in MSE units. Norms are
// exact; the product a·b of two faces of up to 2^16 values in [0, 1] has a
// typical relative error of √dim × 2^-24, under 2e-5 of ‖a‖‖b‖ ≤ dim, that
// is under 2e-5 in MSE units: the slack leaves a margin of five.
const slack = 1e-4

// blockFaces is how many training faces one matrix product takes: 256
// faces of 64×64 are 12 MB of float32, small next to the training set and
// large enough for sgemm to run at full speed.
const blockFaces = 256

// NewSearcher returns a searcher for the queries, each a face as dim bytes
// (RGB, row-major), keeping k neighbours each. qcell, when not nil, gives
// each query's cell (see AddBlock).
func NewSearcher(queries [][]uint8, k int, qcell []int) *Searcher {
	dim := len(queries[0])
	s := &Searcher{dim: dim, k: k, qbytes: queries, gemm: openBLAS,
		queries: make([]float32, len(queries)*dim),
		qnorm:   make([]float64, len(queries)),
		best:    make([]nheap, len(queries)),
		qcell:   qcell,
	}
	for i, q := range queries {
		s.qnorm[i] = toFloats(s.queries[i*dim:(i+1)*dim], q)
	}
	if qcell != nil {
		s.cellBest = make([]Neighbour, len(queries))
		for i := range s.cellBest {
			s.cellBest[i] = Neighbour{Index: -1, MSE: math.Inf(1)}
		}
	}
	return s
}

// AddBlock searches the next faces of the training set, numbered on from
// the faces added before. faces holds the faces' bytes back to back, dim
// each; cells, when the searcher tracks cells, gives each face's cell.
func (s *Searcher) AddBlock(faces []uint8, cells []int) {
	n := len(faces) / s.dim
	if n == 0 {
		return
	}
	s.block = grow(s.block, n*s.dim)
	s.bnorm = grow(s.bnorm, n)
	nq := len(s.qnorm)
	s.prod = grow(s.prod, nq*n)
	s.convert(faces, n)

	// prod = queries · blockᵀ, nq × n.
	s.gemm.Sgemm(blas.NoTrans, blas.Trans, nq, n, s.dim, 1, s.queries, s.dim,
		s.block, s.dim, 0, s.prod, n)

	scale := 1 / float64(s.dim)
	for i := range nq {
		row := s.prod[i*n : (i+1)*n]
		for j, ab := range row {
			approx := (s.qnorm[i] + s.bnorm[j] - 2*float64(ab)) * scale
			s.consider(i, j, approx, faces, cells)
		}
	}
	s.seen += n
}

// convert scales the block's bytes to floats on every core: single-threaded
// it took a fifth of the search time next to the multi-threaded sgemm.
func (s *Searcher) convert(faces []uint8, n int) {
	workers := min(runtime.GOMAXPROCS(0), n)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := w * n / workers; j < (w+1)*n/workers; j++ {
				lo, hi := j*s.dim, (j+1)*s.dim
				s.bnorm[j] = toFloats(s.block[lo:hi], faces[lo:hi])
			}
		}()
	}
	wg.Wait()
}

// consider admits face j of the block as a neighbour of query i when its
// approximate error could beat the current ones, with the exact error.
func (s *Searcher) consider(i, j int, approx float64, faces []uint8, cells []int) {
	h := &s.best[i]
	inCell := s.cellBest != nil && cells[j] == s.qcell[i]
	full := h.Len() == s.k
	if full && approx > (*h)[0].MSE+slack &&
		(!inCell || approx > s.cellBest[i].MSE+slack) {
		return
	}
	exact := mse(s.qbytes[i], faces[j*s.dim:(j+1)*s.dim])
	nb := Neighbour{Index: s.seen + j, MSE: exact}
	switch {
	case !full:
		heap.Push(h, nb)
	case exact < (*h)[0].MSE:
		(*h)[0] = nb
		heap.Fix(h, 0)
	}
	if inCell && exact < s.cellBest[i].MSE {
		s.cellBest[i] = nb
	}
}

// Neighbours returns each query's neighbours, nearest first.
func (s *Searcher) Neighbours() [][]Neighbour {
	out := make([][]Neighbour, len(s.best))
	for i, h := range s.best {
		ns := append([]Neighbour(nil), h...)
		sortNeighbours(ns)
		out[i] = ns
	}
	return out
}

// CellNearest returns, per query, its nearest training face within its own
// cell (Index -1 when the cell held none), or nil when cells are not
// tracked.
func (s *Searcher) CellNearest() []Neighbour { return s.cellBest }

// Seen returns the number of training faces searched so far.
func (s *Searcher) Seen() int { return s.seen }

// toFloats scales bytes to [0, 1] into dst and returns the squared norm,
// summed exactly in integers.
func toFloats(dst []float32, src []uint8) float64 {
	var n int64
	for i, v := range src {
		dst[i] = float32(v) * (1.0 / 255)
		n += int64(v) * int64(v)
	}
	return float64(n) / (255 * 255)
}

// mse is the exact mean squared error of two faces, pixels in [0, 1].
func mse(a, b []uint8) float64 {
	var s int64
	for i := range a {
		d := int64(a[i]) - int64(b[i])
		s += d * d
	}
	return float64(s) / float64(len(a)) / (255 * 255)
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// nheap is a max-heap of neighbours by error: the root is the k-th nearest.
type nheap []Neighbour

func (h nheap) Len() int { return len(h) }
func (h nheap) Less(i, j int) bool {
	if h[i].MSE != h[j].MSE {
		return h[i].MSE > h[j].MSE
	}
	return h[i].Index > h[j].Index
}
func (h nheap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *nheap) Push(x any)   { *h = append(*h, x.(Neighbour)) }
func (h *nheap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// sortNeighbours orders by error, then by reading order for ties.
func sortNeighbours(ns []Neighbour) {
	for i := 1; i < len(ns); i++ {
		for j := i; j > 0 && (ns[j].MSE < ns[j-1].MSE ||
			ns[j].MSE == ns[j-1].MSE && ns[j].Index < ns[j-1].Index); j-- {
			ns[j], ns[j-1] = ns[j-1], ns[j]
		}
	}
}
