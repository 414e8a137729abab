package nn

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// BenchmarkLayer times one forward and backward pass (output, input
// gradient and parameter gradients) of each layer of the default DCGAN
// at batch 64, with gorgonia's stock operations and with this package's.
// Compare with benchstat -col /impl.
//
//	go test ./internal/nn -run '^$' -bench Layer -count 5 | tee layers.txt
func BenchmarkLayer(b *testing.B) {
	const n = 64
	// build adds a layer to a graph with stock or fast operations.
	type build = func(fast bool, x, w *gorgonia.Node) (*gorgonia.Node, error)
	type layer struct {
		name  string
		x, w  tensor.Shape // input and parameter shapes
		build build
	}
	conv := func(stride, pad int) build {
		return func(fast bool, x, w *gorgonia.Node) (*gorgonia.Node, error) {
			if fast {
				return Conv2d(x, w, ConvOptions{Stride: stride, Pad: pad})
			}
			return gorgonia.Conv2d(x, w, tensor.Shape{w.Shape()[2], w.Shape()[3]},
				[]int{pad, pad}, []int{stride, stride}, []int{1, 1})
		}
	}
	upconv := func(fast bool, x, w *gorgonia.Node) (*gorgonia.Node, error) {
		if fast {
			return UpConv(x, w, ConvOptions{})
		}
		up, err := gorgonia.Upsample2D(x, 2)
		if err != nil {
			return nil, err
		}
		return conv(1, 1)(false, up, w)
	}
	norm := func(act Activation) build {
		return func(fast bool, x, w *gorgonia.Node) (*gorgonia.Node, error) {
			if fast {
				return BatchNorm(x, w, w, NewBatchNormStats(x.Shape()[1]),
					BatchNormOptions{Activation: act})
			}
			y, _, _, _, err := gorgonia.BatchNorm(x, w, w, 0.1, 1e-5)
			if err != nil {
				return nil, err
			}
			return stockActivation(y, act)
		}
	}
	upsample := func(fast bool, x, _ *gorgonia.Node) (*gorgonia.Node, error) {
		if fast {
			return Upsample2x(x)
		}
		return gorgonia.Upsample2D(x, 2)
	}
	layers := []layer{
		{"dconv1", tensor.Shape{n, 3, 64, 64}, tensor.Shape{64, 3, 4, 4}, conv(2, 1)},
		{"dconv2", tensor.Shape{n, 64, 32, 32}, tensor.Shape{128, 64, 4, 4}, conv(2, 1)},
		{"dconv3", tensor.Shape{n, 128, 16, 16}, tensor.Shape{256, 128, 4, 4}, conv(2, 1)},
		{"dconv4", tensor.Shape{n, 256, 8, 8}, tensor.Shape{512, 256, 4, 4}, conv(2, 1)},
		{"dout", tensor.Shape{n, 512, 4, 4}, tensor.Shape{1, 512, 4, 4}, conv(1, 0)},
		{"gconv1", tensor.Shape{n, 512, 4, 4}, tensor.Shape{256, 512, 3, 3}, upconv},
		{"gconv2", tensor.Shape{n, 256, 8, 8}, tensor.Shape{128, 256, 3, 3}, upconv},
		{"gconv3", tensor.Shape{n, 128, 16, 16}, tensor.Shape{64, 128, 3, 3}, upconv},
		{"gconv4", tensor.Shape{n, 64, 32, 32}, tensor.Shape{3, 64, 3, 3}, upconv},
		{"upsample", tensor.Shape{n, 64, 32, 32}, nil, upsample},
		{"norm-relu", tensor.Shape{n, 64, 32, 32}, tensor.Shape{1, 64, 1, 1}, norm(ReLU)},
		{"norm-leaky", tensor.Shape{n, 128, 16, 16}, tensor.Shape{1, 128, 1, 1},
			norm(LeakyReLU(0.2))},
	}
	for _, l := range layers {
		for _, fast := range []bool{false, true} {
			impl := map[bool]string{false: "stock", true: "fast"}[fast]
			b.Run(fmt.Sprintf("layer=%s/impl=%s", l.name, impl), func(b *testing.B) {
				useBLAS(fast)
				vm := layerMachine(b, l.x, l.w, func(x, w *gorgonia.Node) (*gorgonia.Node, error) {
					return l.build(fast, x, w)
				})
				defer vm.Close()
				for range b.N {
					if err := vm.RunAll(); err != nil {
						b.Fatal(err)
					}
					vm.Reset()
				}
			})
		}
	}
}

// useBLAS sets gorgonia's matrix products to OpenBLAS, as the trainer
// does, with threads for the stock operations and one thread for the fast
// ones, which parallelise over the batch themselves.
func useBLAS(fast bool) {
	gorgonia.Use(impl64.(gorgoniaBLAS))
	if fast {
		setBLASThreads(1)
	} else {
		setBLASThreads(runtime.GOMAXPROCS(0))
	}
}

// gorgoniaBLAS is the BLAS interface gorgonia.Use takes.
type gorgoniaBLAS = gorgonia.BLAS

// layerMachine compiles Σ layer(x, w) and its gradients with respect to
// x and w (if w has a shape) into a tape machine.
func layerMachine(b *testing.B, xs, ws tensor.Shape,
	layer func(x, w *gorgonia.Node) (*gorgonia.Node, error)) gorgonia.VM {
	rng := rand.New(rand.NewPCG(1, 1))
	g := gorgonia.NewGraph()
	x := gorgonia.NodeFromAny(g, randomTensor(rng, tensor.Float32, xs...),
		gorgonia.WithName("x"))
	wrt := gorgonia.Nodes{x}
	var w *gorgonia.Node
	if ws != nil {
		w = gorgonia.NodeFromAny(g, randomTensor(rng, tensor.Float32, ws...),
			gorgonia.WithName("w"))
		wrt = append(wrt, w)
	}
	y, err := layer(x, w)
	if err != nil {
		b.Fatal(err)
	}
	// The output's gradient is an input, so that no stock reduction
	// weighs on the layer's time.
	dy := gorgonia.NodeFromAny(g, randomTensor(rng, tensor.Float32, y.Shape()...),
		gorgonia.WithName("dy"))
	if _, err := gorgonia.Backpropagate(gorgonia.Nodes{y}, gorgonia.Nodes{dy}, wrt); err != nil {
		b.Fatal(err)
	}
	return gorgonia.NewTapeMachine(g)
}
