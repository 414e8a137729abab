package nn

import (
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

var upconvCases = []struct {
	name          string
	n, c, h, w, o int
}{
	{"square", 2, 3, 4, 4, 2},
	{"odd sizes", 3, 2, 3, 5, 3},
	{"batch 1 one pixel", 1, 2, 1, 1, 1},
	{"one output channel", 2, 4, 2, 3, 1},
	{"blocks of small planes", 7, 2, 2, 2, 3},
	{"implicit products", 2, 3, 5, 17, 3},
}

func TestUpConvGradients(t *testing.T) {
	for _, tc := range upconvCases {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			x := randomTensor(rng, tensor.Float64, tc.n, tc.c, tc.h, tc.w)
			f := randomTensor(rng, tensor.Float64, tc.o, tc.c, 3, 3)
			checkGradients(t, []*tensor.Dense{x, f}, []int{0, 1},
				func(g *gorgonia.ExprGraph, in gorgonia.Nodes) (*gorgonia.Node, error) {
					return UpConv(in[0], in[1], ConvOptions{})
				})
		})
	}
}

// TestUpConvMatchesStock compares the fused op with the stock upsample
// followed by the stock convolution.
func TestUpConvMatchesStock(t *testing.T) {
	for _, tc := range upconvCases {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, 6))
			x := randomTensor(rng, tensor.Float32, tc.n, tc.c, tc.h, tc.w)
			f := randomTensor(rng, tensor.Float32, tc.o, tc.c, 3, 3)
			ours := run(t, []*tensor.Dense{x, f}, []int{0, 1},
				func(g *gorgonia.ExprGraph, in gorgonia.Nodes) (*gorgonia.Node, error) {
					return UpConv(in[0], in[1], ConvOptions{})
				})
			stock := run(t, []*tensor.Dense{x, f}, []int{0, 1},
				func(g *gorgonia.ExprGraph, in gorgonia.Nodes) (*gorgonia.Node, error) {
					up, err := gorgonia.Upsample2D(in[0], 2)
					if err != nil {
						return nil, err
					}
					return gorgonia.Conv2d(up, in[1], tensor.Shape{3, 3},
						[]int{1, 1}, []int{1, 1}, []int{1, 1})
				})
			checkClose(t, "output", ours.out, stock.out, 1e-5)
			checkClose(t, "input gradient", ours.grads[0], stock.grads[0], 1e-5)
			checkClose(t, "filter gradient", ours.grads[1], stock.grads[1], 1e-5)
		})
	}
}
