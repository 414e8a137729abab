package nn

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// BiasOptions configures BiasAct.
type BiasOptions struct {
	// Activation follows the bias; the zero value is ReLU.
	Activation Activation
	// NoBiasGrad leaves out the bias's gradient: the bias is then not
	// differentiable in this graph.
	NoBiasGrad bool
}

// BiasAct returns act(x + bias) with one bias per channel of x (batch,
// channels, height, width), bias holding one value per channel in any
// shape: a convolution's bias and activation in one pass, without the
// temporaries of gorgonia's broadcasting add and rectifiers.
func BiasAct(x, bias *gorgonia.Node, opts BiasOptions) (*gorgonia.Node, error) {
	xs := x.Shape()
	if len(xs) != 4 {
		return nil, fmt.Errorf("bias: input %v must have 4 dimensions", xs)
	}
	if bias.Shape().TotalSize() != xs[1] {
		return nil, fmt.Errorf("bias: %v must hold %d values", bias.Shape(), xs[1])
	}
	op := &biasActOp{x: xs.Clone(), bias: bias.Shape().Clone(), act: opts.Activation,
		noBias: opts.NoBiasGrad}
	op.out = newOutput(x, xs)
	y, err := gorgonia.ApplyOp(op, x, bias)
	if err != nil {
		return nil, fmt.Errorf("bias: %w", err)
	}
	return y, nil
}

// biasActOp adds a bias per channel and activates: inputs x and bias,
// output y.
type biasActOp struct {
	opBase
	x, bias tensor.Shape
	act     Activation
	noBias  bool
	out     output
}

func (op *biasActOp) Arity() int    { return 2 }
func (op *biasActOp) Type() hm.Type { return fnType(4, 4, op.bias.Dims()) }
func (op *biasActOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.x, nil
}
func (op *biasActOp) String() string {
	return fmt.Sprintf("BiasAct%v(%v)", op.x, op.act)
}
func (op *biasActOp) Hashcode() uint32      { return hashString(op) }
func (op *biasActOp) WriteHash(h hash.Hash) { writeHash(h, op) }

func (op *biasActOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	in, dt, err := inputs("bias", vals, op.x, op.bias)
	if err != nil {
		return nil, err
	}
	y := op.out.get(dt, op.x)
	if dt == tensor.Float32 {
		biasAct(op, data[float32](in[0]), data[float32](in[1]), data[float32](y))
	} else {
		biasAct(op, data[float64](in[0]), data[float64](in[1]), data[float64](y))
	}
	return y, nil
}

func (op *biasActOp) DiffWRT(int) []bool { return []bool{true, !op.noBias} }

func (op *biasActOp) SymDiff(in gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	gradOp := &biasActGradOp{fwd: op, out: newOutput(grad, op.x)}
	dx, err := gorgonia.ApplyOp(gradOp, in[0], in[1], grad)
	if err != nil {
		return nil, fmt.Errorf("bias gradient: %w", err)
	}
	grads := gorgonia.Nodes{dx, nil}
	if !op.noBias {
		// The input's gradient is the gradient before the activation,
		// whose sum per channel is the bias's gradient.
		sum := &channelSumOp{x: op.x, shape: op.bias, out: newOutput(grad, op.bias)}
		if grads[1], err = gorgonia.ApplyOp(sum, dx); err != nil {
			return nil, fmt.Errorf("bias gradient: %w", err)
		}
	}
	return grads, nil
}

func biasAct[T float](op *biasActOp, x, bias, y []T) {
	c, hw := op.x[1], op.x[2]*op.x[3]
	rowChunks(op.x[0]*c, hw, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			activate(op.act, y[p*hw:(p+1)*hw], x[p*hw:(p+1)*hw], 1, bias[p%c])
		}
	})
}

// biasActGradOp computes dy·act'(x + bias): inputs x, bias, dy, output dx.
type biasActGradOp struct {
	opBase
	fwd *biasActOp
	out output
}

func (op *biasActGradOp) Arity() int { return 3 }
func (op *biasActGradOp) Type() hm.Type {
	return fnType(4, 4, op.fwd.bias.Dims(), 4)
}
func (op *biasActGradOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.fwd.x, nil
}
func (op *biasActGradOp) String() string        { return "BiasActGrad" + op.fwd.String() }
func (op *biasActGradOp) Hashcode() uint32      { return hashString(op) }
func (op *biasActGradOp) WriteHash(h hash.Hash) { writeHash(h, op) }

func (op *biasActGradOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	f := op.fwd
	in, dt, err := inputs("bias gradient", vals, f.x, f.bias, f.x)
	if err != nil {
		return nil, err
	}
	dx := op.out.get(dt, f.x)
	if dt == tensor.Float32 {
		biasActGrad(f, data[float32](in[0]), data[float32](in[1]), data[float32](in[2]),
			data[float32](dx))
	} else {
		biasActGrad(f, data[float64](in[0]), data[float64](in[1]), data[float64](in[2]),
			data[float64](dx))
	}
	return dx, nil
}

func biasActGrad[T float](op *biasActOp, x, bias, dy, dx []T) {
	c, hw := op.x[1], op.x[2]*op.x[3]
	rowChunks(op.x[0]*c, hw, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			gradient(op.act, dx[p*hw:(p+1)*hw], dy[p*hw:(p+1)*hw], x[p*hw:(p+1)*hw],
				1, bias[p%c])
		}
	})
}

// channelSumOp sums x (batch, channels, height, width) per channel into a
// tensor of the given shape.
type channelSumOp struct {
	opBase
	x, shape tensor.Shape
	out      output
}

func (op *channelSumOp) Arity() int    { return 1 }
func (op *channelSumOp) Type() hm.Type { return fnType(op.shape.Dims(), 4) }
func (op *channelSumOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.shape, nil
}
func (op *channelSumOp) String() string {
	return fmt.Sprintf("ChannelSum%v%v", op.x, op.shape)
}
func (op *channelSumOp) Hashcode() uint32      { return hashString(op) }
func (op *channelSumOp) WriteHash(h hash.Hash) { writeHash(h, op) }

func (op *channelSumOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	in, dt, err := inputs("channel sum", vals, op.x)
	if err != nil {
		return nil, err
	}
	sum := op.out.get(dt, op.shape)
	n, c, hw := op.x[0], op.x[1], op.x[2]*op.x[3]
	if dt == tensor.Float32 {
		channelSums(n, c, hw, data[float32](in[0]), data[float32](sum))
	} else {
		channelSums(n, c, hw, data[float64](in[0]), data[float64](sum))
	}
	return sum, nil
}

func channelSums[T float](n, c, hw int, x, sum []T) {
	parallel(c, func(_, ch int) {
		var s float64
		for i := range n {
			for _, v := range x[(i*c+ch)*hw : (i*c+ch+1)*hw] {
				s += float64(v)
			}
		}
		sum[ch] = T(s)
	})
}
