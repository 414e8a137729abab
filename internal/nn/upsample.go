package nn

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Upsample2x returns x (batch, channels, height, width) scaled 2× by
// repeating every pixel into a 2×2 block (nearest neighbour).
func Upsample2x(x *gorgonia.Node) (*gorgonia.Node, error) {
	s := x.Shape()
	if len(s) != 4 {
		return nil, fmt.Errorf("upsample: input %v must have 4 dimensions", s)
	}
	op := &upsampleOp{in: s.Clone()}
	op.out = newOutput(x, op.outShape())
	y, err := gorgonia.ApplyOp(op, x)
	if err != nil {
		return nil, fmt.Errorf("upsample: %w", err)
	}
	return y, nil
}

// upsampleOp repeats every pixel of its input into a 2×2 block.
type upsampleOp struct {
	opBase
	in  tensor.Shape
	out output
}

func (op *upsampleOp) Arity() int    { return 1 }
func (op *upsampleOp) Type() hm.Type { return fnType(4, 4) }
func (op *upsampleOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.outShape(), nil
}
func (op *upsampleOp) String() string        { return fmt.Sprintf("Upsample2x%v", op.in) }
func (op *upsampleOp) Hashcode() uint32      { return hashString(op) }
func (op *upsampleOp) WriteHash(h hash.Hash) { writeHash(h, op) }

func (op *upsampleOp) outShape() tensor.Shape {
	return tensor.Shape{op.in[0], op.in[1], 2 * op.in[2], 2 * op.in[3]}
}

func (op *upsampleOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	in, dt, err := inputs("upsample", vals, op.in)
	if err != nil {
		return nil, err
	}
	y := op.out.get(dt, op.outShape())
	if dt == tensor.Float32 {
		upsample(op.in[2], op.in[3], data[float32](in[0]), data[float32](y))
	} else {
		upsample(op.in[2], op.in[3], data[float64](in[0]), data[float64](y))
	}
	return y, nil
}

func (op *upsampleOp) DiffWRT(int) []bool { return []bool{true} }

func (op *upsampleOp) SymDiff(_ gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	dx, err := gorgonia.ApplyOp(&upsampleGradOp{in: op.in, out: newOutput(grad, op.in)}, grad)
	if err != nil {
		return nil, fmt.Errorf("upsample gradient: %w", err)
	}
	return gorgonia.Nodes{dx}, nil
}

// upsample copies every h×w plane of x into a 2h×2w plane of y, planes
// in parallel.
func upsample[T float](h, w int, x, y []T) {
	planes := len(x) / (h * w)
	rowChunks(planes*h, w, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			src := x[r*w : (r+1)*w]
			dst := y[4*r*w : 4*(r+1)*w]
			for j, v := range src {
				dst[2*j] = v
				dst[2*j+1] = v
			}
			// Input row r gives output rows 2r and 2r+1, adjacent in
			// memory, as are the rows of successive planes.
			copy(dst[2*w:], dst[:2*w])
		}
	})
}

// upsampleGradOp sums every 2×2 block of the upsampled gradient.
type upsampleGradOp struct {
	opBase
	in  tensor.Shape
	out output
}

func (op *upsampleGradOp) Arity() int    { return 1 }
func (op *upsampleGradOp) Type() hm.Type { return fnType(4, 4) }
func (op *upsampleGradOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.in, nil
}
func (op *upsampleGradOp) String() string {
	return fmt.Sprintf("Upsample2xGrad%v", op.in)
}
func (op *upsampleGradOp) Hashcode() uint32      { return hashString(op) }
func (op *upsampleGradOp) WriteHash(h hash.Hash) { writeHash(h, op) }

func (op *upsampleGradOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	up := tensor.Shape{op.in[0], op.in[1], 2 * op.in[2], 2 * op.in[3]}
	in, dt, err := inputs("upsample gradient", vals, up)
	if err != nil {
		return nil, err
	}
	dx := op.out.get(dt, op.in)
	if dt == tensor.Float32 {
		downsum(op.in[2], op.in[3], data[float32](in[0]), data[float32](dx))
	} else {
		downsum(op.in[2], op.in[3], data[float64](in[0]), data[float64](dx))
	}
	return dx, nil
}

// downsum writes into every pixel of the h×w planes of dx the sum of its
// 2×2 block in dy.
func downsum[T float](h, w int, dy, dx []T) {
	planes := len(dx) / (h * w)
	rowChunks(planes*h, w, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			top := dy[4*r*w : 4*r*w+2*w]
			bottom := dy[4*r*w+2*w : 4*(r+1)*w]
			dst := dx[r*w : (r+1)*w]
			for j := range dst {
				dst[j] = top[2*j] + top[2*j+1] + bottom[2*j] + bottom[2*j+1]
			}
		}
	})
}
