package overfit

// #cgo LDFLAGS: -lopenblas
import "C"

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	"gonum.org/v1/netlib/blas/netlib"
)

// sgemmer is the single-precision matrix product the search needs.
type sgemmer interface {
	Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int,
		b []float32, ldb int, beta float32, c []float32, ldc int)
}

// OpenBLAS through cgo is the default; gonum's pure-Go BLAS is kept for
// comparison in the benchmark (see BenchmarkSearch for the figures).
var (
	openBLAS sgemmer = netlib.Implementation{}
	pureGo   sgemmer = gonum.Implementation{}
)
