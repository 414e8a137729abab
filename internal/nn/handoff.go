package nn

import (
	"errors"
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// A Handoff splits the run of a graph in two at a node x. The run
// computes x, hands its value over and waits; meanwhile the caller works
// out, with other graphs, the gradient of some loss with respect to x and
// hands it back; the run then carries that gradient back through the
// graph. A GAN's generator runs once per iteration this way: its images
// feed the discriminator's step, and the gradient that the updated
// discriminator gives them comes back to the generator's backward pass,
// whose forward values are still in place.
//
// x's graph must be kept apart (KeepApart), since other graphs run while
// it waits. Its loss, the node NewHandoff returns, is differentiated with
// gorgonia.Grad like any loss.
type Handoff struct {
	give chan *tensor.Dense // x's value, from the run
	back chan *tensor.Dense // x's gradient, to the run; nil abandons it
	done chan error         // the run's end
	grad *tensor.Dense      // the gradient handed back
}

// ErrAbandoned is the error of a run whose handoff was given no gradient.
var ErrAbandoned = errors.New("handoff abandoned")

// NewHandoff returns a handoff at x and the scalar loss to differentiate
// in x's graph. The loss's gradient with respect to x is the gradient
// handed to Backward; its value is zero.
func NewHandoff(x *gorgonia.Node) (*Handoff, *gorgonia.Node, error) {
	h := &Handoff{give: make(chan *tensor.Dense), back: make(chan *tensor.Dense)}
	loss, err := gorgonia.ApplyOp(&handoffOp{h: h, x: x.Shape().Clone()}, x)
	if err != nil {
		return nil, nil, fmt.Errorf("handoff: %w", err)
	}
	return h, loss, nil
}

// Forward starts a run of vm, a machine of the handoff's graph, and
// returns x's value once the run reaches it, or the error that ended the
// run before. The value is valid until Backward returns. After Forward
// succeeds, Backward must be called.
func (h *Handoff) Forward(vm gorgonia.VM) (*tensor.Dense, error) {
	h.done = make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				h.done <- fmt.Errorf("handoff run: panic: %v", r)
			}
		}()
		h.done <- vm.RunAll()
	}()
	select {
	case x := <-h.give:
		return x, nil
	case err := <-h.done:
		if err == nil {
			err = errors.New("handoff: the run ended without reaching its node")
		}
		return nil, err
	}
}

// Backward hands dx, the gradient of the loss with respect to x, to the
// waiting run, waits for the run to end and returns its error. A nil dx
// abandons the run, which then ends with ErrAbandoned.
func (h *Handoff) Backward(dx *tensor.Dense) error {
	h.back <- dx
	err := <-h.done
	if dx == nil {
		// The machine's error wraps ours without saying so.
		return ErrAbandoned
	}
	return err
}

// handoffOp hands its input over, waits for its gradient and returns zero.
type handoffOp struct {
	opBase
	h *Handoff
	x tensor.Shape
}

func (op *handoffOp) Arity() int { return 1 }
func (op *handoffOp) Type() hm.Type {
	return hm.NewFnType(tensorType(op.x.Dims()), hm.TypeVariable('a'))
}
func (op *handoffOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return tensor.ScalarShape(), nil
}
func (op *handoffOp) String() string {
	return fmt.Sprintf("Handoff%v(%p)", op.x, op.h)
}
func (op *handoffOp) Hashcode() uint32      { return hashString(op) }
func (op *handoffOp) WriteHash(h hash.Hash) { writeHash(h, op) }

func (op *handoffOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	in, dt, err := inputs("handoff", vals, op.x)
	if err != nil {
		return nil, err
	}
	op.h.give <- in[0]
	dx := <-op.h.back
	if dx == nil {
		return nil, ErrAbandoned
	}
	if dx.Dtype() != dt || !dx.Shape().Eq(op.x) {
		return nil, fmt.Errorf("handoff: gradient %v %v, want %v %v",
			dx.Dtype(), dx.Shape(), dt, op.x)
	}
	op.h.grad = dx
	if dt == tensor.Float32 {
		return gorgonia.NewF32(0), nil
	}
	return gorgonia.NewF64(0), nil
}

func (op *handoffOp) DiffWRT(int) []bool { return []bool{true} }

func (op *handoffOp) SymDiff(_ gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes,
	error) {
	g := &handoffGradOp{h: op.h, x: op.x, out: newOutput(grad, op.x)}
	dx, err := gorgonia.ApplyOp(g, grad)
	if err != nil {
		return nil, fmt.Errorf("handoff gradient: %w", err)
	}
	return gorgonia.Nodes{dx}, nil
}

// handoffGradOp returns the gradient handed back, times the gradient of
// the loss (one, unless the loss was scaled).
type handoffGradOp struct {
	opBase
	h   *Handoff
	x   tensor.Shape
	out output
}

func (op *handoffGradOp) Arity() int { return 1 }
func (op *handoffGradOp) Type() hm.Type {
	return hm.NewFnType(hm.TypeVariable('a'), tensorType(op.x.Dims()))
}
func (op *handoffGradOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.x, nil
}
func (op *handoffGradOp) String() string {
	return fmt.Sprintf("HandoffGrad%v(%p)", op.x, op.h)
}
func (op *handoffGradOp) Hashcode() uint32      { return hashString(op) }
func (op *handoffGradOp) WriteHash(h hash.Hash) { writeHash(h, op) }

func (op *handoffGradOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	if len(vals) != 1 {
		return nil, fmt.Errorf("handoff gradient: got %d inputs, want 1", len(vals))
	}
	src := op.h.grad
	if src == nil {
		return nil, errors.New("handoff gradient: no gradient was handed back")
	}
	dx := op.out.get(src.Dtype(), op.x)
	switch s := src.Data().(type) {
	case []float32:
		scaleTo(data[float32](dx), s, float32(scalarOf(vals[0])))
	case []float64:
		scaleTo(data[float64](dx), s, scalarOf(vals[0]))
	}
	return dx, nil
}

// scaleTo sets dst[i] = k·src[i].
func scaleTo[T float](dst, src []T, k T) {
	chunks(len(dst), func(lo, hi int) {
		for i, v := range src[lo:hi] {
			dst[lo+i] = k * v
		}
	})
}

// scalarOf returns the value of a scalar, or NaN for anything else.
func scalarOf(v gorgonia.Value) float64 {
	switch x := v.Data().(type) {
	case float32:
		return float64(x)
	case float64:
		return x
	case []float32:
		if len(x) == 1 {
			return float64(x[0])
		}
	case []float64:
		if len(x) == 1 {
			return x[0]
		}
	}
	return math.NaN()
}
