package nn

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// UpConv returns Conv2d(Upsample2x(x), filter) with a 3×3 filter, stride
// 1 and padding 1, without building the upsampled tensor.
//
// Each of the four output phases (even or odd row, even or odd column)
// of that convolution only ever meets a 2×2 neighbourhood of x, with the
// 3×3 taps that fall on the same input pixel summed. So the op runs four
// 2×2 convolutions on x instead of one 3×3 convolution on 4× as many
// pixels: 2.25× fewer multiplications, and less or nothing to unfold.
// opts.Stride and opts.Pad must be zero.
func UpConv(x, filter *gorgonia.Node, opts ConvOptions) (*gorgonia.Node, error) {
	xs, fs := x.Shape(), filter.Shape()
	if len(xs) != 4 || len(fs) != 4 || fs[2] != 3 || fs[3] != 3 {
		return nil, fmt.Errorf(
			"upconv: input %v and filter %v: want 4 dimensions and a 3×3 filter", xs, fs)
	}
	if xs[1] != fs[1] {
		return nil, fmt.Errorf("upconv: input has %d channels, filter wants %d", xs[1], fs[1])
	}
	if opts.Stride > 1 || opts.Pad != 0 {
		return nil, fmt.Errorf("upconv: stride %d and pad %d: want none", opts.Stride, opts.Pad)
	}
	u := upconv{n: xs[0], cin: xs[1], h: xs[2], w: xs[3], cout: fs[0],
		noFilter: opts.NoFilterGrad, noInput: opts.NoInputGrad}
	y, err := gorgonia.ApplyOp(&upconvOp{upconv: u, out: newOutput(x, u.yShape())}, x, filter)
	if err != nil {
		return nil, fmt.Errorf("upconv: %w", err)
	}
	return y, nil
}

// upconv is the geometry of an upsampling convolution. Planes at least
// implicitMinWidth wide take the implicit products of upconvimplicit.go.
// Narrower ones are unfolded: one unfolding of the nine 3×3 taps around
// each input pixel, in tap-major order, serves the four phases: row a of
// a phase's 2×2 filter meets two adjacent taps, a block of 2·cin unfolded
// rows, so each phase is two matrix products.
//
// TODO: small planes could go implicit too if the padded planes of a
// block of samples lay end to end per channel, so that one view spans
// the block, as the unfolded blocks do; the padding lines and columns
// would then be junk outputs, 1.56× the products at 8×8 and 2.25× at
// 4×4, in exchange for no nine-fold unfolding. At 8×8, one sample at a
// time, the two ways measured even.
type upconv struct {
	n, cin, h, w, cout int
	noFilter, noInput  bool
}

func (u upconv) xShape() tensor.Shape { return tensor.Shape{u.n, u.cin, u.h, u.w} }
func (u upconv) yShape() tensor.Shape { return tensor.Shape{u.n, u.cout, 2 * u.h, 2 * u.w} }
func (u upconv) fShape() tensor.Shape { return tensor.Shape{u.cout, u.cin, 3, 3} }
func (u upconv) String() string       { return fmt.Sprintf("%v*%v", u.xShape(), u.fShape()) }

// unfold returns the window of the 3×3 taps around every input pixel,
// rows in tap-major order: taps (ky, kx) and (ky, kx+1) are adjacent
// blocks of cin rows, as two taps of one phase filter row are.
func (u upconv) unfold() window {
	return window{c: u.cin, h: u.h, w: u.w, kh: 3, kw: 3, stride: 1,
		padY: 1, padX: 1, oh: u.h, ow: u.w, tapMajor: true}
}

// pairOffset returns the first unfolded row of the two taps that row a
// of phase p's 2×2 filter meets.
func (u upconv) pairOffset(p, a int) int { return ((p/2+a)*3 + p%2) * u.cin }

// filterLayout says how the taps of the four 2×2 phase filters are laid
// out as matrices for the products: tap (a, b) of phase p, output channel
// co, input channel ci at (2p+a)·2·cout·cin + b·tapStep + co·rowLen + ci.
type filterLayout struct{ tapStep, rowLen int }

// pairLayout holds a cout × 2·cin matrix per phase and filter row a,
// column b·cin+ci, the two taps of a row meeting adjacent unfolded rows.
func (u upconv) pairLayout() filterLayout { return filterLayout{u.cin, 2 * u.cin} }

// tapLayout holds a cout × cin matrix per phase and tap, matrix 4p+2a+b.
func (u upconv) tapLayout() filterLayout { return filterLayout{u.cout * u.cin, u.cin} }

// The filter rearrangements below run once per operation, on the whole
// filter (a megabyte and more), so each splits its output channels over
// the cores, and each is a single pass: run on one core, as three passes
// through per-phase buffers, they were a twentieth of a training step.

// offsets returns where tap t = 2a+b of phase p, matrix element (0, 0),
// lies in the layout: offsets[4p+t].
func (l filterLayout) offsets(u upconv) (off [16]int) {
	for p := range 4 {
		for t := range 4 {
			off[4*p+t] = (2*p+t/2)*2*u.cout*u.cin + t%2*l.tapStep
		}
	}
	return off
}

// laidFilters returns the phase filters of the 3×3 filter f laid out as
// l says, in the workspace ws.
func laidFilters[T float](u upconv, ws *workspace, l filterLayout, f []T) []T {
	laid := buffers[T](&ws.sums, 1, 16*u.cout*u.cin)[0]
	off := l.offsets(u)
	split(u.cout, 1, func(lo, hi int) {
		var g [16]T
		for co := lo; co < hi; co++ {
			for ci := range u.cin {
				phaseTaps((*[9]T)(f[9*(co*u.cin+ci):]), &g)
				at := co*l.rowLen + ci
				for j, v := range g {
					laid[off[j]+at] = v
				}
			}
		}
	})
	return laid
}

// foldLaid writes into df the 3×3 filter gradient whose phase filter
// gradients, laid out as l says, are the sum of parts.
func foldLaid[T float](u upconv, l filterLayout, parts [][]T, df []T) {
	off := l.offsets(u)
	split(u.cout, 1, func(lo, hi int) {
		var g [16]T
		for co := lo; co < hi; co++ {
			for ci := range u.cin {
				at := co*l.rowLen + ci
				for j := range g {
					v := parts[0][off[j]+at]
					for _, p := range parts[1:] {
						v += p[off[j]+at]
					}
					g[j] = v
				}
				foldTaps(&g, (*[9]T)(df[9*(co*u.cin+ci):]))
			}
		}
	})
}

// phaseTaps sums the nine taps f of one 3×3 filter into the four 2×2
// phase filters g, tap (a, b) of phase p = 2·py+px at g[4p+2a+b].
//
// Along one axis, an output of even parity meets tap 0 on its first
// input and taps 1 and 2 on its second; one of odd parity meets taps 0
// and 1 on its first and tap 2 on its second. The rows are summed that
// way first, then the columns of each partial sum.
func phaseTaps[T float](f *[9]T, g *[16]T) {
	var r [2][2][3]T // r[parity][a][kx]
	for kx := range 3 {
		f0, f1, f2 := f[kx], f[3+kx], f[6+kx]
		r[0][0][kx], r[0][1][kx] = f0, f1+f2
		r[1][0][kx], r[1][1][kx] = f0+f1, f2
	}
	for py := range 2 {
		for a := range 2 {
			v := &r[py][a]
			even, odd := 4*(2*py), 4*(2*py+1)
			g[even+2*a], g[even+2*a+1] = v[0], v[1]+v[2]
			g[odd+2*a], g[odd+2*a+1] = v[0]+v[1], v[2]
		}
	}
}

