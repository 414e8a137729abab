package nn

// The implicit upsampling convolution. Each sample is copied once into a
// zero-padded buffer, planes of h+2 lines of w+2. A phase is computed on
// a grid of h lines of w+2 outputs, the last two of each line junk: the
// inputs that tap (a, b) of its 2×2 filter meets for the whole grid are
// then one run of h·(w+2) padded elements per channel, a strided view of
// the buffer, and each phase is four products over those views, with
// nothing unfolded.

// implicitMinWidth is the narrowest input plane computed implicitly. On
// narrower planes the two junk columns of each grid line are a larger
// share of the work and the unfolded products, over several samples side
// by side, are wider: at 8×8 the two ways measured even.
const implicitMinWidth = 16

func (u upconv) implicit() bool { return u.w >= implicitMinWidth }

// pitch is the length of a padded line and of a grid line.
func (u upconv) pitch() int { return u.w + 2 }

// padPlane is the size of a padded plane.
func (u upconv) padPlane() int { return (u.h + 2) * u.pitch() }

// padLen is the size of a padded sample: the views of the last channel
// read two elements past its plane.
func (u upconv) padLen() int { return u.cin*u.padPlane() + 2 }

// grid is the size of a phase's output grid for one channel.
func (u upconv) grid() int { return u.h * u.pitch() }

// tapOffset returns where, in a padded plane, the view of tap t = 2a+b
// of phase p's filter starts: grid output (i, j) meets padded element
// (i+a+py, j+b+px).
func (u upconv) tapOffset(p, t int) int {
	return (p/2+t/2)*u.pitch() + p%2 + t%2
}

// padSample copies the sample x (cin×h×w) into pad: each plane inside a
// border of zeros, and two zeros after the last.
func padSample[T float](u upconv, x, pad []T) {
	pitch, plane := u.pitch(), u.padPlane()
	for ci := range u.cin {
		dst := pad[ci*plane:][:plane]
		clear(dst[:pitch+1])
		for i := range u.h {
			line := dst[(i+1)*pitch+1:]
			copy(line[:u.w], x[(ci*u.h+i)*u.w:][:u.w])
			// The right border of this line and the left one of the next.
			clear(line[u.w : u.w+2])
		}
		clear(dst[(u.h+1)*pitch+1:])
	}
	clear(pad[u.cin*plane:])
}

// unpadSample is the adjoint of padSample's copy: it writes the inside
// of the padded planes of pad into dx (cin×h×w).
func unpadSample[T float](u upconv, pad, dx []T) {
	pitch, plane := u.pitch(), u.padPlane()
	for ci := range u.cin {
		for i := range u.h {
			copy(dx[(ci*u.h+i)*u.w:][:u.w], pad[ci*plane+(i+1)*pitch+1:][:u.w])
		}
	}
}

// implicitScratch returns from ws, for each goroutine of a pass over the
// batch, a padded sample and a phase grid of cout channels.
func implicitScratch[T float](u upconv, ws *workspace) (pads, grids [][]T) {
	nw := workers(u.n)
	return buffers[T](&ws.cols, nw, u.padLen()), buffers[T](&ws.tmp, nw, u.cout*u.grid())
}

// upconvForwardImplicit is upconvForward by implicit products, a sample
// per goroutine at a time.
func upconvForwardImplicit[T float](u upconv, x, f, y []T) {
	ws := acquire()
	defer release(ws)
	xLen, yLen, fLen := u.cin*u.h*u.w, 4*u.cout*u.h*u.w, u.cout*u.cin
	g, plane := u.grid(), u.padPlane()
	taps := laidFilters(u, ws, u.tapLayout(), f)
	pads, grids := implicitScratch[T](u, ws)
	parallel(u.n, func(w, s int) {
		padSample(u, x[s*xLen:][:xLen], pads[w])
		for p := range 4 {
			for t := range 4 {
				gemm(false, false, u.cout, g, u.cin, 1, taps[(4*p+t)*fLen:][:fLen], u.cin,
					pads[w][u.tapOffset(p, t):], plane, T(min(t, 1)), grids[w], g)
			}
			scatterPhase(u.h, u.w, u.pitch(), p, grids[w], g, 0, y[s*yLen:][:yLen])
		}
	})
}

// upconvInputGradImplicit is upconvInputGrad by implicit products: the
// transposed products add into a padded gradient through the same views
// the forward products read, whose inside is dx.
func upconvInputGradImplicit[T float](u upconv, f, dy, dx []T) {
	ws := acquire()
	defer release(ws)
	xLen, yLen, fLen := u.cin*u.h*u.w, 4*u.cout*u.h*u.w, u.cout*u.cin
	g, plane := u.grid(), u.padPlane()
	taps := laidFilters(u, ws, u.tapLayout(), f)
	pads, grids := implicitScratch[T](u, ws)
	parallel(u.n, func(w, s int) {
		clear(pads[w])
		for p := range 4 {
			// The junk columns gathered as zeros add nothing to the
			// borders or, wrapping around, to the next line.
			gatherPhase(u.h, u.w, u.pitch(), p, dy[s*yLen:][:yLen], grids[w], g, 0)
			for t := range 4 {
				gemm(true, false, u.cin, g, u.cout, 1, taps[(4*p+t)*fLen:][:fLen], u.cin,
					grids[w], g, 1, pads[w][u.tapOffset(p, t):], plane)
			}
		}
		unpadSample(u, pads[w], dx[s*xLen:][:xLen])
	})
}

// upconvFilterGradImplicit is upconvFilterGrad by implicit products. Each
// goroutine sums the phase filter gradients of its samples; the parts are
// added in a fixed order and folded onto 3×3.
func upconvFilterGradImplicit[T float](u upconv, x, dy, df []T) {
	ws := acquire()
	defer release(ws)
	xLen, yLen, fLen := u.cin*u.h*u.w, 4*u.cout*u.h*u.w, u.cout*u.cin
	g, plane := u.grid(), u.padPlane()
	pads, grids := implicitScratch[T](u, ws)
	parts := buffers[T](&ws.parts, len(pads), 16*fLen)
	for _, p := range parts {
		clear(p)
	}
	parallelFixed(u.n, func(w, s int) {
		padSample(u, x[s*xLen:][:xLen], pads[w])
		for p := range 4 {
			// Zero junk columns keep the junk views out of the sums.
			gatherPhase(u.h, u.w, u.pitch(), p, dy[s*yLen:][:yLen], grids[w], g, 0)
			for t := range 4 {
				gemm(false, true, u.cout, u.cin, g, 1, grids[w], g,
					pads[w][u.tapOffset(p, t):], plane,
					1, parts[w][(4*p+t)*fLen:][:fLen], u.cin)
			}
		}
	})
	foldLaid(u, u.tapLayout(), parts, df)
}
