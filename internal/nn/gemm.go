package nn

import "gonum.org/v1/gonum/blas"

// float is the element type every operation is written for.
type float interface{ ~float32 | ~float64 }

var (
	impl32 blas.Float32
	impl64 blas.Float64
)

// gemm computes c = alpha*op(a)*op(b) + beta*c on row-major matrices,
// op(a) being m×k and op(b) k×n.
func gemm[T float](transA, transB bool, m, n, k int, alpha T, a []T, lda int,
	b []T, ldb int, beta T, c []T, ldc int) {
	ta, tb := blas.NoTrans, blas.NoTrans
	if transA {
		ta = blas.Trans
	}
	if transB {
		tb = blas.Trans
	}
	switch a := any(a).(type) {
	case []float32:
		impl32.Sgemm(ta, tb, m, n, k, float32(alpha), a, lda, any(b).([]float32), ldb,
			float32(beta), any(c).([]float32), ldc)
	case []float64:
		impl64.Dgemm(ta, tb, m, n, k, float64(alpha), a, lda, any(b).([]float64), ldb,
			float64(beta), any(c).([]float64), ldc)
	}
}