// foldTaps is the adjoint of phaseTaps: it adds the sixteen phase taps g
// back onto the nine taps f they were summed from, overwriting f.
func foldTaps[T float](g *[16]T, f *[9]T) {
	var r [2][2][3]T
	for py := range 2 {
		for a := range 2 {
			even, odd := 4*(2*py), 4*(2*py+1)
			e0, e1 := g[even+2*a], g[even+2*a+1]
			o0, o1 := g[odd+2*a], g[odd+2*a+1]
			r[py][a] = [3]T{e0 + o0, e1 + o0, e1 + o1}
		}
	}
	for kx := range 3 {
		f[kx] = r[0][0][kx] + r[1][0][kx]
		f[3+kx] = r[0][1][kx] + r[1][0][kx]
		f[6+kx] = r[0][1][kx] + r[1][1][kx]
	}
}

// scatterPhase writes the phase p outputs of one sample into their
// places in the upsampled sample y (c×2h×2w). The phase outputs are c
// rows of h lines of pitch ≥ w elements, w of them outputs, at columns
// [off, off+h·pitch) of rows ld long.
func scatterPhase[T float](h, w, pitch, p int, ph []T, ld, off int, y []T) {
	py, px := p/2, p%2
	for r := range len(y) / (4 * w) {
		c, i := r/h, r%h
		row := y[(c*2*h+2*i+py)*2*w:][:2*w]
		for j, v := range ph[c*ld+off+i*pitch:][:w] {
			row[2*j+px] = v
		}
	}
}

// gatherPhase is the inverse of scatterPhase. It zeroes the pitch-w
// elements past the outputs of every line.
func gatherPhase[T float](h, w, pitch, p int, y, ph []T, ld, off int) {
	py, px := p/2, p%2
	for r := range len(y) / (4 * w) {
		c, i := r/h, r%h
		row := y[(c*2*h+2*i+py)*2*w:][:2*w]
		line := ph[c*ld+off+i*pitch:][:pitch]
		for j := range w {
			line[j] = row[2*j+px]
		}
		clear(line[w:])
	}
}

// upconvOp computes an upsampling convolution: inputs x and a 3×3
// filter, output y.
type upconvOp struct {
	opBase
	upconv
	out output
}

func (op *upconvOp) Arity() int    { return 2 }
func (op *upconvOp) Type() hm.Type { return fnType(4, 4, 4) }
func (op *upconvOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.yShape(), nil
}
func (op *upconvOp) String() string        { return "UpConv" + op.upconv.String() }
func (op *upconvOp) Hashcode() uint32      { return hashString(op) }
func (op *upconvOp) WriteHash(h hash.Hash) { writeHash(h, op) }

func (op *upconvOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	in, dt, err := inputs("upconv", vals, op.xShape(), op.fShape())
	if err != nil {
		return nil, err
	}
	y := op.out.get(dt, op.yShape())
	if dt == tensor.Float32 {
		upconvForward(op.upconv, data[float32](in[0]), data[float32](in[1]), data[float32](y))
	} else {
		upconvForward(op.upconv, data[float64](in[0]), data[float64](in[1]), data[float64](y))
	}
	return y, nil
}

func (op *upconvOp) DiffWRT(int) []bool { return []bool{!op.noInput, !op.noFilter} }

func (op *upconvOp) SymDiff(in gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	grads := make(gorgonia.Nodes, 2)
	var err error
	if !op.noInput {
		g := &upconvInputGradOp{upconv: op.upconv, out: newOutput(grad, op.xShape())}
		if grads[0], err = gorgonia.ApplyOp(g, in[1], grad); err != nil {
			return nil, fmt.Errorf("upconv input gradient: %w", err)
		}
	}
	if !op.noFilter {
		g := &upconvFilterGradOp{upconv: op.upconv, out: newOutput(grad, op.fShape())}
		if grads[1], err = gorgonia.ApplyOp(g, in[0], grad); err != nil {
			return nil, fmt.Errorf("upconv filter gradient: %w", err)
		}
	}
	return grads, nil
}

