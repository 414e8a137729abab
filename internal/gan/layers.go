package gan

import (
	"fmt"

	G "gorgonia.org/gorgonia"

	"animeface/internal/nn"
)

// Every convolution, upsampling, normalisation and activation node of the
// model is made here, on the operations of package nn: they unfold one
// sample at a time in parallel, reuse their buffers from step to step and
// fuse upsampling with convolution and bias or normalisation with
// activation, where gorgonia's stock operations are slow and allocate
// gigabytes per step.

const (
	// normMomentum weighs a batch in the running statistics, as in PyTorch.
	normMomentum = 0.1
	normEpsilon  = 1e-5
	leakSlope    = 0.2
)

// activation names the function applied after a normalisation or a bias.
type activation int

const (
	actNone activation = iota
	actReLU
	actLeaky
	actTanh
)

// fn returns the nn activation act names.
func (act activation) fn() nn.Activation {
	switch act {
	case actReLU:
		return nn.ReLU
	case actLeaky:
		return nn.LeakyReLU(leakSlope)
	case actTanh:
		return nn.Tanh
	}
	return nn.Linear
}

// builder adds layers to one graph and keeps the first error, so that a
// model reads as its list of layers; every method is a no-op once an error
// is recorded.
type builder struct {
	g     *G.ExprGraph
	train bool    // batch statistics (true) or running statistics (false)
	norms []*norm // batch-norm layers in the order they were made
	// learned names the parameters the graph trains, nil meaning all of
	// them: layers leave out the gradients that reach none of them, such
	// as the discriminator's weights in the generator's graph.
	learned map[string]bool
	err     error
}

func (b *builder) fail(what string, err error) {
	if err != nil && b.err == nil {
		b.err = fmt.Errorf("%s: %w", what, err)
	}
}

// learns reports whether the parameter node p is trained in b's graph.
func (b *builder) learns(p *G.Node) bool { return b.learned == nil || b.learned[p.Name()] }

// needsGrad reports whether a gradient must flow into x: whether x is or
// depends on a trained parameter.
func (b *builder) needsGrad(x *G.Node) bool {
	if b.learned == nil || b.learned[x.Name()] {
		return true
	}
	children := b.g.From(x.ID())
	for children.Next() {
		if c, ok := children.Node().(*G.Node); ok && b.needsGrad(c) {
			return true
		}
	}
	return false
}

// conv convolves x (batch, in, h, w) with w (out, in, kh, kw).
func (b *builder) conv(x, w *G.Node, stride, pad int) *G.Node {
	if b.err != nil {
		return nil
	}
	y, err := nn.Conv2d(x, w, nn.ConvOptions{Stride: stride, Pad: pad,
		NoFilterGrad: !b.learns(w), NoInputGrad: !b.needsGrad(x)})
	b.fail("convolution "+w.Name(), err)
	return y
}

// upconv is conv(upsample2x(x), w, 1, 1) for a 3×3 w, computed without
// the upsampled tensor and with 2.25 times fewer multiplications.
func (b *builder) upconv(x, w *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	y, err := nn.UpConv(x, w, nn.ConvOptions{NoFilterGrad: !b.learns(w),
		NoInputGrad: !b.needsGrad(x)})
	b.fail("upsampling convolution "+w.Name(), err)
	return y
}

// normAct normalises x (batch, c, h, w) per channel, scales and shifts it by
// scale and shift (1, c, 1, 1), and applies act. A graph with running
// statistics (train false) needs a machine made with G.EvalMode, since
// NewTapeMachine sets every operation's mode.
func (b *builder) normAct(x, scale, shift *G.Node, act activation) *G.Node {
	if b.err != nil {
		return nil
	}
	stats := nn.NewBatchNormStats(x.Shape()[1])
	stats.Momentum, stats.Epsilon = normMomentum, normEpsilon
	y, err := nn.BatchNorm(x, scale, shift, stats, nn.BatchNormOptions{
		Activation: act.fn(), NoParamGrad: !b.learns(scale) && !b.learns(shift)})
	b.fail("batch norm "+scale.Name(), err)
	b.norms = append(b.norms, &norm{name: scale.Name(), stats: stats})
	return y
}

// biasAct adds bias (1, c, 1, 1) to every pixel of x (batch, c, h, w)
// and applies act.
func (b *builder) biasAct(x, bias *G.Node, act activation) *G.Node {
	if b.err != nil {
		return nil
	}
	y, err := nn.BiasAct(x, bias, nn.BiasOptions{Activation: act.fn(),
		NoBiasGrad: !b.learns(bias)})
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
	name  string
	stats *nn.BatchNormStats
}

// runningStats returns copies of the running mean and variance.
func (n *norm) runningStats() (mean, variance []float32) {
	return toFloat32(n.stats.Mean), toFloat32(n.stats.Var)
}

// setStats copies mean and variance into the running statistics.
func (n *norm) setStats(mean, variance []float32) error {
	if len(mean) != len(n.stats.Mean) || len(variance) != len(n.stats.Var) {
		return fmt.Errorf("batch norm %s: %d means and %d variances for %d channels",
			n.name, len(mean), len(variance), len(n.stats.Mean))
	}
	for i := range mean {
		n.stats.Mean[i], n.stats.Var[i] = float64(mean[i]), float64(variance[i])
	}
	return nil
}

func toFloat32(x []float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
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
