package nn

import (
	"fmt"
	"math"
)

// Activation is the function applied after a normalisation or a bias:
// a (leaky) rectifier, which passes a positive value and multiplies a
// negative one by its slope, or tanh. The zero value is ReLU.
type Activation struct {
	slope float64
	tanh  bool
}

// ReLU, Linear and Tanh are the rectifier of slope 0, the identity (slope
// 1) and the hyperbolic tangent.
var (
	ReLU   = Activation{}
	Linear = Activation{slope: 1}
	Tanh   = Activation{tanh: true}
)

// LeakyReLU returns the leaky rectifier of the given negative slope.
func LeakyReLU(slope float64) Activation { return Activation{slope: slope} }

// String names the activation, as in the name of a batch norm node.
func (a Activation) String() string {
	if a.tanh {
		return "tanh"
	}
	return fmt.Sprintf("rectifier(%g)", a.slope)
}

// A rectifier's loops never branch on the sign of a value: half the
// values of a layer are negative, in no order a processor can predict,
// and each mispredicted branch costs as much as five elements of
// arithmetic. They multiply by gains[negative(v)] instead.

// negative returns 1 for a negative v and 0 otherwise; the compiler turns
// it into a flag, not a branch.
func negative[T float](v T) int {
	if v < 0 {
		return 1
	}
	return 0
}

// gains returns what a rectifier multiplies a non-negative value and a
// negative one by, which are also its derivatives there.
func gains[T float](a Activation) [2]T { return [2]T{1, T(a.slope)} }

//go:noinline
func tanhDeriv(v float64) float64 {
	t := math.Tanh(v)
	return 1 - t*t
}

// activate sets dst[i] = act(a·x[i] + b).
func activate[T float](act Activation, dst, x []T, a, b T) {
	dst = dst[:len(x)]
	switch {
	case act.tanh:
		for i, v := range x {
			dst[i] = T(math.Tanh(float64(a*v + b)))
		}
	case act.slope == 1:
		for i, v := range x {
			dst[i] = a*v + b
		}
	default:
		gain := gains[T](act)
		for i, v := range x {
			v = a*v + b
			dst[i] = v * gain[negative(v)]
		}
	}
}

// gradient sets dst[i] = d[i]·act'(a·x[i] + b), the gradient before the
// activation given the gradient d after it.
func gradient[T float](act Activation, dst, d, x []T, a, b T) {
	dst, d = dst[:len(x)], d[:len(x)]
	if act.tanh {
		for i, v := range x {
			dst[i] = d[i] * T(tanhDeriv(float64(a*v+b)))
		}
		return
	}
	gain := gains[T](act)
	for i, v := range x {
		dst[i] = d[i] * gain[negative(a*v+b)]
	}
}
