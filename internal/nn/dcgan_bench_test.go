package nn

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// This file measures one training iteration of the default 64×64 DCGAN
// at batch 64, as the trainer runs it: the generator's graph stops at its
// images (Handoff), the discriminator's step and the generator's loss run
// on them in graphs of their own, and the generator's backward pass
// finishes with the gradient handed back. It runs once with gorgonia's
// stock operations and once with this package's. testdata/dcgan_torch.py
// is the same model and iteration in PyTorch.
//
//	go test ./internal/nn -run '^$' -bench DCGAN -benchtime 5x

// layers makes the nodes whose implementation differs between the runs.
type layers interface {
	conv(x, w *gorgonia.Node, stride, pad int, noFilter, noInput bool) *gorgonia.Node
	upconv(x, w *gorgonia.Node) *gorgonia.Node
	normAct(x, scale, bias *gorgonia.Node, act Activation, noParam bool) *gorgonia.Node
	biasAct(x, bias *gorgonia.Node, act Activation, noParam bool) *gorgonia.Node
}

type stockLayers struct{}

func (stockLayers) conv(x, w *gorgonia.Node, stride, pad int, _, _ bool) *gorgonia.Node {
	k := tensor.Shape{w.Shape()[2], w.Shape()[3]}
	return gorgonia.Must(gorgonia.Conv2d(x, w, k, []int{pad, pad}, []int{stride, stride},
		[]int{1, 1}))
}

func (l stockLayers) upconv(x, w *gorgonia.Node) *gorgonia.Node {
	return l.conv(gorgonia.Must(gorgonia.Upsample2D(x, 2)), w, 1, 1, false, false)
}

func (stockLayers) normAct(x, scale, bias *gorgonia.Node, act Activation, _ bool) *gorgonia.Node {
	y, _, _, _, err := gorgonia.BatchNorm(x, scale, bias, 0.1, 1e-5)
	if err != nil {
		panic(err)
	}
	return gorgonia.Must(stockActivation(y, act))
}

func (stockLayers) biasAct(x, bias *gorgonia.Node, act Activation, _ bool) *gorgonia.Node {
	y := gorgonia.Must(gorgonia.Auto(gorgonia.BroadcastAdd, x, bias))
	return gorgonia.Must(stockActivation(y, act))
}

type fastLayers struct{}

func (fastLayers) conv(x, w *gorgonia.Node, stride, pad int,
	noFilter, noInput bool) *gorgonia.Node {
	return gorgonia.Must(Conv2d(x, w, ConvOptions{Stride: stride, Pad: pad,
		NoFilterGrad: noFilter, NoInputGrad: noInput}))
}

func (fastLayers) upconv(x, w *gorgonia.Node) *gorgonia.Node {
	return gorgonia.Must(UpConv(x, w, ConvOptions{}))
}

func (fastLayers) normAct(x, scale, bias *gorgonia.Node, act Activation,
	noParam bool) *gorgonia.Node {
	stats := NewBatchNormStats(x.Shape()[1])
	return gorgonia.Must(BatchNorm(x, scale, bias, stats,
		BatchNormOptions{Activation: act, NoParamGrad: noParam}))
}

func (fastLayers) biasAct(x, bias *gorgonia.Node, act Activation, noParam bool) *gorgonia.Node {
	return gorgonia.Must(BiasAct(x, bias, BiasOptions{Activation: act, NoBiasGrad: noParam}))
}

// dcgan holds the parameters of the default generator and discriminator.
type dcgan struct {
	batch     int
	gen, disc []string
	values    map[string]*tensor.Dense
}

