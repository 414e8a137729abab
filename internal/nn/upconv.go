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
// pixels: 2.25× fewer multiplications and a smaller unfolded matrix.
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

// upconv is the geometry of an upsampling convolution. One unfolding of
// the nine 3×3 taps around each input pixel, in tap-major order, serves
// the four phases: row a of a phase's 2×2 filter meets two adjacent taps,
// a block of 2·cin unfolded rows, so each phase is two matrix products.
//
// TODO: for large planes an implicit product over shifted views of one
// padded copy of the input would need no unfolding at all.
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

// The filter rearrangements below run once per operation, on the whole
// filter (a megabyte and more), so each splits its output channels over
// the cores: run on one, they were a twentieth of a training step.

// pairFilters rearranges the phase filters fp (cout, cin, 2, 2) into
// pairs (phase, row a) of cout × 2·cin matrices, column b·cin+ci.
func pairFilters[T float](u upconv, fp [][]T, pairs []T) {
	k := 2 * u.cin
	split(u.cout, 1, func(lo, hi int) {
		for p := range 4 {
			for a := range 2 {
				dst := pairs[(2*p+a)*u.cout*k:][:u.cout*k]
				for co := lo; co < hi; co++ {
					for ci := range u.cin {
						src := fp[p][(co*u.cin+ci)*4+2*a:]
						dst[co*k+ci] = src[0]
						dst[co*k+u.cin+ci] = src[1]
					}
				}
			}
		}
	})
}

// unpairFilters is the inverse of pairFilters.
func unpairFilters[T float](u upconv, pairs []T, fp [][]T) {
	k := 2 * u.cin
	split(u.cout, 1, func(lo, hi int) {
		for p := range 4 {
			for a := range 2 {
				src := pairs[(2*p+a)*u.cout*k:][:u.cout*k]
				for co := lo; co < hi; co++ {
					for ci := range u.cin {
						dst := fp[p][(co*u.cin+ci)*4+2*a:]
						dst[0] = src[co*k+ci]
						dst[1] = src[co*k+u.cin+ci]
					}
				}
			}
		}
	})
}

// taps[parity][a] lists the rows (or columns) of the 3×3 filter that
// fall on row (column) a of the 2×2 window of an output of that parity.
var taps = [2][2][]int{{{0}, {1, 2}}, {{0, 1}, {2}}}

// phaseFilters sums the 3×3 filter f into the four 2×2 filters fp.
func phaseFilters[T float](u upconv, f []T, fp [][]T) {
	split(u.cout, 1, func(lo, hi int) {
		for p := range 4 {
			py, px := p/2, p%2
			for k := lo * u.cin; k < hi*u.cin; k++ {
				src := f[9*k : 9*k+9]
				dst := fp[p][4*k : 4*k+4]
				for a := range 2 {
					for b := range 2 {
						var s T
						for _, ky := range taps[py][a] {
							for _, kx := range taps[px][b] {
								s += src[3*ky+kx]
							}
						}
						dst[2*a+b] = s
					}
				}
			}
		}
	})
}

// foldFilters is the adjoint of phaseFilters: it adds the four 2×2
// filter gradients dfp back onto the 3×3 taps they came from, into df.
func foldFilters[T float](u upconv, dfp [][]T, df []T) {
	split(u.cout, 1, func(lo, hi int) {
		clear(df[9*lo*u.cin : 9*hi*u.cin])
		for p := range 4 {
			py, px := p/2, p%2
			for k := lo * u.cin; k < hi*u.cin; k++ {
				src := dfp[p][4*k : 4*k+4]
				dst := df[9*k : 9*k+9]
				for a := range 2 {
					for b := range 2 {
						for _, ky := range taps[py][a] {
							for _, kx := range taps[px][b] {
								dst[3*ky+kx] += src[2*a+b]
							}
						}
					}
				}
			}
		}
	})
}

// scatterPhase writes the phase p outputs of one sample into their
// places in the upsampled sample y (c×2h×2w). The phase outputs are c
// rows of h·w pixels at columns [off, off+h·w) of rows ld long.
func scatterPhase[T float](h, w, p int, ph []T, ld, off int, y []T) {
	py, px := p/2, p%2
	for r := range len(y) / (4 * w) {
		c, i := r/h, r%h
		row := y[(c*2*h+2*i+py)*2*w:][:2*w]
		for j, v := range ph[c*ld+off+i*w:][:w] {
			row[2*j+px] = v
		}
	}
}

// gatherPhase is the inverse of scatterPhase.
func gatherPhase[T float](h, w, p int, y, ph []T, ld, off int) {
	py, px := p/2, p%2
	for r := range len(y) / (4 * w) {
		c, i := r/h, r%h
		row := y[(c*2*h+2*i+py)*2*w:][:2*w]
		dst := ph[c*ld+off+i*w:][:w]
		for j := range dst {
			dst[j] = row[2*j+px]
		}
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

func upconvForward[T float](u upconv, x, f, y []T) {
	ws := acquire()
	defer release(ws)
	n, k := u.h*u.w, 2*u.cin
	xLen, yLen := u.cin*n, 4*u.cout*n
	fp := buffers[T](&ws.filters, 4, 4*u.cout*u.cin)
	phaseFilters(u, f, fp)
	pairs := buffers[T](&ws.sums, 1, 8*u.cout*k)[0]
	pairFilters(u, fp, pairs)
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
				scatterPhase(u.h, u.w, p, tmp[w], m, s*n, y[(first+s)*yLen:][:yLen])
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

func upconvInputGrad[T float](u upconv, f, dy, dx []T) {
	ws := acquire()
	defer release(ws)
	n, k := u.h*u.w, 2*u.cin
	xLen, yLen := u.cin*n, 4*u.cout*n
	fp := buffers[T](&ws.filters, 4, 4*u.cout*u.cin)
	phaseFilters(u, f, fp)
	pairs := buffers[T](&ws.sums, 1, 8*u.cout*k)[0]
	pairFilters(u, fp, pairs)
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
				gatherPhase(u.h, u.w, p, dy[(first+s)*yLen:][:yLen], tmp[w], m, s*n)
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

// upconvFilterGrad sums, per goroutine, the four phase filter gradients
// of its samples, adds the goroutines' parts and folds them onto 3×3.
func upconvFilterGrad[T float](u upconv, x, dy, df []T) {
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
				gatherPhase(u.h, u.w, p, dy[(first+s)*yLen:][:yLen], tmp[w], m, s*n)
			}
			for a := range 2 {
				gemm(false, true, u.cout, k, m, 1, tmp[w], m,
					cols[w][u.pairOffset(p, a)*m:], m, 1,
					parts[w][(2*p+a)*u.cout*k:][:u.cout*k], k)
			}
		}
	})
	sum := buffers[T](&ws.sums, 1, pLen)[0]
	sumParts(parts, sum)
	fp := buffers[T](&ws.filters, 4, 4*u.cout*u.cin)
	unpairFilters(u, sum, fp)
	foldFilters(u, fp, df)
}
