package gan

import (
	"math"

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

	for i, p := range params {
		w := p.value.Data().([]float32)
		g := grads[i].Data().([]float32)
		m, v := a.M[i], a.V[i]
		for j := range w {
			m[j] = b1*m[j] + (1-b1)*g[j]
			v[j] = b2*v[j] + (1-b2)*g[j]*g[j]
			w[j] -= step * m[j] / (sqrt32(v[j]) + eps)
		}
	}
}

func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }
