package gan

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Every convolution, upsampling, normalisation and activation node of the
// model is made here, so that faster implementations of these operations
// replace the stock gorgonia ones in this file only.

const (
	// normMomentum weighs a batch in the running statistics, as in PyTorch.
	normMomentum = 0.1
	normEpsilon  = 1e-5
	leakSlope    = 0.2
)

// activation names the function applied after a normalisation.
type activation int

const (
	actNone activation = iota
	actReLU
	actLeaky
)

// builder adds layers to one graph and keeps the first error, so that a
// model reads as its list of layers; every method is a no-op once an error
// is recorded.
type builder struct {
	g     *G.ExprGraph
	train bool    // batch statistics (true) or running statistics (false)
	norms []*norm // batch-norm layers in the order they were made
	err   error
}

func (b *builder) fail(what string, err error) {
	if err != nil && b.err == nil {
		b.err = fmt.Errorf("%s: %w", what, err)
	}
}

// conv convolves x (batch, in, h, w) with w (out, in, kh, kw).
func (b *builder) conv(x, w *G.Node, stride, pad int) *G.Node {
	if b.err != nil {
		return nil
	}
	kernel := tensor.Shape{w.Shape()[2], w.Shape()[3]}
	y, err := G.Conv2d(x, w, kernel, []int{pad, pad}, []int{stride, stride},
		[]int{1, 1})
	b.fail("convolution "+w.Name(), err)
	return y
}

// upsample2x repeats every pixel of x (batch, c, h, w) into a 2×2 block.
func (b *builder) upsample2x(x *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	y, err := G.Upsample2D(x, 2)
	b.fail("upsample", err)
	return y
}

// normAct normalises x (batch, c, h, w) per channel, scales and shifts it by
// scale and shift (1, c, 1, 1), and applies act.
func (b *builder) normAct(x, scale, shift *G.Node, act activation) *G.Node {
	if b.err != nil {
		return nil
	}
	y, _, _, op, err := G.BatchNorm(x, scale, shift, normMomentum, normEpsilon)
	if err != nil {
		b.fail("batch norm "+scale.Name(), err)
		return nil
	}

	// A new op's running variance is zero; Reset makes it one. SetTraining
	// is called only to leave training, since entering it resets the stats.
	// NewTapeMachine calls SetTraining on every op too: statistics are set
	// after the machine is made, and a graph that uses them needs EvalMode.
	b.fail("batch norm reset", op.Reset())
	if !b.train {
		b.fail("batch norm mode", op.SetTraining(false))
	}
	b.norms = append(b.norms, &norm{name: scale.Name(), op: op})
	return b.activate(y, act)
}

// activate applies act to x.
func (b *builder) activate(x *G.Node, act activation) *G.Node {
	if b.err != nil {
		return nil
	}
	var y *G.Node
	var err error
	switch act {
	case actNone:
		return x
	case actReLU:
		y, err = G.Rectify(x)
	case actLeaky:
		y, err = G.LeakyRelu(x, leakSlope)
	}
	b.fail("activation", err)
	return y
}

// tanh squashes x into (-1, 1).
func (b *builder) tanh(x *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	y, err := G.Tanh(x)
	b.fail("tanh", err)
	return y
}

// addBias adds bias (1, c, 1, 1) to every pixel of x (batch, c, h, w).
func (b *builder) addBias(x, bias *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	y, err := G.Auto(G.BroadcastAdd, x, bias)
	b.fail("bias "+bias.Name(), err)
	return y
}

// matMul multiplies x (batch, in) by w (in, out).
func (b *builder) matMul(x, w *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	y, err := G.Mul(x, w)
	b.fail("linear "+w.Name(), err)
	return y
}

// reshape gives x a new shape with the same number of elements.
func (b *builder) reshape(x *G.Node, shape ...int) *G.Node {
	if b.err != nil {
		return nil
	}
	y, err := G.Reshape(x, shape)
	b.fail("reshape", err)
	return y
}

// norm is one batch-norm layer's running statistics.
type norm struct {
	name string
	op   *G.BatchNormOp
}

// stats returns copies of the running mean and variance.
func (n *norm) stats() (mean, variance []float32) {
	m, v := n.op.Stats()
	mean = append([]float32(nil), m.Data().([]float32)...)
	variance = append([]float32(nil), v.Data().([]float32)...)
	return mean, variance
}

// setStats copies mean and variance into the running statistics.
func (n *norm) setStats(mean, variance []float32) error {
	m := tensor.New(tensor.WithShape(len(mean)), tensor.WithBacking(mean))
	v := tensor.New(tensor.WithShape(len(variance)), tensor.WithBacking(variance))
	if err := n.op.SetStats(m, v); err != nil {
		return fmt.Errorf("batch norm %s: %w", n.name, err)
	}
	return nil
}

// minibatch adds minibatch discrimination: features f (batch, n) are
// projected by t (n, kernels × dim) to kernels vectors of length dim per
// sample; for each kernel, a sample's output is the sum over the batch of
// exp(-L1 distance) between its vector and the others'. It returns
// (batch, kernels).
func (b *builder) minibatch(f, t *G.Node, kernels, dim int) *G.Node {
	batch := f.Shape()[0]
	m := b.matMul(f, t)
	rows := b.reshape(m, batch, 1, kernels, dim)
	cols := b.reshape(m, 1, batch, kernels, dim)
	if b.err != nil {
		return nil
	}
	d, err := G.BroadcastSub(rows, cols, []byte{1}, []byte{0})
	if err == nil {
		d, err = G.Abs(d)
	}
	if err == nil {
		d, err = G.Sum(d, 3)
	}
	if err == nil {
		d, err = G.Neg(d)
	}
	if err == nil {
		d, err = G.Exp(d)
	}
	if err == nil {
		d, err = G.Sum(d, 1)
	}
	b.fail("minibatch discrimination", err)
	return d
}
