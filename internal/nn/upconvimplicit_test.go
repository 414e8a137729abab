package nn

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"gorgonia.org/tensor"
)

// TestUpConvImplicitMatchesUnfolded compares the implicit products with
// the unfolded ones on planes wide enough to take the implicit path, with
// the scratch buffers full of garbage beforehand, so that a junk column
// not zeroed or a view one element off shows.
func TestUpConvImplicitMatchesUnfolded(t *testing.T) {
	cases := []upconv{
		{n: 3, cin: 5, h: 16, w: 16, cout: 4},
		{n: 3, cin: 5, h: 17, w: 18, cout: 4},
		{n: 2, cin: 6, h: 16, w: 21, cout: 3},
		{n: 1, cin: 1, h: 1, w: 16, cout: 1},
	}
	for _, u := range cases {
		if !u.implicit() {
			t.Fatalf("%v does not take the implicit path", u)
		}
		t.Run(fmt.Sprintf("%v/float64", u), func(t *testing.T) {
			compareImplicit[float64](t, u, tensor.Float64, 1e-12)
		})
		t.Run(fmt.Sprintf("%v/float32", u), func(t *testing.T) {
			compareImplicit[float32](t, u, tensor.Float32, 1e-5)
		})
	}
}

func compareImplicit[T float](t *testing.T, u upconv, dt tensor.Dtype, tol float64) {
	rng := rand.New(rand.NewPCG(11, 12))
	x := data[T](randomTensor(rng, dt, u.xShape()...))
	f := data[T](randomTensor(rng, dt, u.fShape()...))
	dy := data[T](randomTensor(rng, dt, u.yShape()...))
	steps := []struct {
		what               string
		size               int
		implicit, unfolded func(out []T)
	}{
		{"output", len(dy),
			func(y []T) { upconvForwardImplicit(u, x, f, y) },
			func(y []T) { upconvForwardUnfolded(u, x, f, y) }},
		{"input gradient", len(x),
			func(dx []T) { upconvInputGradImplicit(u, f, dy, dx) },
			func(dx []T) { upconvInputGradUnfolded(u, f, dy, dx) }},
		{"filter gradient", len(f),
			func(df []T) { upconvFilterGradImplicit(u, x, dy, df) },
			func(df []T) { upconvFilterGradUnfolded(u, x, dy, df) }},
	}
	for _, s := range steps {
		want := garbage[T](rng, s.size)
		s.unfolded(want)
		got := garbage[T](rng, s.size)
		spoilWorkspace[T](rng, 4*u.padLen()+16*u.cout*u.cin+4*u.cout*u.grid())
		s.implicit(got)
		checkClose(t, s.what, widen(got), widen(want), tol)
	}
}

// spoilWorkspace fills every buffer of the workspace the next operation
// will take with large random values, at least n elements per buffer.
func spoilWorkspace[T float](rng *rand.Rand, n int) {
	ws := acquire()
	defer release(ws)
	for _, s := range []*scratch{&ws.cols, &ws.tmp, &ws.parts, &ws.sums} {
		for _, b := range buffers[T](s, runtime.GOMAXPROCS(0), n) {
			copy(b, garbage[T](rng, n))
		}
	}
}

// garbage returns n large random values.
func garbage[T float](rng *rand.Rand, n int) []T {
	g := make([]T, n)
	for i := range g {
		g[i] = T(1000 * rng.NormFloat64())
	}
	return g
}

func widen[T float](v []T) []float64 {
	w := make([]float64, len(v))
	for i, x := range v {
		w[i] = float64(x)
	}
	return w
}

// BenchmarkUpConvPaths times each product of the generator's upsampling
// convolutions at batch 64 both ways, implicit and unfolded, including
// the 8×8 plane below implicitMinWidth. Compare with benchstat -col /path.
//
//	go test ./internal/nn -run '^$' -bench UpConvPaths -count 5
func BenchmarkUpConvPaths(b *testing.B) {
	shapes := []upconv{
		{n: 64, cin: 256, h: 8, w: 8, cout: 128},
		{n: 64, cin: 128, h: 16, w: 16, cout: 64},
		{n: 64, cin: 64, h: 32, w: 32, cout: 3},
	}
	type paths struct {
		implicit, unfolded func(u upconv, a, b, out []float32)
	}
	parts := []struct {
		name string
		paths
	}{
		{"forward", paths{upconvForwardImplicit[float32], upconvForwardUnfolded[float32]}},
		{"input", paths{upconvInputGradImplicit[float32], upconvInputGradUnfolded[float32]}},
		{"filter", paths{upconvFilterGradImplicit[float32], upconvFilterGradUnfolded[float32]}},
	}
	useBLAS(true)
	rng := rand.New(rand.NewPCG(1, 1))
	for _, u := range shapes {
		x := data[float32](randomTensor(rng, tensor.Float32, u.xShape()...))
		f := data[float32](randomTensor(rng, tensor.Float32, u.fShape()...))
		dy := data[float32](randomTensor(rng, tensor.Float32, u.yShape()...))
		// The inputs and output of each part, in the order it takes them.
		args := map[string][3][]float32{
			"forward": {x, f, make([]float32, len(dy))},
			"input":   {f, dy, make([]float32, len(x))},
			"filter":  {x, dy, make([]float32, len(f))},
		}
		for _, part := range parts {
			a := args[part.name]
			for _, path := range []string{"implicit", "unfolded"} {
				fn := part.implicit
				if path == "unfolded" {
					fn = part.unfolded
				}
				name := fmt.Sprintf("plane=%dx%d/part=%s/path=%s", u.h, u.w, part.name, path)
				b.Run(name, func(b *testing.B) {
					for range b.N {
						fn(u, a[0], a[1], a[2])
					}
				})
			}
		}
	}
}
