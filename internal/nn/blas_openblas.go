//go:build cgo && !purego

package nn

// #cgo LDFLAGS: -lopenblas
// void openblas_set_num_threads(int);
import "C"

import "gonum.org/v1/netlib/blas/netlib"

// BLAS names the matrix library the operations multiply with.
const BLAS = "openblas"

func init() {
	// The operations run one sgemm per goroutine; OpenBLAS threads on top
	// of that would fight over the same cores.
	C.openblas_set_num_threads(1)
	impl32 = netlib.Implementation{}
	impl64 = netlib.Implementation{}
}

// setBLASThreads sets the number of threads OpenBLAS uses for one call.
func setBLASThreads(n int) { C.openblas_set_num_threads(C.int(n)) }
