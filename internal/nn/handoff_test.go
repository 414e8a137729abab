package nn

import (
	"errors"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestHandoff runs a layer split at its output: the value handed over and
// the gradients computed from the gradient handed back must equal those
// of the same layer differentiated in one piece, even when another graph
// of this package runs in between, over the shared arena.
func TestHandoff(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := randomTensor(rng, tensor.Float32, 2, 3, 4, 4)
	b := randomTensor(rng, tensor.Float32, broadcastShape(3)...)
	layer := func(g *gorgonia.ExprGraph, in gorgonia.Nodes) (*gorgonia.Node, error) {
		return BiasAct(in[0], in[1], BiasOptions{Activation: LeakyReLU(0.2)})
	}
	// run differentiates Σ r⊙y, r being this seeded tensor.
	r := randomTensor(rand.New(rand.NewPCG(7, 7)), tensor.Float32, 2, 3, 4, 4)
	want := run(t, []*tensor.Dense{x, b}, []int{0, 1}, layer)

	g := gorgonia.NewGraph()
	KeepApart(g)
	in := gorgonia.Nodes{gorgonia.NodeFromAny(g, x, gorgonia.WithName("x")),
		gorgonia.NodeFromAny(g, b, gorgonia.WithName("b"))}
	y, err := layer(g, in)
	if err != nil {
		t.Fatal(err)
	}
	h, loss, err := NewHandoff(y)
	if err != nil {
		t.Fatal(err)
	}
	grads, err := gorgonia.Grad(loss, in...)
	if err != nil {
		t.Fatal(err)
	}
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()

	for round := range 2 {
		got, err := h.Forward(vm)
		if err != nil {
			t.Fatal(err)
		}
		out := floats(got)

		// Another graph over the shared arena, with other inputs.
		other := rand.New(rand.NewPCG(9, uint64(round)))
		run(t, []*tensor.Dense{randomTensor(other, tensor.Float32, 2, 3, 4, 4),
			randomTensor(other, tensor.Float32, broadcastShape(3)...)}, []int{0, 1}, layer)

		checkClose(t, "value handed over", out, want.out, 0)
		if err := h.Backward(r); err != nil {
			t.Fatal(err)
		}
		checkClose(t, "value after the run", floats(got), want.out, 0)
		checkClose(t, "input gradient", floats(grads[0].Value()), want.grads[0], 1e-6)
		checkClose(t, "bias gradient", floats(grads[1].Value()), want.grads[1], 1e-6)
		vm.Reset()
	}

	// A run given no gradient ends with ErrAbandoned, and the next works.
	if _, err := h.Forward(vm); err != nil {
		t.Fatal(err)
	}
	if err := h.Backward(nil); !errors.Is(err, ErrAbandoned) {
		t.Fatalf("abandoned run: error %v, want %v", err, ErrAbandoned)
	}
	vm.Reset()
	if _, err := h.Forward(vm); err != nil {
		t.Fatal(err)
	}
	if err := h.Backward(r); err != nil {
		t.Fatal(err)
	}
	checkClose(t, "input gradient after an abandoned run", floats(grads[0].Value()),
		want.grads[0], 1e-6)
}

// TestHandoffWrongGradient checks that a gradient of the wrong shape
// fails the run rather than being used.
func TestHandoffWrongGradient(t *testing.T) {
	g := gorgonia.NewGraph()
	KeepApart(g)
	x := gorgonia.NodeFromAny(g, tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(2, 3)),
		gorgonia.WithName("x"))
	h, loss, err := NewHandoff(x)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gorgonia.Grad(loss, x); err != nil {
		t.Fatal(err)
	}
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()
	if _, err := h.Forward(vm); err != nil {
		t.Fatal(err)
	}
	wrong := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(3, 2))
	if err := h.Backward(wrong); err == nil {
		t.Fatal("a gradient of shape (3, 2) for (2, 3) was accepted")
	}
}