func newDCGAN(batch int) *dcgan {
	m := &dcgan{batch: batch, values: map[string]*tensor.Dense{}}
	rng := rand.New(rand.NewPCG(1, 1))
	add := func(list *[]string, name string, std float64, shape ...int) {
		t := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(shape...))
		for i, d := 0, t.Data().([]float32); i < len(d); i++ {
			d[i] = float32(rng.NormFloat64() * std)
			if std == 0 && strings.HasSuffix(name, "scale") {
				d[i] = 1
			}
		}
		*list = append(*list, name)
		m.values[name] = t
	}
	gc, dc := []int{512, 256, 128, 64}, []int{64, 128, 256, 512}
	add(&m.gen, "g.fc.w", 0.02, 100, 16*gc[0])
	add(&m.gen, "g.fc.scale", 0, 1, gc[0], 1, 1)
	add(&m.gen, "g.fc.shift", 0, 1, gc[0], 1, 1)
	for i := 1; i < len(gc); i++ {
		add(&m.gen, fmt.Sprintf("g.up%d.w", i), 0.02, gc[i], gc[i-1], 3, 3)
		add(&m.gen, fmt.Sprintf("g.up%d.scale", i), 0, 1, gc[i], 1, 1)
		add(&m.gen, fmt.Sprintf("g.up%d.shift", i), 0, 1, gc[i], 1, 1)
	}
	add(&m.gen, "g.out.w", 0.02, 3, gc[3], 3, 3)
	add(&m.gen, "g.out.b", 0, 1, 3, 1, 1)
	add(&m.disc, "d.conv1.w", 0.02, dc[0], 3, 4, 4)
	add(&m.disc, "d.conv1.b", 0, 1, dc[0], 1, 1)
	for i := 1; i < len(dc); i++ {
		add(&m.disc, fmt.Sprintf("d.conv%d.w", i+1), 0.02, dc[i], dc[i-1], 4, 4)
		add(&m.disc, fmt.Sprintf("d.conv%d.scale", i+1), 0, 1, dc[i], 1, 1)
		add(&m.disc, fmt.Sprintf("d.conv%d.shift", i+1), 0, 1, dc[i], 1, 1)
	}
	add(&m.disc, "d.out.w", 0.02, 1, dc[3], 4, 4)
	add(&m.disc, "d.out.b", 0, 1, 1, 1, 1)
	return m
}

// graph is one compiled loss and the gradients of the parameters it trains
// (or of its images, for the generator's loss).
type graph struct {
	vm      gorgonia.VM
	train   []string
	grads   gorgonia.Nodes
	inputs  map[string]*tensor.Dense
	handoff *Handoff
}

// The three graphs of an iteration.
const (
	genGraph = iota
	discGraph
	fooledGraph
)

// build makes one of the iteration's graphs.
func (m *dcgan) build(l layers, kind int) *graph {
	g := gorgonia.NewGraph()
	if kind == genGraph {
		KeepApart(g)
	}
	gr := &graph{inputs: map[string]*tensor.Dense{}}
	p := map[string]*gorgonia.Node{}
	for name, v := range m.values {
		p[name] = gorgonia.NodeFromAny(g, v, gorgonia.WithName(name))
	}
	input := func(name string, shape ...int) *gorgonia.Node {
		t := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(shape...))
		gr.inputs[name] = t
		return gorgonia.NodeFromAny(g, t, gorgonia.WithName(name))
	}
	gen := func(z *gorgonia.Node) *gorgonia.Node {
		x := gorgonia.Must(gorgonia.Mul(z, p["g.fc.w"]))
		x = gorgonia.Must(gorgonia.Reshape(x, tensor.Shape{m.batch, 512, 4, 4}))
		x = l.normAct(x, p["g.fc.scale"], p["g.fc.shift"], ReLU, false)
		for i := 1; i <= 3; i++ {
			x = l.upconv(x, p[fmt.Sprintf("g.up%d.w", i)])
			x = l.normAct(x, p[fmt.Sprintf("g.up%d.scale", i)], p[fmt.Sprintf("g.up%d.shift", i)],
				ReLU, false)
		}
		x = l.upconv(x, p["g.out.w"])
		return l.biasAct(x, p["g.out.b"], Tanh, false)
	}
	// In the generator's loss the discriminator is not trained: its
	// filters need no gradient. In the discriminator's, its input needs none.
	disc := kind == discGraph
	dis := func(x *gorgonia.Node) *gorgonia.Node {
		x = l.conv(x, p["d.conv1.w"], 2, 1, !disc, disc)
		x = l.biasAct(x, p["d.conv1.b"], LeakyReLU(0.2), !disc)
		for i := 2; i <= 4; i++ {
			x = l.conv(x, p[fmt.Sprintf("d.conv%d.w", i)], 2, 1, !disc, false)
			x = l.normAct(x, p[fmt.Sprintf("d.conv%d.scale", i)],
				p[fmt.Sprintf("d.conv%d.shift", i)], LeakyReLU(0.2), !disc)
		}
		x = l.conv(x, p["d.out.w"], 1, 0, !disc, false)
		x = l.biasAct(x, p["d.out.b"], Linear, !disc)
		return gorgonia.Must(gorgonia.Reshape(x, tensor.Shape{m.batch}))
	}
	meanSoftplus := func(x *gorgonia.Node) *gorgonia.Node {
		return gorgonia.Must(gorgonia.Mean(gorgonia.Must(gorgonia.Softplus(x))))
	}

	var loss *gorgonia.Node
	var wrt gorgonia.Nodes
	switch kind {
	case genGraph:
		var err error
		if gr.handoff, loss, err = NewHandoff(gen(input("z", m.batch, 100))); err != nil {
			panic(err)
		}
		gr.train = m.gen
	case discGraph:
		real := dis(input("real", m.batch, 3, 64, 64))
		fake := dis(input("fake", m.batch, 3, 64, 64))
		loss = gorgonia.Must(gorgonia.Add(meanSoftplus(gorgonia.Must(gorgonia.Neg(real))),
			meanSoftplus(fake)))
		gr.train = m.disc
	case fooledGraph:
		fake := input("fake", m.batch, 3, 64, 64)
		loss = meanSoftplus(gorgonia.Must(gorgonia.Neg(dis(fake))))
		wrt = gorgonia.Nodes{fake}
	}
	for _, name := range gr.train {
		wrt = append(wrt, p[name])
	}
	var err error
	if gr.grads, err = gorgonia.Grad(loss, wrt...); err != nil {
		panic(err)
	}
	gr.vm = gorgonia.NewTapeMachine(g)
	return gr
}

