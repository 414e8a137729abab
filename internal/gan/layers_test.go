package gan

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// gradCase is a layer under test: build adds it to b on inputs of the
// given shapes and returns its output.
type gradCase struct {
	name   string
	shapes [][]int
	build  func(b *builder, in []*G.Node) *G.Node
}

// TestLayerGradients checks, in float64, the gradient of every layer the
// model is made of against central finite differences of a random linear
// function of the layer's output.
func TestLayerGradients(t *testing.T) {
	cases := []gradCase{
		{"conv 3x3 stride 1 pad 1", [][]int{{2, 3, 5, 5}, {4, 3, 3, 3}},
			func(b *builder, in []*G.Node) *G.Node { return b.conv(in[0], in[1], 1, 1) }},
		{"conv 4x4 stride 2 pad 1", [][]int{{2, 2, 6, 6}, {3, 2, 4, 4}},
			func(b *builder, in []*G.Node) *G.Node { return b.conv(in[0], in[1], 2, 1) }},
		{"conv 4x4 valid", [][]int{{2, 3, 4, 4}, {1, 3, 4, 4}},
			func(b *builder, in []*G.Node) *G.Node { return b.conv(in[0], in[1], 1, 0) }},
		{"upsample 2x", [][]int{{2, 3, 3, 4}},
			func(b *builder, in []*G.Node) *G.Node { return b.upsample2x(in[0]) }},
		{"batch norm + relu", [][]int{{4, 3, 3, 3}, {1, 3, 1, 1}, {1, 3, 1, 1}},
			func(b *builder, in []*G.Node) *G.Node {
				return b.normAct(in[0], in[1], in[2], actReLU)
			}},
		{"batch norm + leaky relu", [][]int{{3, 2, 2, 3}, {1, 2, 1, 1}, {1, 2, 1, 1}},
			func(b *builder, in []*G.Node) *G.Node {
				return b.normAct(in[0], in[1], in[2], actLeaky)
			}},
		{"leaky relu", [][]int{{2, 3, 2, 2}},
			func(b *builder, in []*G.Node) *G.Node { return b.activate(in[0], actLeaky) }},
		{"tanh", [][]int{{2, 3, 2, 2}},
			func(b *builder, in []*G.Node) *G.Node { return b.tanh(in[0]) }},
		{"bias", [][]int{{2, 3, 2, 2}, {1, 3, 1, 1}},
			func(b *builder, in []*G.Node) *G.Node { return b.addBias(in[0], in[1]) }},
		{"linear", [][]int{{3, 4}, {4, 5}},
			func(b *builder, in []*G.Node) *G.Node { return b.matMul(in[0], in[1]) }},
		{"discriminator loss", [][]int{{5}, {5}},
			func(b *builder, in []*G.Node) *G.Node { return b.discLoss(in[0], in[1]) }},
		{"minibatch discrimination", [][]int{{3, 4}, {4, 6}},
			func(b *builder, in []*G.Node) *G.Node { return b.minibatch(in[0], in[1], 2, 3) }},
		{"z loss", [][]int{{3, 2}, {3, 2}},
			func(b *builder, in []*G.Node) *G.Node { return b.zLoss(in[0], in[1]) }},
		{"generator loss", [][]int{{5}},
			func(b *builder, in []*G.Node) *G.Node { return b.genLoss(in[0]) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkGradient(t, c) })
	}
}

