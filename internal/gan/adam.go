package gan

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"gorgonia.org/tensor"
)

// Adam is the Adam optimiser (Kingma and Ba, 2015) with moments a
// checkpoint can save: gorgonia's own solver keeps them unexported.
type Adam struct {
	LR, Beta1, Beta2, Epsilon float64
	// Steps is how many updates were applied; it sets the bias correction.
	Steps int
	// M and V are the first and second moments, one slice per parameter.
	M, V [][]float32
}

// newAdam returns an optimiser for parameters of the given sizes with the
// DCGAN settings for beta1 and beta2.
func newAdam(lr float64, sizes []int) *Adam {
	a := &Adam{LR: lr, Beta1: 0.5, Beta2: 0.999, Epsilon: 1e-8}
	for _, n := range sizes {
		a.M = append(a.M, make([]float32, n))
		a.V = append(a.V, make([]float32, n))
	}
	return a
}

// update moves every parameter against its gradient; grads[i] belongs to
// params[i].
func (a *Adam) update(params []*param, grads []*tensor.Dense) {
	a.Steps++
	t := float64(a.Steps)
	step := float32(a.LR * math.Sqrt(1-math.Pow(a.Beta2, t)) /
		(1 - math.Pow(a.Beta1, t)))
	eps := float32(a.Epsilon * math.Sqrt(1-math.Pow(a.Beta2, t)))
	b1, b2 := float32(a.Beta1), float32(a.Beta2)

	// Elementwise, so the cores may share the work in any way.
	type span struct{ i, lo, hi int }
	var spans []span
	for i, p := range params {
		n := p.value.Shape().TotalSize()
		for lo := 0; lo < n; lo += adamChunk {
			spans = append(spans, span{i, lo, min(n, lo+adamChunk)})
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(len(spans), runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for k := int(next.Add(1)) - 1; k < len(spans); k = int(next.Add(1)) - 1 {
				s := spans[k]
				w := params[s.i].value.Data().([]float32)[s.lo:s.hi]
				g := grads[s.i].Data().([]float32)[s.lo:s.hi]
				m, v := a.M[s.i][s.lo:s.hi], a.V[s.i][s.lo:s.hi]
				for j := range w {
					m[j] = b1*m[j] + (1-b1)*g[j]
					v[j] = b2*v[j] + (1-b2)*g[j]*g[j]
					w[j] -= step * m[j] / (sqrt32(v[j]) + eps)
				}
			}
		})
	}
	wg.Wait()
}

// adamChunk is the number of elements of a parameter one goroutine
// updates at a time.
const adamChunk = 1 << 16

func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }
