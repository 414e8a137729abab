package nn

// window describes how a convolution kernel walks over one sample:
// the input planes, the kernel, the stride and the zeros padded before
// the first row and column. The output size is explicit so that a
// window can also describe a phase of an upsampling convolution.
type window struct {
	c, h, w    int // input channels, height, width
	kh, kw     int // kernel height and width
	stride     int
	padY, padX int // zero rows above and zero columns left of the input
	oh, ow     int // output height and width
	// tapMajor orders the unfolded rows by kernel tap, then channel,
	// so that the rows of one tap form a block.
	tapMajor bool
}

// row returns the unfolded row of channel ci under kernel tap (ky, kx).
func (g window) row(ci, ky, kx int) int {
	if g.tapMajor {
		return (ky*g.kw+kx)*g.c + ci
	}
	return (ci*g.kh+ky)*g.kw + kx
}

// newWindow returns the window of a kh×kw convolution with symmetric
// padding pad and the given stride over c×h×w samples.
func newWindow(c, h, w, kh, kw, stride, pad int) window {
	return window{
		c: c, h: h, w: w, kh: kh, kw: kw, stride: stride, padY: pad, padX: pad,
		oh: (h+2*pad-kh)/stride + 1,
		ow: (w+2*pad-kw)/stride + 1,
	}
}

// rows is the number of rows of the unfolded matrix: c·kh·kw.
func (g window) rows() int { return g.c * g.kh * g.kw }

// cols is the number of columns of the unfolded matrix: oh·ow.
func (g window) cols() int { return g.oh * g.ow }

// span returns the output columns [lo, hi) whose input column for kernel
// column kx falls inside the image, and the input column of lo.
func (g window) span(kx int) (lo, hi, ix int) {
	lo = max(0, ceilDiv(g.padX-kx, g.stride))
	hi = min(g.ow, floorDiv(g.w-1+g.padX-kx, g.stride)+1)
	hi = max(lo, hi)
	return lo, hi, lo*g.stride - g.padX + kx
}

// maxKernel is the widest kernel whose spans live on the stack.
const maxKernel = 16

// spans returns span(kx) for every kernel column.
func (g window) spans() [][3]int {
	var buf [maxKernel][3]int
	s := buf[:0]
	if g.kw > maxKernel {
		s = make([][3]int, 0, g.kw)
	}
	for kx := range g.kw {
		lo, hi, ix := g.span(kx)
		s = append(s, [3]int{lo, hi, ix})
	}
	return s
}

// rowSpan returns the output rows [lo, hi) whose input row for kernel
// row ky falls inside the image.
func (g window) rowSpan(ky int) (lo, hi int) {
	lo = max(0, ceilDiv(g.padY-ky, g.stride))
	hi = min(g.oh, floorDiv(g.h-1+g.padY-ky, g.stride)+1)
	return lo, max(lo, hi)
}

// rowSpans returns rowSpan(ky) for every kernel row.
func (g window) rowSpans() [][2]int {
	var buf [maxKernel][2]int
	s := buf[:0]
	if g.kh > maxKernel {
		s = make([][2]int, 0, g.kh)
	}
	for ky := range g.kh {
		lo, hi := g.rowSpan(ky)
		s = append(s, [2]int{lo, hi})
	}
	return s
}

// im2col unfolds one sample x (c×h×w) into col (rows×cols), row
// (ci·kh+ky)·kw+kx holding the inputs that kernel tap meets.
func im2col[T float](g window, x, col []T) { im2colAt(g, x, col, g.cols(), 0) }

// im2colAt is im2col into columns [off, off+cols) of a matrix whose rows
// are ld long, so that several samples can be unfolded side by side.
// Each row is cleared whole, then the rectangle of outputs whose inputs
// lie inside the image is copied over it: on small planes, a row of four
// outputs, handling the edges segment by segment cost more than the copy.
func im2colAt[T float](g window, x, col []T, ld, off int) {
	switch {
	case g.halving():
		im2colHalving(g, x, col, ld, off)
	case g.same3():
		im2colSame3(g, x, col, ld, off)
	default:
		im2colAny(g, x, col, ld, off)
	}
}

// im2colAny is im2colAt for any window.
func im2colAny[T float](g window, x, col []T, ld, off int) {
	n := g.cols()
	spans := g.spans()
	for ci := range g.c {
		plane := x[ci*g.h*g.w : (ci+1)*g.h*g.w]
		for ky := range g.kh {
			ylo, yhi := g.rowSpan(ky)
			for kx, sp := range spans {
				row := col[g.row(ci, ky, kx)*ld+off:][:n]
				clear(row)
				lo, hi, ix0 := sp[0], sp[1], sp[2]
				if lo == hi {
					continue
				}
				for oy := ylo; oy < yhi; oy++ {
					src := plane[(oy*g.stride-g.padY+ky)*g.w+ix0:]
					gather(row[oy*g.ow+lo:oy*g.ow+hi], src, g.stride)
				}
			}
		}
	}
}

// whole reports whether g's kernel covers its whole unpadded input, as
// a discriminator's last layer does: the one unfolded column of a sample
// is then the sample itself.
func (g window) whole() bool {
	return g.kh == g.h && g.kw == g.w && g.padY == 0 && g.padX == 0 && !g.tapMajor
}

// halving reports whether g is the convolution that halves a plane of
// even width, as every layer of a DCGAN discriminator does: a 4-wide
// kernel at stride 2 with one column of padding.
func (g window) halving() bool {
	return g.kw == 4 && g.stride == 2 && g.padX == 1 && g.w == 2*g.ow
}

// im2colHalving is im2colAt for a halving window. The four kernel columns
// read the same input row, so they are unfolded together, in one pass
// over it.
func im2colHalving[T float](g window, x, col []T, ld, off int) {
	n, ow := g.cols(), g.ow
	// On small planes the bookkeeping of a kernel row costs as much as
	// its copies, so what does not depend on the channel is done once.
	rows := g.rowSpans()
	next := ld * (g.row(0, 0, 1) - g.row(0, 0, 0)) // from one kernel column to the next
	for ci := range g.c {
		plane := x[ci*g.h*g.w : (ci+1)*g.h*g.w]
		for ky, span := range rows {
			ylo, yhi := span[0], span[1]
			at := g.row(ci, ky, 0)*ld + off
			r := [4][]T{col[at:][:n], col[at+next:][:n], col[at+2*next:][:n],
				col[at+3*next:][:n]}
			if ylo > 0 || yhi < g.oh {
				for kx := range r {
					clear(r[kx][:ylo*ow])
					clear(r[kx][yhi*ow:])
				}
			}
			if ylo < yhi {
				unfoldHalvingRows(&r, plane[(ylo*2-g.padY+ky)*g.w:], ow, ylo, yhi)
			}
		}
	}
}

// unfoldHalvingRows unfolds output rows [lo, hi), ow wide, of the four
// kernel columns r from src, the input row of output row lo, on.
func unfoldHalvingRows[T float](r *[4][]T, src []T, ow, lo, hi int) {
	// The discriminator's last unfolded layers have rows 4 and 8 wide,
	// where the loops' overhead would cost more than the copies.
	switch ow {
	case 4:
		for oy := lo; oy < hi; oy++ {
			o := 4 * oy
			unfoldHalving4((*[4]T)(r[0][o:]), (*[4]T)(r[1][o:]), (*[4]T)(r[2][o:]),
				(*[4]T)(r[3][o:]), (*[8]T)(src[16*(oy-lo):]))
		}
	case 8:
		for oy := lo; oy < hi; oy++ {
			o := 8 * oy
			unfoldHalving8((*[8]T)(r[0][o:]), (*[8]T)(r[1][o:]), (*[8]T)(r[2][o:]),
				(*[8]T)(r[3][o:]), (*[16]T)(src[32*(oy-lo):]))
		}
	default:
		for oy := lo; oy < hi; oy++ {
			o := oy * ow
			unfoldHalving(r[0][o:o+ow], r[1][o:o+ow], r[2][o:o+ow], r[3][o:o+ow],
				src[4*ow*(oy-lo):][:2*ow])
		}
	}
}

// unfoldHalving sets r0[i], r1[i], r2[i], r3[i] to src[2i-1], src[2i],
// src[2i+1], src[2i+2], or to zero where that index is outside src, which
// holds 2·len(r1) elements.
func unfoldHalving[T float](r0, r1, r2, r3, src []T) {
	ow := len(r1)
	src = src[:2*ow]
	r0, r2, r3 = r0[:ow], r2[:ow], r3[:ow]
	for i := range r1 {
		r1[i], r2[i] = src[2*i], src[2*i+1]
	}
	// r0 is r2 a column later and r3 is r1 a column earlier: copies.
	r0[0], r3[ow-1] = 0, 0
	copy(r0[1:], r2[:ow-1])
	copy(r3[:ow-1], r1[1:])
}

// unfoldHalving4 is unfoldHalving for rows 4 wide.
func unfoldHalving4[T float](r0, r1, r2, r3 *[4]T, s *[8]T) {
	*r0 = [4]T{0, s[1], s[3], s[5]}
	*r1 = [4]T{s[0], s[2], s[4], s[6]}
	*r2 = [4]T{s[1], s[3], s[5], s[7]}
	*r3 = [4]T{s[2], s[4], s[6], 0}
}

// unfoldHalving8 is unfoldHalving for rows 8 wide.
func unfoldHalving8[T float](r0, r1, r2, r3 *[8]T, s *[16]T) {
	*r0 = [8]T{0, s[1], s[3], s[5], s[7], s[9], s[11], s[13]}
	*r1 = [8]T{s[0], s[2], s[4], s[6], s[8], s[10], s[12], s[14]}
	*r2 = [8]T{s[1], s[3], s[5], s[7], s[9], s[11], s[13], s[15]}
	*r3 = [8]T{s[2], s[4], s[6], s[8], s[10], s[12], s[14], 0}
}

// col2im folds col (rows×cols) back onto one sample dx (c×h×w), adding
// every column entry to the input it came from. dx must be zeroed first.
func col2im[T float](g window, col, dx []T) { col2imAt(g, col, g.cols(), 0, dx) }

// col2imAt is col2im from columns [off, off+cols) of a matrix whose rows
// are ld long.
func col2imAt[T float](g window, col []T, ld, off int, dx []T) {
	switch {
	case g.halving():
		col2imHalving(g, col, ld, off, dx)
	case g.same3():
		col2imSame3(g, col, ld, off, dx)
	default:
		col2imAny(g, col, ld, off, dx)
	}
}

// col2imAny is col2imAt for any window.
func col2imAny[T float](g window, col []T, ld, off int, dx []T) {
	n := g.cols()
	spans := g.spans()
	for ci := range g.c {
		plane := dx[ci*g.h*g.w : (ci+1)*g.h*g.w]
		for ky := range g.kh {
			ylo, yhi := g.rowSpan(ky)
			for kx, sp := range spans {
				row := col[g.row(ci, ky, kx)*ld+off:][:n]
				lo, hi, ix0 := sp[0], sp[1], sp[2]
				if lo == hi {
					continue
				}
				for oy := ylo; oy < yhi; oy++ {
					seg := row[oy*g.ow+lo : oy*g.ow+hi]
					dst := plane[(oy*g.stride-g.padY+ky)*g.w+ix0:]
					scatterAdd(dst, seg, g.stride)
				}
			}
		}
	}
}

// col2imHalving is col2imAt for a halving window, the four kernel columns
// folded onto each input row together.
func col2imHalving[T float](g window, col []T, ld, off int, dx []T) {
	n, ow := g.cols(), g.ow
	rows := g.rowSpans()
	next := ld * (g.row(0, 0, 1) - g.row(0, 0, 0))
	for ci := range g.c {
		plane := dx[ci*g.h*g.w : (ci+1)*g.h*g.w]
		for ky, span := range rows {
			ylo, yhi := span[0], span[1]
			at := g.row(ci, ky, 0)*ld + off
			r := [4][]T{col[at:][:n], col[at+next:][:n], col[at+2*next:][:n],
				col[at+3*next:][:n]}
			for oy := ylo; oy < yhi; oy++ {
				dst := plane[(oy*2-g.padY+ky)*g.w:][:g.w]
				o := oy * ow
				if ow == 4 {
					// The discriminator's last unfolded layer, in straight lines.
					foldHalving4((*[8]T)(dst), (*[4]T)(r[0][o:]), (*[4]T)(r[1][o:]),
						(*[4]T)(r[2][o:]), (*[4]T)(r[3][o:]))
					continue
				}
				foldHalving(dst, r[0][o:o+ow], r[1][o:o+ow], r[2][o:o+ow], r[3][o:o+ow])
			}
		}
	}
}

// foldHalving4 is foldHalving for rows 4 wide.
func foldHalving4[T float](d *[8]T, r0, r1, r2, r3 *[4]T) {
	d[0] += r1[0]
	d[1] += r2[0] + r0[1]
	d[2] += r1[1] + r3[0]
	d[3] += r2[1] + r0[2]
	d[4] += r1[2] + r3[1]
	d[5] += r2[2] + r0[3]
	d[6] += r1[3] + r3[2]
	d[7] += r2[3]
}

// foldHalving is the adjoint of unfoldHalving: it adds r0[i], r1[i],
// r2[i], r3[i] to dst[2i-1], dst[2i], dst[2i+1], dst[2i+2], dropping what
// falls outside dst, which holds 2·len(r1) elements.
func foldHalving[T float](dst, r0, r1, r2, r3 []T) {
	ow := len(r1)
	dst = dst[:2*ow]
	r0, r2, r3 = r0[:ow], r2[:ow], r3[:ow]
	dst[0] += r1[0]
	dst[2*ow-1] += r2[ow-1]
	for i := range ow - 1 {
		dst[2*i+1] += r2[i] + r0[i+1]
		dst[2*i+2] += r1[i+1] + r3[i]
	}
}

// same3 reports whether g is a 3-wide kernel at stride 1 with one column
// of padding, which keeps the width, as an upsampling convolution's
// unfolding is.
func (g window) same3() bool {
	return g.kw == 3 && g.stride == 1 && g.padX == 1 && g.ow == g.w && g.w >= 2
}

