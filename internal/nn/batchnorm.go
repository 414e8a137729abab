package nn

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// BatchNormStats holds the running mean and variance of a batch norm's
// channels, which normalise in evaluation mode, and are updated by every
// training-mode run. Mean and Var are exported to be saved and restored
// with a checkpoint; several batch norm nodes (one per graph) may share
// one BatchNormStats. It is not safe for concurrent runs.
type BatchNormStats struct {
	// Mean and Var are the running mean and unbiased variance per channel.
	Mean, Var []float64
	// Momentum is the weight of a new batch in the running averages.
	Momentum float64
	// Epsilon is added to the variance before its square root.
	Epsilon float64
}

// NewBatchNormStats returns the statistics of a batch norm over the
// given number of channels, with PyTorch's defaults: mean 0, variance 1,
// momentum 0.1, epsilon 1e-5.
func NewBatchNormStats(channels int) *BatchNormStats {
	s := &BatchNormStats{Mean: make([]float64, channels), Var: make([]float64, channels),
		Momentum: 0.1, Epsilon: 1e-5}
	for i := range s.Var {
		s.Var[i] = 1
	}
	return s
}

// BatchNormOptions configures BatchNorm.
type BatchNormOptions struct {
	// Activation follows the normalisation; the zero value is ReLU.
	Activation Activation
	// NoParamGrad leaves out the gradients of scale and bias, which are
	// then not differentiable in this graph.
	NoParamGrad bool
}

// BatchNorm returns act(scale·(x−mean)/√(var+ε) + bias) per channel of x
// (batch, channels, height, width). In training mode, the default, mean
// and var are those of the batch and the running averages in stats are
// updated; in evaluation mode (a tape machine built with
// gorgonia.EvalMode) the running ones are used. scale and bias hold one
// value per channel, in any shape.
func BatchNorm(x, scale, bias *gorgonia.Node, stats *BatchNormStats,
	opts BatchNormOptions) (*gorgonia.Node, error) {
	xs := x.Shape()
	if len(xs) != 4 {
		return nil, fmt.Errorf("batch norm: input %v must have 4 dimensions", xs)
	}
	c := xs[1]
	if scale.Shape().TotalSize() != c || bias.Shape().TotalSize() != c {
		return nil, fmt.Errorf("batch norm: scale %v and bias %v must hold %d values",
			scale.Shape(), bias.Shape(), c)
	}
	if len(stats.Mean) != c || len(stats.Var) != c {
		return nil, fmt.Errorf("batch norm: statistics for %d channels, input has %d",
			len(stats.Mean), c)
	}
	op := &bnOp{x: xs.Clone(), param: scale.Shape().Clone(), stats: stats,
		act: opts.Activation, noParam: opts.NoParamGrad, training: true}
	op.out = newOutput(x, xs)
	y, err := gorgonia.ApplyOp(op, x, scale, bias)
	if err != nil {
		return nil, fmt.Errorf("batch norm: %w", err)
	}
	return y, nil
}

// bnOp normalises and activates: inputs x, scale, bias, output y. It keeps
// the mean and inverse deviation it used for the gradient operations.
type bnOp struct {
	opBase
	x, param tensor.Shape
	stats    *BatchNormStats
	act      Activation
	noParam  bool
	training bool

	// Set by each run for the gradient operations.
	used   bool // whether the run normalised with batch statistics
	mean   []float64
	invStd []float64
	out    output
}

func (op *bnOp) Arity() int    { return 3 }
func (op *bnOp) Type() hm.Type { return fnType(4, 4, op.param.Dims(), op.param.Dims()) }
func (op *bnOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.x, nil
}
func (op *bnOp) String() string {
	return fmt.Sprintf("BatchNorm%v(%v, stats %p)", op.x, op.act, op.stats)
}
func (op *bnOp) Hashcode() uint32      { return hashString(op) }
func (op *bnOp) WriteHash(h hash.Hash) { writeHash(h, op) }

// SetTraining chooses batch (true) or running (false) statistics; the
// tape machine calls it. Unlike gorgonia's batch norm, it keeps the
// running statistics.
func (op *bnOp) SetTraining(training bool) error {
	op.training = training
	return nil
}

func (op *bnOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	in, dt, err := inputs("batch norm", vals, op.x, op.param, op.param)
	if err != nil {
		return nil, err
	}
	y := op.out.get(dt, op.x)
	if dt == tensor.Float32 {
		bnForward(op, data[float32](in[0]), data[float32](in[1]), data[float32](in[2]),
			data[float32](y))
	} else {
		bnForward(op, data[float64](in[0]), data[float64](in[1]), data[float64](in[2]),
			data[float64](y))
	}
	return y, nil
}

