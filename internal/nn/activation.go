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

// gradientSums is gradient that also returns Σ dst·x and Σ dst, each
// kept in four running sums as moments does.
func gradientSums[T float](act Activation, dst, d, x []T, a, b T) (dot, sum float64) {
	dst, d = dst[:len(x)], d[:len(x)]
	if act.tanh {
		gradient(act, dst, d, x, a, b)
		for i, v := range x {
			dot += float64(dst[i]) * float64(v)
			sum += float64(dst[i])
		}
		return dot, sum
	}
	gain := gains[T](act)
	var p0, p1, p2, p3, s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		xv, dv, out := (*[4]T)(x[i:]), (*[4]T)(d[i:]), (*[4]T)(dst[i:])
		g0 := dv[0] * gain[negative(a*xv[0]+b)]
		g1 := dv[1] * gain[negative(a*xv[1]+b)]
		g2 := dv[2] * gain[negative(a*xv[2]+b)]
		g3 := dv[3] * gain[negative(a*xv[3]+b)]
		*out = [4]T{g0, g1, g2, g3}
		p0, p1 = p0+float64(g0)*float64(xv[0]), p1+float64(g1)*float64(xv[1])
		p2, p3 = p2+float64(g2)*float64(xv[2]), p3+float64(g3)*float64(xv[3])
		s0, s1, s2, s3 = s0+float64(g0), s1+float64(g1), s2+float64(g2), s3+float64(g3)
	}
	for ; i < len(x); i++ {
		g := d[i] * gain[negative(a*x[i]+b)]
		dst[i] = g
		p0 += float64(g) * float64(x[i])
		s0 += float64(g)
	}
	return (p0 + p1) + (p2 + p3), (s0 + s1) + (s2 + s3)
}
