//go:build !cgo || purego

package nn

import "gonum.org/v1/gonum/blas/gonum"

// BLAS names the matrix library the operations multiply with.
const BLAS = "gonum"

func init() {
	impl32 = gonum.Implementation{}
	impl64 = gonum.Implementation{}
}

// setBLASThreads does nothing: gonum's BLAS has no thread setting.
func setBLASThreads(int) {}