func (op *bnOp) DiffWRT(int) []bool { return []bool{true, !op.noParam, !op.noParam} }

func (op *bnOp) SymDiff(in gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	back := &bnGradOp{fwd: op, out: newOutput(grad, op.x)}
	dx, err := gorgonia.ApplyOp(back, in[0], in[1], in[2], grad)
	if err != nil {
		return nil, fmt.Errorf("batch norm gradient: %w", err)
	}
	grads := gorgonia.Nodes{dx, nil, nil}
	if op.noParam {
		return grads, nil
	}
	for i := range 2 {
		pick := &bnParamGradOp{back: back, row: i, shape: op.param,
			out: newOutput(grad, op.param)}
		if grads[1+i], err = gorgonia.ApplyOp(pick, dx); err != nil {
			return nil, fmt.Errorf("batch norm gradient: %w", err)
		}
	}
	return grads, nil
}

// planes returns the batch size, channels and plane size of op's input.
func (op *bnOp) planes() (n, c, hw int) { return op.x[0], op.x[1], op.x[2] * op.x[3] }

// bnForward normalises x into y one channel per goroutine at a time.
func bnForward[T float](op *bnOp, x, scale, bias, y []T) {
	n, c, hw := op.planes()
	op.mean = growFloats(op.mean, c)
	op.invStd = growFloats(op.invStd, c)
	op.used = op.training
	s := op.stats
	parallel(c, func(_, ch int) {
		mean, variance := s.Mean[ch], s.Var[ch]
		if op.training {
			mean, variance = channelMoments(x, n, c, hw, ch)
			m, unbiased := s.Momentum, variance
			if count := n * hw; count > 1 {
				unbiased *= float64(count) / float64(count-1)
			}
			s.Mean[ch] = (1-m)*s.Mean[ch] + m*mean
			s.Var[ch] = (1-m)*s.Var[ch] + m*unbiased
		}
		inv := 1 / math.Sqrt(variance+s.Epsilon)
		op.mean[ch], op.invStd[ch] = mean, inv
		a, b := affine(scale[ch], bias[ch], mean, inv)
		for i := range n {
			off := (i*c + ch) * hw
			activate(op.act, y[off:off+hw], x[off:off+hw], a, b)
		}
	})
}

// affine returns a and b such that a·x + b is scale·x̂ + bias, x̂ being x
// normalised by mean and inv, the inverse of the standard deviation.
func affine[T float](scale, bias T, mean, inv float64) (a, b T) {
	return T(float64(scale) * inv), T(float64(bias) - float64(scale)*inv*mean)
}

// channelMoments returns the mean and biased variance of channel ch, in
// one pass: float64 sums of x and x² lose nothing that matters for
// float32 activations unless their mean is 10⁵ times their deviation.
func channelMoments[T float](x []T, n, c, hw, ch int) (mean, variance float64) {
	var sum, sq float64
	for i := range n {
		s, q := moments(x[(i*c+ch)*hw:][:hw])
		sum += s
		sq += q
	}
	count := float64(n * hw)
	mean = sum / count
	return mean, max(0, sq/count-mean*mean)
}

// moments returns Σx and Σx² over x. Each sum is kept in four running
// sums added at the end: one would wait on the latency of every addition
// before it.
func moments[T float](x []T) (sum, sq float64) {
	var s0, s1, s2, s3, q0, q1, q2, q3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := (*[4]T)(x[i:])
		f0, f1, f2, f3 := float64(v[0]), float64(v[1]), float64(v[2]), float64(v[3])
		s0, s1, s2, s3 = s0+f0, s1+f1, s2+f2, s3+f3
		q0, q1, q2, q3 = q0+f0*f0, q1+f1*f1, q2+f2*f2, q3+f3*f3
	}
	for ; i < len(x); i++ {
		f := float64(x[i])
		s0 += f
		q0 += f * f
	}
	return (s0 + s1) + (s2 + s3), (q0 + q1) + (q2 + q3)
}

