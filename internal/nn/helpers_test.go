package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// randomTensor returns a tensor of normal values from a seeded generator.
func randomTensor(rng *rand.Rand, dt tensor.Dtype, shape ...int) *tensor.Dense {
	t := tensor.New(tensor.Of(dt), tensor.WithShape(shape...))
	switch d := t.Data().(type) {
	case []float32:
		for i := range d {
			d[i] = float32(rng.NormFloat64())
		}
	case []float64:
		for i := range d {
			d[i] = rng.NormFloat64()
		}
	}
	return t
}

// builder adds the operations under test to g, reading the given inputs.
type builder func(g *gorgonia.ExprGraph, in gorgonia.Nodes) (*gorgonia.Node, error)

// run evaluates build on the inputs and returns its output and the
// gradients of Σ r⊙output with respect to the inputs listed in wrt, r
// being a fixed random tensor, so the gradient reaching the output is r.
type runResult struct {
	out   []float64
	grads [][]float64
	// cost re-runs the graph after the inputs were changed in place.
	cost func() float64
}

func run(t *testing.T, inputs []*tensor.Dense, wrt []int, build builder) runResult {
	t.Helper()
	g := gorgonia.NewGraph()
	nodes := make(gorgonia.Nodes, len(inputs))
	for i, in := range inputs {
		nodes[i] = gorgonia.NodeFromAny(g, in, gorgonia.WithName(string(rune('a'+i))))
	}
	y, err := build(g, nodes)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	r := gorgonia.NodeFromAny(g, randomTensor(rng, inputs[0].Dtype(), y.Shape()...),
		gorgonia.WithName("r"))
	cost := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.HadamardProd(y, r))))
	var wrtNodes gorgonia.Nodes
	for _, i := range wrt {
		wrtNodes = append(wrtNodes, nodes[i])
	}
	grads, err := gorgonia.Grad(cost, wrtNodes...)
	if err != nil {
		t.Fatal(err)
	}
	var yv, cv gorgonia.Value
	gorgonia.Read(y, &yv)
	gorgonia.Read(cost, &cv)
	gvs := make([]gorgonia.Value, len(grads))
	for i, gr := range grads {
		gorgonia.Read(gr, &gvs[i])
	}
	vm := gorgonia.NewTapeMachine(g)
	t.Cleanup(func() { vm.Close() })
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	res := runResult{out: floats(yv)}
	for _, gv := range gvs {
		res.grads = append(res.grads, floats(gv))
	}
	res.cost = func() float64 {
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		return floats(cv)[0]
	}
	return res
}

// floats copies a value's elements as float64.
func floats(v gorgonia.Value) []float64 {
	switch d := v.Data().(type) {
	case []float32:
		out := make([]float64, len(d))
		for i, x := range d {
			out[i] = float64(x)
		}
		return out
	case []float64:
		return append([]float64(nil), d...)
	case float32:
		return []float64{float64(d)}
	case float64:
		return []float64{d}
	}
	panic("not a float value")
}

// checkGradients compares the gradients build's graph computes for the
// float64 inputs listed in wrt with central finite differences.
func checkGradients(t *testing.T, inputs []*tensor.Dense, wrt []int, build builder) {
	t.Helper()
	res := run(t, inputs, wrt, build)
	const h, tol = 1e-6, 1e-5
	rng := rand.New(rand.NewPCG(3, 3))
	for k, i := range wrt {
		d := inputs[i].Data().([]float64)
		// Every element of small tensors, a sample of large ones.
		idx := rng.Perm(len(d))[:min(len(d), 40)]
		for _, j := range idx {
			v := d[j]
			d[j] = v + h
			plus := res.cost()
			d[j] = v - h
			minus := res.cost()
			d[j] = v
			want := (plus - minus) / (2 * h)
			got := res.grads[k][j]
			if !(math.Abs(got-want) <= tol*max(1, math.Abs(want))) {
				t.Errorf("input %d element %d: gradient %.8g, finite difference %.8g",
					i, j, got, want)
			}
		}
	}
}

// checkClose fails the test when got and want differ by more than tol,
// relative to the largest magnitude of want, or when got is not a number.
func checkClose(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	scale := 1.0
	for _, w := range want {
		scale = max(scale, math.Abs(w))
	}
	for i := range got {
		if !(math.Abs(got[i]-want[i]) <= tol*scale) {
			t.Fatalf("%s[%d] = %.7g, want %.7g (tolerance %g of %g)",
				what, i, got[i], want[i], tol, scale)
		}
	}
}
