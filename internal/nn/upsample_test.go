package nn

import (
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

var upsampleCases = []struct {
	name       string
	n, c, h, w int
}{
	{"square", 2, 3, 4, 4},
	{"odd sizes", 3, 2, 3, 5},
	{"batch 1 one pixel", 1, 1, 1, 1},
}

func TestUpsampleGradients(t *testing.T) {
	for _, tc := range upsampleCases {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			x := randomTensor(rng, tensor.Float64, tc.n, tc.c, tc.h, tc.w)
			checkGradients(t, []*tensor.Dense{x}, []int{0},
				func(g *gorgonia.ExprGraph, in gorgonia.Nodes) (*gorgonia.Node, error) {
					return Upsample2x(in[0])
				})
		})
	}
}

func TestUpsampleMatchesStock(t *testing.T) {
	for _, tc := range upsampleCases {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, 6))
			x := randomTensor(rng, tensor.Float32, tc.n, tc.c, tc.h, tc.w)
			ours := run(t, []*tensor.Dense{x}, []int{0},
				func(g *gorgonia.ExprGraph, in gorgonia.Nodes) (*gorgonia.Node, error) {
					return Upsample2x(in[0])
				})
			stock := run(t, []*tensor.Dense{x}, []int{0},
				func(g *gorgonia.ExprGraph, in gorgonia.Nodes) (*gorgonia.Node, error) {
					return gorgonia.Upsample2D(in[0], 2)
				})
			checkClose(t, "output", ours.out, stock.out, 0)
			checkClose(t, "gradient", ours.grads[0], stock.grads[0], 1e-6)
		})
	}
}