// im2colSame3 is im2colAt for a same3 window, the three kernel columns
// unfolded from each input row together: on the 4- and 8-wide planes
// where it is used, a loop per kernel column costs more than the copy.
func im2colSame3[T float](g window, x, col []T, ld, off int) {
	n, w := g.cols(), g.w
	for ci := range g.c {
		plane := x[ci*g.h*g.w : (ci+1)*g.h*g.w]
		for ky := range g.kh {
			ylo, yhi := g.rowSpan(ky)
			var r [3][]T
			for kx := range r {
				r[kx] = col[g.row(ci, ky, kx)*ld+off:][:n]
				clear(r[kx][:ylo*w])
				clear(r[kx][yhi*w:])
			}
			if ylo < yhi {
				unfoldSame3Rows(&r, plane[(ylo-g.padY+ky)*w:], w, ylo, yhi)
			}
		}
	}
}

// unfoldSame3Rows unfolds output rows [lo, hi), w wide, of the three
// kernel columns r from src, the input row of output row lo, on.
func unfoldSame3Rows[T float](r *[3][]T, src []T, w, lo, hi int) {
	// Rows 4 wide, the generator's first layer, are written in straight
	// lines; at 8 wide that measured slower than the loops.
	switch w {
	case 4:
		for oy := lo; oy < hi; oy++ {
			o, s := 4*oy, (*[4]T)(src[4*(oy-lo):])
			*(*[4]T)(r[0][o:]) = [4]T{0, s[0], s[1], s[2]}
			*(*[4]T)(r[1][o:]) = *s
			*(*[4]T)(r[2][o:]) = [4]T{s[1], s[2], s[3], 0}
		}
	default:
		for oy := lo; oy < hi; oy++ {
			o := oy * w
			unfoldSame3(r[0][o:o+w], r[1][o:o+w], r[2][o:o+w], src[(oy-lo)*w:][:w])
		}
	}
}

// unfoldSame3 sets r0[i], r1[i], r2[i] to src[i-1], src[i], src[i+1], or
// to zero where that index is outside src.
func unfoldSame3[T float](r0, r1, r2, src []T) {
	w := len(src)
	r0, r1, r2 = r0[:w], r1[:w], r2[:w]
	r0[0], r2[w-1] = 0, 0
	for i, v := range src {
		r1[i] = v
	}
	for i := 1; i < w; i++ {
		r0[i], r2[i-1] = src[i-1], src[i]
	}
}

// col2imSame3 is col2imAt for a same3 window, the three kernel columns
// folded onto each input row together.
func col2imSame3[T float](g window, col []T, ld, off int, dx []T) {
	n, w := g.cols(), g.w
	for ci := range g.c {
		plane := dx[ci*g.h*g.w : (ci+1)*g.h*g.w]
		for ky := range g.kh {
			ylo, yhi := g.rowSpan(ky)
			var r [3][]T
			for kx := range r {
				r[kx] = col[g.row(ci, ky, kx)*ld+off:][:n]
			}
			for oy := ylo; oy < yhi; oy++ {
				dst := plane[(oy-g.padY+ky)*w:][:w]
				o := oy * w
				foldSame3(dst, r[0][o:o+w], r[1][o:o+w], r[2][o:o+w])
			}
		}
	}
}

// foldSame3 is the adjoint of unfoldSame3: it adds r0[i], r1[i], r2[i] to
// dst[i-1], dst[i], dst[i+1], dropping what falls outside dst.
func foldSame3[T float](dst, r0, r1, r2 []T) {
	w := len(dst)
	r0, r1, r2 = r0[:w], r1[:w], r2[:w]
	dst[0] += r1[0] + r0[1]
	for i := 1; i < w-1; i++ {
		dst[i] += r2[i-1] + r1[i] + r0[i+1]
	}
	dst[w-1] += r2[w-2] + r1[w-1]
}

// scatterAdd adds src[i] to dst[i·stride].
func scatterAdd[T float](dst, src []T, stride int) {
	switch stride {
	case 1:
		dst = dst[:len(src)]
		for i, v := range src {
			dst[i] += v
		}
	case 2:
		dst = dst[:2*len(src)-1]
		for i, v := range src {
			dst[2*i] += v
		}
	default:
		for i, v := range src {
			dst[i*stride] += v
		}
	}
}

// gather sets dst[i] = src[i·stride].
func gather[T float](dst, src []T, stride int) {
	if len(dst) == 0 {
		return
	}
	src = src[:(len(dst)-1)*stride+1]
	switch stride {
	case 1:
		for i := range dst {
			dst[i] = src[i]
		}
	case 2:
		for i := range dst {
			dst[i] = src[2*i]
		}
	default:
		for i := range dst {
			dst[i] = src[i*stride]
		}
	}
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func ceilDiv(a, b int) int { return -floorDiv(-a, b) }
