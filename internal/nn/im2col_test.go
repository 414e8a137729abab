package nn

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"
)

// TestIm2colAdjoint checks that col2im is the adjoint of im2col:
// ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩, which is what makes the input gradient
// right, for windows the ops use.
func TestIm2colAdjoint(t *testing.T) {
	for _, g := range []window{
		newWindow(3, 5, 5, 3, 3, 1, 1),
		newWindow(2, 7, 6, 4, 4, 2, 1),
		newWindow(3, 8, 8, 4, 4, 2, 1),
		newWindow(2, 5, 7, 4, 4, 2, 1),
		newWindow(2, 9, 8, 3, 2, 3, 0),
		{c: 2, h: 3, w: 5, kh: 2, kw: 2, stride: 1, padY: 0, padX: 1, oh: 3, ow: 5},
	} {
		t.Run(fmt.Sprintf("%+v", g), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 1))
			x := randomTensor(rng, tensor.Float64, g.c*g.h*g.w).Data().([]float64)
			c := randomTensor(rng, tensor.Float64, g.rows()*g.cols()).Data().([]float64)
			col := make([]float64, len(c))
			im2col(g, x, col)
			dx := make([]float64, len(x))
			col2im(g, c, dx)
			var a, b float64
			for i := range c {
				a += col[i] * c[i]
			}
			for i := range x {
				b += x[i] * dx[i]
			}
			checkClose(t, "inner product", []float64{a}, []float64{b}, 1e-12)
		})
	}
}

// TestIm2colShapes checks the unfolding and folding of the windows with
// loops of their own (halving, same3) against the loops for any window,
// on a block of two samples.
func TestIm2colShapes(t *testing.T) {
	for _, g := range []window{
		newWindow(3, 8, 8, 4, 4, 2, 1),
		newWindow(2, 5, 6, 4, 4, 2, 1),
		{c: 2, h: 6, w: 4, kh: 4, kw: 4, stride: 2, padY: 1, padX: 1, oh: 3, ow: 2,
			tapMajor: true},
		newWindow(3, 4, 4, 3, 3, 1, 1),
		newWindow(2, 3, 2, 3, 3, 1, 1),
		{c: 3, h: 8, w: 8, kh: 3, kw: 3, stride: 1, padY: 1, padX: 1, oh: 8, ow: 8,
			tapMajor: true},
	} {
		t.Run(fmt.Sprintf("%+v", g), func(t *testing.T) {
			if g.halving() == g.same3() {
				t.Fatal("the window has no loops of its own")
			}
			rng := rand.New(rand.NewPCG(1, 1))
			n, ld := g.cols(), 2*g.cols()
			x := randomTensor(rng, tensor.Float64, g.c*g.h*g.w).Data().([]float64)
			c := randomTensor(rng, tensor.Float64, g.rows()*ld).Data().([]float64)
			want, got := make([]float64, len(c)), make([]float64, len(c))
			copy(want, c)
			copy(got, c)
			im2colAny(g, x, want, ld, n)
			im2colAt(g, x, got, ld, n)
			checkClose(t, "im2col", got, want, 0)

			wantDx, gotDx := make([]float64, len(x)), make([]float64, len(x))
			col2imAny(g, c, ld, n, wantDx)
			col2imAt(g, c, ld, n, gotDx)
			checkClose(t, "col2im", gotDx, wantDx, 1e-15)
		})
	}
}

// BenchmarkIm2col unfolds one sample of the model's layer shapes.
func BenchmarkIm2col(b *testing.B) {
	for _, c := range []struct {
		name string
		g    window
	}{
		{"dconv2", newWindow(64, 32, 32, 4, 4, 2, 1)},
		{"dconv3", newWindow(128, 16, 16, 4, 4, 2, 1)},
		{"dconv4", newWindow(256, 8, 8, 4, 4, 2, 1)},
		{"gconv2", window{c: 256, h: 8, w: 8, kh: 3, kw: 3, stride: 1,
			padY: 1, padX: 1, oh: 8, ow: 8, tapMajor: true}},
		{"gconv1", window{c: 512, h: 4, w: 4, kh: 3, kw: 3, stride: 1,
			padY: 1, padX: 1, oh: 4, ow: 4, tapMajor: true}},
	} {
		x := make([]float32, c.g.c*c.g.h*c.g.w)
		col := make([]float32, c.g.rows()*c.g.cols())
		b.Run(c.name+"/im2col", func(b *testing.B) {
			b.SetBytes(int64(4 * len(col)))
			for range b.N {
				im2col(c.g, x, col)
			}
		})
		b.Run(c.name+"/col2im", func(b *testing.B) {
			b.SetBytes(int64(4 * len(col)))
			for range b.N {
				col2im(c.g, col, x)
			}
		})
	}
}