// upconvForward computes y, the output of the upsampling convolution of
// x with the 3×3 filter f.
func upconvForward[T float](u upconv, x, f, y []T) {
	if u.implicit() {
		upconvForwardImplicit(u, x, f, y)
	} else {
		upconvForwardUnfolded(u, x, f, y)
	}
}

// upconvForwardUnfolded is upconvForward by unfolding blocks of samples.
func upconvForwardUnfolded[T float](u upconv, x, f, y []T) {
	ws := acquire()
	defer release(ws)
	n, k := u.h*u.w, 2*u.cin
	xLen, yLen := u.cin*n, 4*u.cout*n
	pairs := laidFilters(u, ws, u.pairLayout(), f)
	win := u.unfold()
	b := blocks(u.n, n)
	nw := workers(b.count)
	cols := buffers[T](&ws.cols, nw, win.rows()*n*b.size)
	tmp := buffers[T](&ws.tmp, nw, u.cout*n*b.size)
	parallel(b.count, func(w, i int) {
		first, count := b.span(i, u.n)
		m := count * n
		for s := range count {
			im2colAt(win, x[(first+s)*xLen:][:xLen], cols[w], m, s*n)
		}
		for p := range 4 {
			for a := range 2 {
				pair := pairs[(2*p+a)*u.cout*k:][:u.cout*k]
				gemm(false, false, u.cout, m, k, 1, pair, k,
					cols[w][u.pairOffset(p, a)*m:], m, T(a), tmp[w], m)
			}
			for s := range count {
				scatterPhase(u.h, u.w, u.w, p, tmp[w], m, s*n, y[(first+s)*yLen:][:yLen])
			}
		}
	})
}

// upconvInputGradOp computes the gradient of an upsampling convolution's
// input: inputs filter and dy, output dx.
type upconvInputGradOp struct {
	opBase
	upconv
	out output
}

func (op *upconvInputGradOp) Arity() int    { return 2 }
func (op *upconvInputGradOp) Type() hm.Type { return fnType(4, 4, 4) }
func (op *upconvInputGradOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.xShape(), nil
}
func (op *upconvInputGradOp) String() string {
	return "UpConvInputGrad" + op.upconv.String()
}
func (op *upconvInputGradOp) Hashcode() uint32      { return hashString(op) }
func (op *upconvInputGradOp) WriteHash(h hash.Hash) { writeHash(h, op) }

func (op *upconvInputGradOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	in, dt, err := inputs("upconv input gradient", vals, op.fShape(), op.yShape())
	if err != nil {
		return nil, err
	}
	dx := op.out.get(dt, op.xShape())
	if dt == tensor.Float32 {
		upconvInputGrad(op.upconv, data[float32](in[0]), data[float32](in[1]), data[float32](dx))
	} else {
		upconvInputGrad(op.upconv, data[float64](in[0]), data[float64](in[1]), data[float64](dx))
	}
	return dx, nil
}

// upconvInputGrad computes dx, the gradient of the input, from the
// filter f and the gradient of the output dy.
func upconvInputGrad[T float](u upconv, f, dy, dx []T) {
	if u.implicit() {
		upconvInputGradImplicit(u, f, dy, dx)
	} else {
		upconvInputGradUnfolded(u, f, dy, dx)
	}
}

// upconvInputGradUnfolded is upconvInputGrad through unfolded blocks of
// samples folded back onto dx.
func upconvInputGradUnfolded[T float](u upconv, f, dy, dx []T) {
	ws := acquire()
	defer release(ws)
	n, k := u.h*u.w, 2*u.cin
	xLen, yLen := u.cin*n, 4*u.cout*n
	pairs := laidFilters(u, ws, u.pairLayout(), f)
	win := u.unfold()
	b := blocks(u.n, n)
	nw := workers(b.count)
	cols := buffers[T](&ws.cols, nw, win.rows()*n*b.size)
	tmp := buffers[T](&ws.tmp, nw, u.cout*n*b.size)
	parallel(b.count, func(w, i int) {
		first, count := b.span(i, u.n)
		m := count * n
		clear(cols[w][:win.rows()*m])
		for p := range 4 {
			for s := range count {
				gatherPhase(u.h, u.w, u.w, p, dy[(first+s)*yLen:][:yLen], tmp[w], m, s*n)
			}
			for a := range 2 {
				pair := pairs[(2*p+a)*u.cout*k:][:u.cout*k]
				gemm(true, false, k, m, u.cout, 1, pair, k, tmp[w], m, 1,
					cols[w][u.pairOffset(p, a)*m:], m)
			}
		}
		for s := range count {
			d := dx[(first+s)*xLen:][:xLen]
			clear(d)
			col2imAt(win, cols[w], m, s*n, d)
		}
	})
}

