package nn

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// opBase holds the gorgonia.Op methods that are the same for every
// operation of this package: none returns a pointer to its input, calls
// out to a device, or overwrites an input.
type opBase struct{}

func (opBase) ReturnsPtr() bool     { return false }
func (opBase) CallsExtern() bool    { return false }
func (opBase) OverwritesInput() int { return -1 }

// hashString is the Hashcode of an operation whose String identifies it.
func hashString(s fmt.Stringer) uint32 {
	h := fnv.New32a()
	fmt.Fprint(h, s.String())
	return h.Sum32()
}

// writeHash is the WriteHash of an operation whose String identifies it.
func writeHash(h hash.Hash, s fmt.Stringer) { fmt.Fprint(h, s.String()) }

// tensorType is the type of a tensor of dims dimensions of the type
// variable shared by an operation's inputs and output.
func tensorType(dims int) gorgonia.TensorType {
	return gorgonia.TensorType{Dims: dims, Of: hm.TypeVariable('a')}
}

// fnType is the type of an operation from tensors of the given dims to a
// tensor of out dims, all of one element type.
func fnType(out int, in ...int) hm.Type {
	ts := make([]hm.Type, 0, len(in)+1)
	for _, d := range in {
		ts = append(ts, tensorType(d))
	}
	return hm.NewFnType(append(ts, tensorType(out))...)
}

// output is an operation's result tensor, kept from one run to the next
// in the arena (see arena) or, for an unreserved one, on its own.
type output struct {
	t        *tensor.Dense
	reserved bool
	arena    *arena
	dt       tensor.Dtype
	off      int
}

// newOutput reserves room in the arena for an output of the node's dtype
// and shape s in the node's graph.
func newOutput(n *gorgonia.Node, s tensor.Shape) output {
	a := arenaOf(n.Graph())
	off, ok := a.reserve(n.Graph(), n.Dtype(), s.TotalSize())
	return output{reserved: ok, arena: a, dt: n.Dtype(), off: off}
}

// get returns the output tensor for dtype dt and shape s. Its contents
// are undefined.
func (o *output) get(dt tensor.Dtype, s tensor.Shape) *tensor.Dense {
	if o.reserved && dt == o.dt {
		if dt == tensor.Float32 {
			return o.wrap(arenaSlice[float32](o.arena, o.off, s.TotalSize()), s)
		}
		return o.wrap(arenaSlice[float64](o.arena, o.off, s.TotalSize()), s)
	}
	if o.t != nil && o.t.Dtype() == dt && o.t.Shape().TotalSize() == s.TotalSize() {
		return o.reshaped(s)
	}
	o.t = tensor.New(tensor.Of(dt), tensor.WithShape(s.Clone()...))
	return o.t
}

// wrap returns the kept tensor if it is backed by data, a new one
// otherwise.
func (o *output) wrap(data any, s tensor.Shape) *tensor.Dense {
	if o.t != nil && sameStart(o.t.Data(), data) {
		return o.reshaped(s)
	}
	o.t = tensor.New(tensor.WithBacking(data), tensor.WithShape(s.Clone()...))
	return o.t
}

// reshaped returns the kept tensor with shape s, which another operation
// may have changed in place.
func (o *output) reshaped(s tensor.Shape) *tensor.Dense {
	if !o.t.Shape().Eq(s) {
		if err := o.t.Reshape(s...); err != nil {
			o.t = tensor.New(tensor.Of(o.t.Dtype()), tensor.WithShape(s.Clone()...))
		}
	}
	return o.t
}

// sameStart reports whether two float slices start at the same element.
func sameStart(a, b any) bool {
	switch a := a.(type) {
	case []float32:
		b, ok := b.([]float32)
		return ok && len(a) > 0 && len(b) > 0 && &a[0] == &b[0]
	case []float64:
		b, ok := b.([]float64)
		return ok && len(a) > 0 && len(b) > 0 && &a[0] == &b[0]
	}
	return false
}

// inputs checks an operation's arguments: their number and that each is
// a dense tensor of a float type shared by all, with the wanted shape
// (nil to accept any). It returns them and their dtype.
func inputs(name string, vals []gorgonia.Value, shapes ...tensor.Shape) (
	ts []*tensor.Dense, dt tensor.Dtype, err error) {
	if len(vals) != len(shapes) {
		return nil, dt, fmt.Errorf("%s: got %d inputs, want %d", name, len(vals), len(shapes))
	}
	ts = make([]*tensor.Dense, len(vals))

	for i, v := range vals {
		t, ok := v.(*tensor.Dense)
		if !ok {
			return nil, dt, fmt.Errorf("%s: input %d is a %T, want a dense tensor", name, i, v)
		}
		if t.IsMaterializable() {
			return nil, dt, fmt.Errorf("%s: input %d is a view, want a plain tensor", name, i)
		}
		if shapes[i] != nil && !t.Shape().Eq(shapes[i]) {
			return nil, dt, fmt.Errorf("%s: input %d has shape %v, want %v",
				name, i, t.Shape(), shapes[i])
		}
		switch {
		case i == 0:
			dt = t.Dtype()
		case t.Dtype() != dt:
			return nil, dt, fmt.Errorf("%s: input %d is %v, want %v", name, i, t.Dtype(), dt)
		}
		ts[i] = t
	}
	if dt != tensor.Float32 && dt != tensor.Float64 {
		return nil, dt, fmt.Errorf("%s: dtype %v not supported, want float32 or float64", name, dt)
	}
	return ts, dt, nil
}

// data returns the elements of a float tensor.
func data[T float](t *tensor.Dense) []T { return t.Data().([]T) }
