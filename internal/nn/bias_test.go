package nn

import (
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

var biasCases = []struct {
	name       string
	n, c, h, w int
	act        Activation
	param      func(c int) tensor.Shape
}{
	{"leaky 0.2", 2, 3, 4, 4, LeakyReLU(0.2), broadcastShape},
	{"relu odd sizes", 3, 2, 3, 5, ReLU, vectorShape},
	{"tanh batch 1", 1, 3, 2, 2, Tanh, broadcastShape},
	{"linear one pixel", 4, 1, 1, 1, Linear, vectorShape},
}

func TestBiasActGradients(t *testing.T) {
	for _, tc := range biasCases {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			x := randomTensor(rng, tensor.Float64, tc.n, tc.c, tc.h, tc.w)
			b := randomTensor(rng, tensor.Float64, tc.param(tc.c)...)
			checkGradients(t, []*tensor.Dense{x, b}, []int{0, 1},
				func(g *gorgonia.ExprGraph, in gorgonia.Nodes) (*gorgonia.Node, error) {
					return BiasAct(in[0], in[1], BiasOptions{Activation: tc.act})
				})
		})
	}
}

// TestBiasActMatchesStock compares with gorgonia's broadcasting add and
// activations.
func TestBiasActMatchesStock(t *testing.T) {
	for _, tc := range biasCases {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, 6))
			x := randomTensor(rng, tensor.Float32, tc.n, tc.c, tc.h, tc.w)
			b := randomTensor(rng, tensor.Float32, broadcastShape(tc.c)...)
			ours := run(t, []*tensor.Dense{x, b}, []int{0, 1},
				func(g *gorgonia.ExprGraph, in gorgonia.Nodes) (*gorgonia.Node, error) {
					return BiasAct(in[0], in[1], BiasOptions{Activation: tc.act})
				})
			stock := run(t, []*tensor.Dense{x, b}, []int{0, 1},
				func(g *gorgonia.ExprGraph, in gorgonia.Nodes) (*gorgonia.Node, error) {
					y, err := gorgonia.Auto(gorgonia.BroadcastAdd, in[0], in[1])
					if err != nil {
						return nil, err
					}
					return stockActivation(y, tc.act)
				})
			checkClose(t, "output", ours.out, stock.out, 1e-6)
			checkClose(t, "input gradient", ours.grads[0], stock.grads[0], 1e-5)
			checkClose(t, "bias gradient", ours.grads[1], stock.grads[1], 1e-5)
		})
	}
}
