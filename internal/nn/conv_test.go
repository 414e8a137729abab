package nn

import (
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

var convCases = []struct {
	name         string
	n, c, h, w   int
	cout, kh, kw int
	stride, pad  int
}{
	{"3x3 same", 2, 3, 5, 5, 4, 3, 3, 1, 1},
	{"4x4 stride 2 pad 1", 2, 3, 8, 8, 2, 4, 4, 2, 1},
	{"odd sizes stride 2", 3, 2, 7, 5, 3, 3, 3, 2, 1},
	{"batch 1 valid 4x4", 1, 4, 4, 4, 1, 4, 4, 1, 0},
	{"pad 2 wide kernel", 2, 1, 3, 4, 2, 2, 3, 1, 2},
	{"stride 3 no pad", 2, 2, 9, 8, 2, 3, 2, 3, 0},
	{"blocks of small planes", 7, 2, 4, 4, 3, 3, 3, 2, 1},
	{"one pixel out blocked", 9, 3, 4, 4, 2, 4, 4, 1, 0},
}

func TestConvGradients(t *testing.T) {
	for _, tc := range convCases {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			x := randomTensor(rng, tensor.Float64, tc.n, tc.c, tc.h, tc.w)
			f := randomTensor(rng, tensor.Float64, tc.cout, tc.c, tc.kh, tc.kw)
			checkGradients(t, []*tensor.Dense{x, f}, []int{0, 1},
				func(g *gorgonia.ExprGraph, in gorgonia.Nodes) (*gorgonia.Node, error) {
					return Conv2d(in[0], in[1], ConvOptions{Stride: tc.stride, Pad: tc.pad})
				})
		})
	}
}

func TestConvMatchesStock(t *testing.T) {
	for _, tc := range convCases {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, 6))
			x := randomTensor(rng, tensor.Float32, tc.n, tc.c, tc.h, tc.w)
			f := randomTensor(rng, tensor.Float32, tc.cout, tc.c, tc.kh, tc.kw)
			ours := run(t, []*tensor.Dense{x, f}, []int{0, 1},
				func(g *gorgonia.ExprGraph, in gorgonia.Nodes) (*gorgonia.Node, error) {
					return Conv2d(in[0], in[1], ConvOptions{Stride: tc.stride, Pad: tc.pad})
				})
			stock := run(t, []*tensor.Dense{x, f}, []int{0, 1},
				func(g *gorgonia.ExprGraph, in gorgonia.Nodes) (*gorgonia.Node, error) {
					return gorgonia.Conv2d(in[0], in[1], tensor.Shape{tc.kh, tc.kw},
						[]int{tc.pad, tc.pad}, []int{tc.stride, tc.stride}, []int{1, 1})
				})
			checkClose(t, "output", ours.out, stock.out, 1e-5)
			checkClose(t, "input gradient", ours.grads[0], stock.grads[0], 1e-5)
			checkClose(t, "filter gradient", ours.grads[1], stock.grads[1], 1e-5)
		})
	}
}

// TestConvNoFilterGrad checks that a frozen filter still passes the
// input's gradient and is refused as a differentiation target.
func TestConvNoFilterGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := randomTensor(rng, tensor.Float64, 2, 3, 6, 6)
	f := randomTensor(rng, tensor.Float64, 4, 3, 4, 4)
	build := func(g *gorgonia.ExprGraph, in gorgonia.Nodes) (*gorgonia.Node, error) {
		return Conv2d(in[0], in[1], ConvOptions{Stride: 2, Pad: 1, NoFilterGrad: true})
	}
	checkGradients(t, []*tensor.Dense{x, f}, []int{0}, build)

	g := gorgonia.NewGraph()
	xn := gorgonia.NodeFromAny(g, x, gorgonia.WithName("x"))
	fn := gorgonia.NodeFromAny(g, f, gorgonia.WithName("f"))
	y, err := build(g, gorgonia.Nodes{xn, fn})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gorgonia.Grad(gorgonia.Must(gorgonia.Sum(y)), fn); err == nil {
		t.Error("gradient of a frozen filter: no error")
	}
}