// update takes a plain gradient step on the graph's parameters.
func (m *dcgan) update(gr *graph) {
	for i, name := range gr.train {
		p := m.values[name].Data().([]float32)
		for j, v := range gr.grads[i].Value().Data().([]float32) {
			p[j] -= 2e-4 * v
		}
	}
}

// iteration runs the three graphs of one training iteration.
func (m *dcgan) iteration(gen, disc, fooled *graph) error {
	defer gen.vm.Reset()
	fake, err := gen.handoff.Forward(gen.vm)
	if err != nil {
		return err
	}
	copy(disc.inputs["fake"].Data().([]float32), fake.Data().([]float32))
	copy(fooled.inputs["fake"].Data().([]float32), fake.Data().([]float32))
	for _, gr := range []*graph{disc, fooled} {
		if err := gr.vm.RunAll(); err != nil {
			gen.handoff.Backward(nil)
			return err
		}
		gr.vm.Reset()
		m.update(gr)
	}
	if err := gen.handoff.Backward(fooled.grads[0].Value().(*tensor.Dense)); err != nil {
		return err
	}
	m.update(gen)
	return nil
}

func BenchmarkDCGANStep(b *testing.B) {
	for _, v := range []struct {
		name string
		l    layers
	}{{"stock", stockLayers{}}, {"fast", fastLayers{}}} {
		b.Run(v.name, func(b *testing.B) {
			useBLAS(v.name == "fast")
			const batch = 64
			m := newDCGAN(batch)
			gen, disc := m.build(v.l, genGraph), m.build(v.l, discGraph)
			fooled := m.build(v.l, fooledGraph)
			rng := rand.New(rand.NewPCG(2, 2))
			for _, gr := range []*graph{gen, disc} {
				for _, t := range gr.inputs {
					for i, d := 0, t.Data().([]float32); i < len(d); i++ {
						d[i] = float32(rng.NormFloat64() * 0.5)
					}
				}
			}
			iteration := func() {
				if err := m.iteration(gen, disc, fooled); err != nil {
					b.Fatal(err)
				}
			}
			// The first iteration allocates the buffers every later one
			// reuses; memory left by earlier rounds goes back to the system.
			iteration()
			debug.FreeOSMemory()
			resetPeakRSS()
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				iteration()
			}
			b.ReportMetric(float64(batch*b.N)/time.Since(start).Seconds(), "img/s")
			b.ReportMetric(peakRSS()/(1<<20), "peakMiB")
			runtime.KeepAlive(m)
		})
	}
}

// resetPeakRSS starts a new peak resident set size measurement (Linux).
func resetPeakRSS() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS returns the peak resident set size in bytes since the last reset,
// from /proc/self/status (Linux), or 0.
func peakRSS() float64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(rest, "kB")))
			return float64(kb) * 1024
		}
	}
	return 0
}
