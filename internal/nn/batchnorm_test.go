package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

var batchNormCases = []struct {
	name       string
	n, c, h, w int
	act        Activation
	param      func(c int) tensor.Shape
}{
	{"relu vector params", 2, 3, 4, 4, ReLU, vectorShape},
	{"tanh", 2, 2, 3, 3, Tanh, vectorShape},
	{"leaky 0.2 broadcast params", 3, 2, 3, 5, LeakyReLU(0.2), broadcastShape},
	{"linear batch 1", 1, 4, 2, 3, Linear, vectorShape},
	{"relu one pixel planes", 5, 3, 1, 1, ReLU, broadcastShape},
}

func vectorShape(c int) tensor.Shape    { return tensor.Shape{c} }
func broadcastShape(c int) tensor.Shape { return tensor.Shape{1, c, 1, 1} }

// bnInputs returns x and a scale and bias of both signs, so that every
// activation meets negative values.
func bnInputs(rng *rand.Rand, dt tensor.Dtype, n, c, h, w int,
	param tensor.Shape) []*tensor.Dense {
	x := randomTensor(rng, dt, n, c, h, w)
	return []*tensor.Dense{x, randomTensor(rng, dt, param...), randomTensor(rng, dt, param...)}
}

func TestBatchNormGradients(t *testing.T) {
	for _, tc := range batchNormCases {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			in := bnInputs(rng, tensor.Float64, tc.n, tc.c, tc.h, tc.w, tc.param(tc.c))
			checkGradients(t, in, []int{0, 1, 2},
				func(g *gorgonia.ExprGraph, in gorgonia.Nodes) (*gorgonia.Node, error) {
					return BatchNorm(in[0], in[1], in[2], NewBatchNormStats(tc.c),
						BatchNormOptions{Activation: tc.act})
				})
		})
	}
}

// TestBatchNormMatchesStock compares with gorgonia's batch norm followed
// by its rectifiers.
func TestBatchNormMatchesStock(t *testing.T) {
	for _, tc := range batchNormCases {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, 6))
			in := bnInputs(rng, tensor.Float32, tc.n, tc.c, tc.h, tc.w, broadcastShape(tc.c))
			ours := run(t, in, []int{0, 1, 2},
				func(g *gorgonia.ExprGraph, in gorgonia.Nodes) (*gorgonia.Node, error) {
					return BatchNorm(in[0], in[1], in[2], NewBatchNormStats(tc.c),
						BatchNormOptions{Activation: tc.act})
				})
			stock := run(t, in, []int{0, 1, 2},
				func(g *gorgonia.ExprGraph, in gorgonia.Nodes) (*gorgonia.Node, error) {
					y, _, _, _, err := gorgonia.BatchNorm(in[0], in[1], in[2], 0.1, 1e-5)
					if err != nil {
						return nil, err
					}
					return stockActivation(y, tc.act)
				})
			checkClose(t, "output", ours.out, stock.out, 1e-4)
			for i, what := range []string{"input", "scale", "bias"} {
				checkClose(t, what+" gradient", ours.grads[i], stock.grads[i], 1e-4)
			}
		})
	}
}

// TestBatchNormStats checks the running averages after one training run
// and that evaluation mode normalises with them.
func TestBatchNormStats(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	const n, c, hw = 4, 2, 6
	in := bnInputs(rng, tensor.Float64, n, c, 2, 3, vectorShape(c))
	stats := NewBatchNormStats(c)
	g := gorgonia.NewGraph()
	nodes := make(gorgonia.Nodes, 3)
	for i, v := range in {
		// Unnamed inputs of one shape would be merged into one node.
		nodes[i] = gorgonia.NodeFromAny(g, v, gorgonia.WithName(string(rune('a'+i))))
	}
	y, err := BatchNorm(nodes[0], nodes[1], nodes[2], stats,
		BatchNormOptions{Activation: Linear})
	if err != nil {
		t.Fatal(err)
	}
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	x := in[0].Data().([]float64)
	for ch := range c {
		mean, variance := channelMoments(x, n, c, hw, ch)
		unbiased := variance * n * hw / (n*hw - 1)
		if got, want := stats.Mean[ch], 0.1*mean; math.Abs(got-want) > 1e-12 {
			t.Errorf("running mean[%d] = %g, want %g", ch, got, want)
		}
		if got, want := stats.Var[ch], 0.9+0.1*unbiased; math.Abs(got-want) > 1e-12 {
			t.Errorf("running variance[%d] = %g, want %g", ch, got, want)
		}
	}

	eval := gorgonia.NewTapeMachine(g, gorgonia.EvalMode())
	defer eval.Close()
	if err := eval.RunAll(); err != nil {
		t.Fatal(err)
	}
	out := y.Value().Data().([]float64)
	scale, bias := in[1].Data().([]float64), in[2].Data().([]float64)
	for i, v := range x {
		ch := i / hw % c
		want := scale[ch]*(v-stats.Mean[ch])/math.Sqrt(stats.Var[ch]+1e-5) + bias[ch]
		if math.Abs(out[i]-want) > 1e-9 {
			t.Fatalf("eval output[%d] = %g, want %g", i, out[i], want)
		}
	}
}

// stockActivation applies act to x with gorgonia's operations.
func stockActivation(x *gorgonia.Node, act Activation) (*gorgonia.Node, error) {
	switch {
	case act.tanh:
		return gorgonia.Tanh(x)
	case act.slope == 1:
		return x, nil
	case act.slope == 0:
		return gorgonia.Rectify(x)
	}
	return gorgonia.LeakyRelu(x, act.slope)
}