func checkGradient(t *testing.T, c gradCase) {
	rng := rand.New(rand.NewPCG(3, 4))
	values := make([]*tensor.Dense, len(c.shapes))
	for i, s := range c.shapes {
		values[i] = randomTensor(rng, s)
	}

	// The analytic gradient of sum(w ⊙ layer(inputs)) for a fixed random w.
	g := G.NewGraph()
	b := &builder{g: g, train: true}
	in := make([]*G.Node, len(values))
	for i, v := range values {
		in[i] = G.NewTensor(g, G.Float64, v.Dims(), G.WithShape(v.Shape()...),
			G.WithValue(v), G.WithName(string(rune('a'+i))))
	}
	out := c.build(b, in)
	if b.err != nil {
		t.Fatal(b.err)
	}
	var w *G.Node
	if out.IsScalar() {
		w = G.NewScalar(g, G.Float64, G.WithValue(rng.NormFloat64()), G.WithName("w"))
	} else {
		weights := randomTensor(rng, out.Shape())
		w = G.NewTensor(g, G.Float64, out.Dims(), G.WithShape(out.Shape()...),
			G.WithValue(weights), G.WithName("w"))
	}
	prod, err := G.HadamardProd(out, w)
	if err != nil {
		t.Fatal(err)
	}
	cost, err := G.Sum(prod)
	if err != nil {
		t.Fatal(err)
	}
	grads, err := G.Grad(cost, in...)
	if err != nil {
		t.Fatal(err)
	}
	var costVal G.Value
	G.Read(cost, &costVal)
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	run := func() float64 {
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		defer vm.Reset()
		return costVal.Data().(float64)
	}
	run()
	analytic := make([][]float64, len(grads))
	for i, gr := range grads {
		analytic[i] = append([]float64(nil), gr.Value().Data().([]float64)...)
	}

	// Central differences, input by input.
	const h = 1e-6
	for i, v := range values {
		data := v.Data().([]float64)
		for j := range data {
			old := data[j]
			data[j] = old + h
			up := run()
			data[j] = old - h
			down := run()
			data[j] = old
			numeric := (up - down) / (2 * h)
			if diff := math.Abs(numeric - analytic[i][j]); diff > 1e-5*(1+math.Abs(numeric)) {
				t.Fatalf("input %d element %d: analytic %.8g, numeric %.8g",
					i, j, analytic[i][j], numeric)
			}
		}
	}
}

func randomTensor(rng *rand.Rand, shape []int) *tensor.Dense {
	n := 1
	for _, s := range shape {
		n *= s
	}
	data := make([]float64, n)
	for i := range data {
		data[i] = rng.NormFloat64()
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
}

// TestLossLargeLogits checks that the losses stay finite and exact where
// a naive log(sigmoid(x)) would overflow.
func TestLossLargeLogits(t *testing.T) {
	g := G.NewGraph()
	b := &builder{g: g, train: true}
	real := G.NewVector(g, G.Float64, G.WithShape(3), G.WithName("real"),
		G.WithValue(tensor.New(tensor.WithBacking([]float64{-1000, 0, 1000}))))
	fake := G.NewVector(g, G.Float64, G.WithShape(3), G.WithName("fake"),
		G.WithValue(tensor.New(tensor.WithBacking([]float64{1000, -50, 3}))))
	lossD := b.discLoss(real, fake)
	lossG := b.genLoss(fake)
	if b.err != nil {
		t.Fatal(b.err)
	}
	var dv, gv G.Value
	G.Read(lossD, &dv)
	G.Read(lossG, &gv)
	grads, err := G.Grad(lossD, real, fake)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}

	sp := func(x float64) float64 {
		return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x)))
	}
	wantD := (sp(1000)+sp(0)+sp(-1000))/3 + (sp(1000)+sp(-50)+sp(3))/3
	wantG := (sp(-1000) + sp(50) + sp(-3)) / 3
	if got := dv.Data().(float64); math.Abs(got-wantD) > 1e-9*wantD {
		t.Errorf("discriminator loss %v, want %v", got, wantD)
	}
	if got := gv.Data().(float64); math.Abs(got-wantG) > 1e-9*wantG {
		t.Errorf("generator loss %v, want %v", got, wantG)
	}
	for _, gr := range grads {
		for _, x := range gr.Value().Data().([]float64) {
			if !finite(x) || math.Abs(x) > 1 {
				t.Errorf("gradient %v is not a finite value in [-1/3, 1/3]", x)
			}
		}
	}
}
