package nn

import (
	"errors"
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ConvOptions configures Conv2d.
type ConvOptions struct {
	// Stride is the step of the kernel in both directions; 0 means 1.
	Stride int
	// Pad is the number of zero rows and columns on every side.
	Pad int
	// NoFilterGrad leaves out the filter's gradient: the filter is then
	// not differentiable in this graph. Use it where only the gradient of
	// the input is wanted, as in the generator step through the
	// discriminator, to save one of the three matrix products.
	NoFilterGrad bool
	// NoInputGrad leaves out the input's gradient, for a first layer whose
	// input is data.
	NoInputGrad bool
}

// Conv2d returns the 2-D convolution (cross-correlation, as in gorgonia
// and PyTorch) of x (batch, in channels, height, width) with filter
// (out channels, in channels, kernel height, kernel width), with no bias.
func Conv2d(x, filter *gorgonia.Node, opts ConvOptions) (*gorgonia.Node, error) {
	xs, fs := x.Shape(), filter.Shape()
	if len(xs) != 4 || len(fs) != 4 {
		return nil, fmt.Errorf("conv2d: input %v and filter %v must have 4 dimensions", xs, fs)
	}
	if xs[1] != fs[1] {
		return nil, fmt.Errorf("conv2d: input has %d channels, filter wants %d", xs[1], fs[1])
	}
	stride := max(1, opts.Stride)
	if opts.Pad < 0 {
		return nil, errors.New("conv2d: negative padding")
	}
	win := newWindow(xs[1], xs[2], xs[3], fs[2], fs[3], stride, opts.Pad)
	if win.oh < 1 || win.ow < 1 {
		return nil, fmt.Errorf("conv2d: kernel %v does not fit input %v", fs, xs)
	}
	c := conv{win: win, n: xs[0], cout: fs[0], noFilter: opts.NoFilterGrad,
		noInput: opts.NoInputGrad}
	y, err := gorgonia.ApplyOp(&convOp{conv: c, out: newOutput(x, c.yShape())}, x, filter)
	if err != nil {
		return nil, fmt.Errorf("conv2d: %w", err)
	}
	return y, nil
}

// conv is the geometry of a convolution, shared by its three operations.
type conv struct {
	win      window
	n, cout  int
	noFilter bool
	noInput  bool
}

func (c conv) xShape() tensor.Shape { return tensor.Shape{c.n, c.win.c, c.win.h, c.win.w} }
func (c conv) yShape() tensor.Shape { return tensor.Shape{c.n, c.cout, c.win.oh, c.win.ow} }
func (c conv) fShape() tensor.Shape {
	return tensor.Shape{c.cout, c.win.c, c.win.kh, c.win.kw}
}

func (c conv) String() string {
	return fmt.Sprintf("%v*%v/s%d,p%d", c.xShape(), c.fShape(), c.win.stride, c.win.padY)
}

// convOp computes a convolution: inputs x and filter, output y.
type convOp struct {
	opBase
	conv
	out output
}

func (op *convOp) Arity() int    { return 2 }
func (op *convOp) Type() hm.Type { return fnType(4, 4, 4) }
func (op *convOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.yShape(), nil
}
func (op *convOp) String() string        { return "Conv" + op.conv.String() }
func (op *convOp) Hashcode() uint32      { return hashString(op) }
func (op *convOp) WriteHash(h hash.Hash) { writeHash(h, op) }

func (op *convOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	in, dt, err := inputs("conv", vals, op.xShape(), op.fShape())
	if err != nil {
		return nil, err
	}
	y := op.out.get(dt, op.yShape())
	if dt == tensor.Float32 {
		convForward(op.conv, data[float32](in[0]), data[float32](in[1]),
			data[float32](y))
	} else {
		convForward(op.conv, data[float64](in[0]), data[float64](in[1]),
			data[float64](y))
	}
	return y, nil
}

func (op *convOp) DiffWRT(int) []bool { return []bool{!op.noInput, !op.noFilter} }

func (op *convOp) SymDiff(in gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	grads := make(gorgonia.Nodes, 2)
	var err error
	if !op.noInput {
		g := &convInputGradOp{conv: op.conv, out: newOutput(grad, op.xShape())}
		if grads[0], err = gorgonia.ApplyOp(g, in[1], grad); err != nil {
			return nil, fmt.Errorf("conv input gradient: %w", err)
		}
	}
	if !op.noFilter {
		g := &convFilterGradOp{conv: op.conv, out: newOutput(grad, op.fShape())}
		if grads[1], err = gorgonia.ApplyOp(g, in[0], grad); err != nil {
			return nil, fmt.Errorf("conv filter gradient: %w", err)
		}
	}
	return grads, nil
}

// A block is the run of samples unfolded side by side into one matrix:
// a layer whose output plane is small (4×4 at the end of the
// discriminator) would otherwise multiply matrices only a few columns
// wide, at a fraction of the machine's speed.
type block struct {
	size  int // samples per block
	count int // blocks in the batch
	n     int // columns per sample
}

// minCols is the width below which samples are unfolded side by side.
const minCols = 256

// blocks returns how to cut a batch of samples whose output planes have
// n pixels into blocks, keeping at least one block per goroutine.
func blocks(samples, n int) block {
	size := (minCols + n - 1) / n
	size = max(1, min(size, samples/workers(samples)))
	return block{size: size, count: (samples + size - 1) / size, n: n}
}

// span returns the first sample of block i and how many it holds.
func (b block) span(i, samples int) (first, count int) {
	first = i * b.size
	return first, min(b.size, samples-first)
}

// gatherBlock copies the rows×n planes of count samples from src (one
// sample every rows·n elements) side by side into dst (rows × count·n).
func gatherBlock[T float](dst, src []T, rows, n, count int) {
	for s := range count {
		for r := range rows {
			copy(dst[r*count*n+s*n:][:n], src[(s*rows+r)*n:][:n])
		}
	}
}

// scatterBlock is the inverse of gatherBlock.
func scatterBlock[T float](dst, src []T, rows, n, count int) {
	for s := range count {
		for r := range rows {
			copy(dst[(s*rows+r)*n:][:n], src[r*count*n+s*n:][:n])
		}
	}
}

// convForward computes y = filter ⊛ x one block of samples per goroutine
// at a time.
func convForward[T float](c conv, x, filter, y []T) {
	if c.win.whole() {
		// Each sample is its own unfolded column: y = x·filterᵀ.
		k := c.win.rows()
		split(c.n, 1, func(lo, hi int) {
			gemm(false, true, hi-lo, c.cout, k, 1, x[lo*k:], k, filter, k, 0,
				y[lo*c.cout:], c.cout)
		})
		return
	}
	ws := acquire()
	defer release(ws)
	win := c.win
	k, n := win.rows(), win.cols()
	xLen, yLen := win.c*win.h*win.w, c.cout*n
	b := blocks(c.n, n)
	nw := workers(b.count)
	cols := buffers[T](&ws.cols, nw, k*n*b.size)
	tmp := buffers[T](&ws.tmp, nw, yLen*b.size)
	parallel(b.count, func(w, i int) {
		first, count := b.span(i, c.n)
		m := count * n
		for s := range count {
			im2colAt(win, x[(first+s)*xLen:][:xLen], cols[w], m, s*n)
		}
		out := y[first*yLen : (first+count)*yLen]
		if count > 1 {
			out = tmp[w]
		}
		gemm(false, false, c.cout, m, k, 1, filter, k, cols[w], m, 0, out, m)
		if count > 1 {
			scatterBlock(y[first*yLen:], tmp[w], c.cout, n, count)
		}
	})
}

// convInputGradOp computes the gradient of a convolution's input:
// inputs filter and dy, output dx.
type convInputGradOp struct {
	opBase
	conv
	out output
}

func (op *convInputGradOp) Arity() int    { return 2 }
func (op *convInputGradOp) Type() hm.Type { return fnType(4, 4, 4) }
func (op *convInputGradOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.xShape(), nil
}
func (op *convInputGradOp) String() string        { return "ConvInputGrad" + op.conv.String() }
func (op *convInputGradOp) Hashcode() uint32      { return hashString(op) }
func (op *convInputGradOp) WriteHash(h hash.Hash) { writeHash(h, op) }

func (op *convInputGradOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	in, dt, err := inputs("conv input gradient", vals, op.fShape(), op.yShape())
	if err != nil {
		return nil, err
	}
	dx := op.out.get(dt, op.xShape())
	if dt == tensor.Float32 {
		convInputGrad(op.conv, data[float32](in[0]), data[float32](in[1]),
			data[float32](dx))
	} else {
		convInputGrad(op.conv, data[float64](in[0]), data[float64](in[1]),
			data[float64](dx))
	}
	return dx, nil
}

// convInputGrad computes dx = filterᵀ·dy, folded back onto the input.
func convInputGrad[T float](c conv, filter, dy, dx []T) {
	if c.win.whole() {
		// dx = dy·filter, sample by sample.
		k := c.win.rows()
		split(c.n, 1, func(lo, hi int) {
			gemm(false, false, hi-lo, k, c.cout, 1, dy[lo*c.cout:], c.cout, filter, k, 0,
				dx[lo*k:], k)
		})
		return
	}
	ws := acquire()
	defer release(ws)
	win := c.win
	k, n := win.rows(), win.cols()
	xLen, yLen := win.c*win.h*win.w, c.cout*n
	b := blocks(c.n, n)
	nw := workers(b.count)
	cols := buffers[T](&ws.cols, nw, k*n*b.size)
	tmp := buffers[T](&ws.tmp, nw, yLen*b.size)
	parallel(b.count, func(w, i int) {
		first, count := b.span(i, c.n)
		m := count * n
		in := dy[first*yLen : (first+count)*yLen]
		if count > 1 {
			gatherBlock(tmp[w], in, c.cout, n, count)
			in = tmp[w]
		}
		gemm(true, false, k, m, c.cout, 1, filter, k, in, m, 0, cols[w], m)
		for s := range count {
			d := dx[(first+s)*xLen:][:xLen]
			clear(d)
			col2imAt(win, cols[w], m, s*n, d)
		}
	})
}

// convFilterGradOp computes the gradient of a convolution's filter:
// inputs x and dy, output df.
type convFilterGradOp struct {
	opBase
	conv
	out output
}

func (op *convFilterGradOp) Arity() int    { return 2 }
func (op *convFilterGradOp) Type() hm.Type { return fnType(4, 4, 4) }
func (op *convFilterGradOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.fShape(), nil
}
func (op *convFilterGradOp) String() string        { return "ConvFilterGrad" + op.conv.String() }
func (op *convFilterGradOp) Hashcode() uint32      { return hashString(op) }
func (op *convFilterGradOp) WriteHash(h hash.Hash) { writeHash(h, op) }

func (op *convFilterGradOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	in, dt, err := inputs("conv filter gradient", vals, op.xShape(), op.yShape())
	if err != nil {
		return nil, err
	}
	df := op.out.get(dt, op.fShape())
	if dt == tensor.Float32 {
		convFilterGrad(op.conv, data[float32](in[0]),
			data[float32](in[1]), data[float32](df))
	} else {
		convFilterGrad(op.conv, data[float64](in[0]),
			data[float64](in[1]), data[float64](df))
	}
	return df, nil
}

// convFilterGrad computes df = Σ dy·colᵀ over the batch, each goroutine
// summing its blocks into its own part, the parts added at the end.
func convFilterGrad[T float](c conv, x, dy, df []T) {
	if c.win.whole() {
		// df = dyᵀ·x, each goroutine its own columns: no partial sums.
		k := c.win.rows()
		split(k, minCols, func(lo, hi int) {
			gemm(true, false, c.cout, hi-lo, c.n, 1, dy, c.cout, x[lo:], k, 0, df[lo:], k)
		})
		return
	}
	ws := acquire()
	defer release(ws)
	win := c.win
	k, n := win.rows(), win.cols()
	xLen, yLen := win.c*win.h*win.w, c.cout*n
	b := blocks(c.n, n)
	nw := workers(b.count)
	cols := buffers[T](&ws.cols, nw, k*n*b.size)
	tmp := buffers[T](&ws.tmp, nw, yLen*b.size)
	parts := buffers[T](&ws.parts, nw, c.cout*k)
	for _, p := range parts {
		clear(p)
	}
	parallelFixed(b.count, func(w, i int) {
		first, count := b.span(i, c.n)
		m := count * n
		for s := range count {
			im2colAt(win, x[(first+s)*xLen:][:xLen], cols[w], m, s*n)
		}
		in := dy[first*yLen : (first+count)*yLen]
		if count > 1 {
			gatherBlock(tmp[w], in, c.cout, n, count)
			in = tmp[w]
		}
		gemm(false, true, c.cout, k, m, 1, in, m, cols[w], m, 1, parts[w], k)
	})
	sumParts(parts, df)
}

// sumParts writes the elementwise sum of parts into dst, in parallel.
func sumParts[T float](parts [][]T, dst []T) {
	chunks(len(dst), func(lo, hi int) {
		d := dst[lo:hi]
		copy(d, parts[0][lo:hi])
		for _, p := range parts[1:] {
			for i, v := range p[lo:hi] {
				d[i] += v
			}
		}
	})
}