func growFloats(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// bnGradOp computes the gradient of a batch norm's input, and on the
// way the sums that are the gradients of its scale and bias, which it
// keeps for bnParamGradOp: inputs x, scale, bias, dy, output dx. One
// operation does both so that each channel's x and dy are read from
// memory once, the second pass over them finding them in cache.
type bnGradOp struct {
	opBase
	fwd *bnOp
	out output
	// sums[ch] is Σ dpre·x̂ and sums[c+ch] Σ dpre, dpre being the gradient
	// before the activation; set by each run.
	sums []float64
}

func (op *bnGradOp) Arity() int { return 4 }
func (op *bnGradOp) Type() hm.Type {
	p := op.fwd.param.Dims()
	return fnType(4, 4, p, p, 4)
}
func (op *bnGradOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.fwd.x, nil
}
func (op *bnGradOp) String() string        { return "BatchNormGrad" + op.fwd.String() }
func (op *bnGradOp) Hashcode() uint32      { return hashString(op) }
func (op *bnGradOp) WriteHash(h hash.Hash) { writeHash(h, op) }

func (op *bnGradOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	f := op.fwd
	in, dt, err := inputs("batch norm gradient", vals, f.x, f.param, f.param, f.x)
	if err != nil {
		return nil, err
	}
	dx := op.out.get(dt, f.x)
	op.sums = growFloats(op.sums, 2*f.x[1])
	if dt == tensor.Float32 {
		bnGrad(op, data[float32](in[0]), data[float32](in[1]), data[float32](in[2]),
			data[float32](in[3]), data[float32](dx))
	} else {
		bnGrad(op, data[float64](in[0]), data[float64](in[1]), data[float64](in[2]),
			data[float64](in[3]), data[float64](dx))
	}
	return dx, nil
}

// bnGrad computes, per channel, dpre into dx and the sums Σ dpre·x̂ and
// Σ dpre, then dx = scale·invStd·(dpre − (Σdpre + x̂·Σdpre·x̂)/count) with
// batch statistics, or scale·invStd·dpre with running ones.
func bnGrad[T float](op *bnGradOp, x, scale, bias, dy, dx []T) {
	f := op.fwd
	n, c, hw := f.planes()
	count := float64(n * hw)
	parallel(c, func(_, ch int) {
		mean, inv := f.mean[ch], f.invStd[ch]
		a, b := affine(scale[ch], bias[ch], mean, inv)
		// Σ dpre·x̂ = (Σ dpre·x − mean·Σ dpre)·inv.
		var sxv, s float64
		for i := range n {
			off := (i*c + ch) * hw
			xs, dst := x[off:off+hw], dx[off:off+hw]
			v, d := gradientSums(f.act, dst, dy[off:off+hw], xs, a, b)
			sxv += v
			s += d
		}
		sx := (sxv - mean*s) * inv
		op.sums[ch], op.sums[c+ch] = sx, s

		var meanDp, meanDpX float64
		if f.used {
			meanDpX, meanDp = sx/count, s/count
		}
		// dx = k·(dpre − meanDp − x̂·meanDpX) = k·dpre + q·(x − mean) + r.
		k := float64(scale[ch]) * inv
		q, r := -k*inv*meanDpX, -k*meanDp
		for i := range n {
			off := (i*c + ch) * hw
			combine(dx[off:off+hw], x[off:off+hw], T(k), T(q), T(mean), T(r))
		}
	})
}

// combine sets d[i] = k·d[i] + q·(x[i] − m) + r.
func combine[T float](d, x []T, k, q, m, r T) {
	x = x[:len(d)]
	for i, v := range x {
		d[i] = k*d[i] + q*(v-m) + r
	}
}

// bnParamGradOp returns the gradient of a batch norm's scale (row 0) or
// bias (row 1), which bnGradOp computed. Its input is bnGradOp's output,
// only so that it runs after it.
type bnParamGradOp struct {
	opBase
	back  *bnGradOp
	row   int
	shape tensor.Shape
	out   output
}

func (op *bnParamGradOp) Arity() int    { return 1 }
func (op *bnParamGradOp) Type() hm.Type { return fnType(op.shape.Dims(), 4) }
func (op *bnParamGradOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.shape, nil
}
func (op *bnParamGradOp) String() string {
	return fmt.Sprintf("BatchNormParamGrad%d%v", op.row, op.back.fwd.String())
}
func (op *bnParamGradOp) Hashcode() uint32      { return hashString(op) }
func (op *bnParamGradOp) WriteHash(h hash.Hash) { writeHash(h, op) }

func (op *bnParamGradOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	_, dt, err := inputs("batch norm parameter gradient", vals, op.back.fwd.x)
	if err != nil {
		return nil, err
	}
	c := op.back.fwd.x[1]
	if len(op.back.sums) != 2*c {
		return nil, fmt.Errorf("batch norm parameter gradient: no sums for %d channels", c)
	}
	sums := op.back.sums[op.row*c : (op.row+1)*c]
	g := op.out.get(dt, op.shape)
	if dt == tensor.Float32 {
		for i, v := range sums {
			data[float32](g)[i] = float32(v)
		}
	} else {
		copy(data[float64](g), sums)
	}
	return g, nil
}