// upconvFilterGradOp computes the gradient of an upsampling
// convolution's filter: inputs x and dy, output df.
type upconvFilterGradOp struct {
	opBase
	upconv
	out output
}

func (op *upconvFilterGradOp) Arity() int    { return 2 }
func (op *upconvFilterGradOp) Type() hm.Type { return fnType(4, 4, 4) }
func (op *upconvFilterGradOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.fShape(), nil
}
func (op *upconvFilterGradOp) String() string {
	return "UpConvFilterGrad" + op.upconv.String()
}
func (op *upconvFilterGradOp) Hashcode() uint32      { return hashString(op) }
func (op *upconvFilterGradOp) WriteHash(h hash.Hash) { writeHash(h, op) }

func (op *upconvFilterGradOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	in, dt, err := inputs("upconv filter gradient", vals, op.xShape(), op.yShape())
	if err != nil {
		return nil, err
	}
	df := op.out.get(dt, op.fShape())
	if dt == tensor.Float32 {
		upconvFilterGrad(op.upconv, data[float32](in[0]), data[float32](in[1]), data[float32](df))
	} else {
		upconvFilterGrad(op.upconv, data[float64](in[0]), data[float64](in[1]), data[float64](df))
	}
	return df, nil
}

// upconvFilterGrad computes df, the gradient of the filter, from the
// input x and the gradient of the output dy.
func upconvFilterGrad[T float](u upconv, x, dy, df []T) {
	if u.implicit() {
		upconvFilterGradImplicit(u, x, dy, df)
	} else {
		upconvFilterGradUnfolded(u, x, dy, df)
	}
}

// upconvFilterGradUnfolded is upconvFilterGrad by unfolding: it sums, per
// goroutine, the four phase filter gradients of its samples, adds the
// goroutines' parts and folds them onto 3×3.
func upconvFilterGradUnfolded[T float](u upconv, x, dy, df []T) {
	ws := acquire()
	defer release(ws)
	n, k := u.h*u.w, 2*u.cin
	xLen, yLen := u.cin*n, 4*u.cout*n
	pLen := 8 * u.cout * k
	win := u.unfold()
	b := blocks(u.n, n)
	nw := workers(b.count)
	cols := buffers[T](&ws.cols, nw, win.rows()*n*b.size)
	tmp := buffers[T](&ws.tmp, nw, u.cout*n*b.size)
	parts := buffers[T](&ws.parts, nw, pLen)
	for _, p := range parts {
		clear(p)
	}
	parallelFixed(b.count, func(w, i int) {
		first, count := b.span(i, u.n)
		m := count * n
		for s := range count {
			im2colAt(win, x[(first+s)*xLen:][:xLen], cols[w], m, s*n)
		}
		for p := range 4 {
			for s := range count {
				gatherPhase(u.h, u.w, u.w, p, dy[(first+s)*yLen:][:yLen], tmp[w], m, s*n)
			}
			for a := range 2 {
				gemm(false, true, u.cout, k, m, 1, tmp[w], m,
					cols[w][u.pairOffset(p, a)*m:], m, 1,
					parts[w][(2*p+a)*u.cout*k:][:u.cout*k], k)
			}
		}
	})
	foldLaid(u, u.pairLayout(), parts, df)
}
