package gan

import (
	"fmt"
	"math/bits"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Arch is the shape of a model: what a checkpoint must match to be loaded.
type Arch struct {
	// Size is the side of the square images, 32, 64 or 128.
	Size int `json:"size"`
	// Width is the channel count of the generator's last block and of the
	// discriminator's first convolution; each resolution halving doubles it.
	Width int `json:"width"`
	// Latent is the length of the generator's input z.
	Latent int `json:"latent"`
	// MinibatchFeatures is the number of minibatch-discrimination kernels
	// (Salimans et al., 2016) on the discriminator's last features: each
	// measures how close a sample is to the others of its batch, so a
	// generator that collapses to a few faces is easy to tell from data.
	// 0 turns them off.
	MinibatchFeatures int `json:"minibatch_features"`
	// ZPredictor adds a head on the discriminator's last features that
	// regresses the z of a generated face; generator and discriminator
	// both minimise its error, so distinct latents must give faces that
	// stay distinct (as in InfoGAN), which fights mode collapse.
	ZPredictor bool `json:"z_predictor"`
}

// minibatchDim is the length of each minibatch-discrimination kernel.
const minibatchDim = 8

// DefaultArch is the 64×64 DCGAN of the README.
var DefaultArch = Arch{Size: 64, Width: 64, Latent: 100}

// Validate reports whether a can be built.
func (a Arch) Validate() error {
	switch {
	case a.Size != 32 && a.Size != 64 && a.Size != 128:
		return fmt.Errorf("size %d: want 32, 64 or 128", a.Size)
	case a.Width < 1 || a.Width > 1024:
		return fmt.Errorf("width %d: want 1 to 1024", a.Width)
	case a.Latent < 1 || a.Latent > 4096:
		return fmt.Errorf("latent size %d: want 1 to 4096", a.Latent)
	case a.MinibatchFeatures < 0 || a.MinibatchFeatures > 256:
		return fmt.Errorf("minibatch features %d: want 0 to 256", a.MinibatchFeatures)
	}
	return nil
}

// String describes a as the flags that choose it.
func (a Arch) String() string {
	return fmt.Sprintf("--size %d --width %d --latent %d --minibatch-features %d "+
		"--z-predictor=%v", a.Size, a.Width, a.Latent, a.MinibatchFeatures, a.ZPredictor)
}

// halvings is how many times the resolution doubles from 4×4 to Size.
func (a Arch) halvings() int { return bits.Len(uint(a.Size/4)) - 1 }

// genChannels lists the generator's channels from the 4×4 map to the last
// block before the RGB convolution.
func (a Arch) genChannels() []int {
	n := a.halvings()
	ch := make([]int, n)
	for i := range ch {
		ch[i] = a.Width << (n - 1 - i)
	}
	return ch
}

// discChannels lists the discriminator's channels after each stride-2
// convolution.
func (a Arch) discChannels() []int {
	ch := make([]int, a.halvings())
	for i := range ch {
		ch[i] = a.Width << i
	}
	return ch
}

// param is one trainable tensor. Its value is shared by every graph that
// uses it, so an optimiser step seen by one graph is seen by all.
type param struct {
	name  string
	value *tensor.Dense
}

// model holds the parameters of a generator and a discriminator.
type model struct {
	arch      Arch
	gen, disc []*param
}

// newModel draws weights from N(0, 0.02) with rng; batch-norm scales start
// at one and every shift and bias at zero.
func newModel(arch Arch, rng *rand.Rand) *model {
	m := &model{arch: arch}
	gc, dc := arch.genChannels(), arch.discChannels()
	normal := func(x []float32) {
		for i := range x {
			x[i] = float32(rng.NormFloat64() * 0.02)
		}
	}
	ones := func(x []float32) {
		for i := range x {
			x[i] = 1
		}
	}
	zeros := func([]float32) {}

	addG := func(name string, init func([]float32), shape ...int) {
		m.gen = append(m.gen, newParam(name, init, shape))
	}
	addG("g.fc.w", normal, arch.Latent, 16*gc[0])
	addG("g.fc.scale", ones, 1, gc[0], 1, 1)
	addG("g.fc.shift", zeros, 1, gc[0], 1, 1)
	for i := 1; i < len(gc); i++ {
		p := fmt.Sprintf("g.up%d.", i)
		addG(p+"w", normal, gc[i], gc[i-1], 3, 3)
		addG(p+"scale", ones, 1, gc[i], 1, 1)
		addG(p+"shift", zeros, 1, gc[i], 1, 1)
	}
	addG("g.out.w", normal, 3, gc[len(gc)-1], 3, 3)
	addG("g.out.b", zeros, 1, 3, 1, 1)

	addD := func(name string, init func([]float32), shape ...int) {
		m.disc = append(m.disc, newParam(name, init, shape))
	}
	addD("d.conv1.w", normal, dc[0], 3, 4, 4)
	addD("d.conv1.b", zeros, 1, dc[0], 1, 1)
	for i := 1; i < len(dc); i++ {
		p := fmt.Sprintf("d.conv%d.", i+1)
		addD(p+"w", normal, dc[i], dc[i-1], 4, 4)
		addD(p+"scale", ones, 1, dc[i], 1, 1)
		addD(p+"shift", zeros, 1, dc[i], 1, 1)
	}
	addD("d.out.w", normal, 1, dc[len(dc)-1], 4, 4)
	addD("d.out.b", zeros, 1, 1, 1, 1)
	features := 16 * dc[len(dc)-1]
	if k := arch.MinibatchFeatures; k > 0 {
		addD("d.mbd.t", normal, features, k*minibatchDim)
		addD("d.mbd.v", normal, k, 1)
	}
	if arch.ZPredictor {
		addD("d.zpred.w", normal, features, arch.Latent)
	}
	return m
}

func newParam(name string, init func([]float32), shape []int) *param {
	size := 1
	for _, s := range shape {
		size *= s
	}
	data := make([]float32, size)
	init(data)
	t := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
	return &param{name: name, value: t}
}

// params returns the generator's then the discriminator's parameters.
func (m *model) params() []*param {
	return append(append([]*param(nil), m.gen...), m.disc...)
}

// bind makes a node in g for every parameter in ps, keyed by name.
func bind(g *G.ExprGraph, ps []*param) map[string]*G.Node {
	nodes := make(map[string]*G.Node, len(ps))
	for _, p := range ps {
		shape := p.value.Shape()
		nodes[p.name] = G.NewTensor(g, G.Float32, shape.Dims(),
			G.WithShape(shape...), G.WithName(p.name), G.WithValue(p.value))
	}
	return nodes
}

// generator adds the generator to b's graph: z (batch, latent) to images
// (batch, 3, size, size) in [-1, 1].
func (m *model) generator(b *builder, p map[string]*G.Node, z *G.Node) *G.Node {
	gc := m.arch.genChannels()
	batch := z.Shape()[0]

	x := b.matMul(z, p["g.fc.w"])
	x = b.reshape(x, batch, gc[0], 4, 4)
	x = b.normAct(x, p["g.fc.scale"], p["g.fc.shift"], actReLU)
	for i := 1; i < len(gc); i++ {
		pre := fmt.Sprintf("g.up%d.", i)
		x = b.upconv(x, p[pre+"w"])
		x = b.normAct(x, p[pre+"scale"], p[pre+"shift"], actReLU)
	}
	x = b.upconv(x, p["g.out.w"])
	return b.biasAct(x, p["g.out.b"], actTanh)
}

// discriminator adds the discriminator to b's graph: images (batch, 3,
// size, size) to logits (batch), positive for real, and its last features
// flattened (batch, 16 × channels).
func (m *model) discriminator(b *builder, p map[string]*G.Node,
	x *G.Node) (logits, features *G.Node) {
	dc := m.arch.discChannels()
	batch := x.Shape()[0]

	x = b.conv(x, p["d.conv1.w"], 2, 1)
	x = b.biasAct(x, p["d.conv1.b"], actLeaky)
	for i := 1; i < len(dc); i++ {
		pre := fmt.Sprintf("d.conv%d.", i+1)
		x = b.conv(x, p[pre+"w"], 2, 1)
		x = b.normAct(x, p[pre+"scale"], p[pre+"shift"], actLeaky)
	}
	features = b.reshape(x, batch, 16*dc[len(dc)-1])
	x = b.conv(x, p["d.out.w"], 1, 0)
	x = b.biasAct(x, p["d.out.b"], actNone)
	logits = b.reshape(x, batch)

	if k := m.arch.MinibatchFeatures; k > 0 {
		closeness := b.minibatch(features, p["d.mbd.t"], k, minibatchDim)
		logits = b.add(logits, b.reshape(b.matMul(closeness, p["d.mbd.v"]), batch))
	}
	return logits, features
}

// predictZ adds the z-predictor head: features (batch, n) to z (batch,
// latent).
func (m *model) predictZ(b *builder, p map[string]*G.Node, features *G.Node) *G.Node {
	return b.matMul(features, p["d.zpred.w"])
}
