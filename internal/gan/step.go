package gan

import (
	"errors"
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ErrNotFinite is returned when a loss becomes NaN or infinite.
var ErrNotFinite = errors.New("loss is not finite")

// losses is what one training iteration measured.
type losses struct {
	D, G         float64 // discriminator and generator loss, z loss included
	DReal, DFake float64 // mean probability of "real" on real and fake images
	Z            float64 // the z-predictor's weighted error in the generator step
}

// stepper runs training iterations: a discriminator graph and a generator
// graph over one set of parameters.
type stepper struct {
	m            *model
	batch        int
	disc, gen    *lossGraph
	adamD, adamG *Adam
}

// lossGraph is one compiled graph that computes a loss and the gradients
// of some parameters.
type lossGraph struct {
	vm      G.VM
	z, real *tensor.Dense // inputs, overwritten in place before each run
	params  []*param      // what grads belong to
	grads   []*G.Node
	norms   []*norm // the batch-norm layers whose statistics a checkpoint keeps

	loss, realLogits, fakeLogits G.Value
	zLoss                        G.Value // nil without a z-predictor
}

// addZLoss adds the z-predictor's error to loss when the model has one.
func (lg *lossGraph) addZLoss(b *builder, m *model, p map[string]*G.Node,
	loss, features, z *G.Node) *G.Node {
	if !m.arch.ZPredictor || b.err != nil {
		return loss
	}
	zl := b.zLoss(m.predictZ(b, p, features), z)
	if b.err == nil {
		G.Read(zl, &lg.zLoss)
	}
	return b.add(loss, zl)
}

func newStepper(m *model, batch int, lr float64) (*stepper, error) {
	s := &stepper{m: m, batch: batch}
	var err error
	if s.disc, err = newDiscGraph(m, batch); err != nil {
		return nil, fmt.Errorf("discriminator graph: %w", err)
	}
	if s.gen, err = newGenGraph(m, batch); err != nil {
		return nil, fmt.Errorf("generator graph: %w", err)
	}
	s.adamD = newAdam(lr, sizes(m.disc))
	s.adamG = newAdam(lr, sizes(m.gen))
	return s, nil
}

func sizes(ps []*param) []int {
	n := make([]int, len(ps))
	for i, p := range ps {
		n[i] = p.value.Shape().TotalSize()
	}
	return n
}

// newDiscGraph builds loss_D = softplus(-D(real)) + softplus(D(G(z))) and
// its gradient with respect to the discriminator's parameters.
//
// TODO: the generator's forward pass runs here and again in the generator
// graph; PyTorch runs it once and keeps its activations for the generator
// step. Sharing it needs the generator's forward and backward passes to run
// apart, with the discriminator step between them, while a tape machine
// runs a graph as a whole: it would take a machine that runs a graph in
// two parts.
func newDiscGraph(m *model, batch int) (*lossGraph, error) {
	g := G.NewGraph()
	b := &builder{g: g, train: true, learned: names(m.disc)}
	p := bind(g, m.params())
	lg := newInputs(g, m.arch, batch, true)

	z := lg.zNode(g)
	fake := m.generator(b, p, z)
	first := len(b.norms)
	realLogits, _ := m.discriminator(b, p, lg.realNode(g))
	lg.norms = b.norms[first:]
	fakeLogits, features := m.discriminator(b, p, fake)
	loss := b.discLoss(realLogits, fakeLogits)
	loss = lg.addZLoss(b, m, p, loss, features, z)
	if b.err != nil {
		return nil, b.err
	}

	// Reads come before the gradient: the backward pass reuses the memory
	// of forward values.
	G.Read(loss, &lg.loss)
	G.Read(realLogits, &lg.realLogits)
	G.Read(fakeLogits, &lg.fakeLogits)
	return lg, lg.compile(g, loss, m.disc, p)
}

// newGenGraph builds loss_G = softplus(-D(G(z))) and its gradient with
// respect to the generator's parameters.
func newGenGraph(m *model, batch int) (*lossGraph, error) {
	g := G.NewGraph()
	b := &builder{g: g, train: true, learned: names(m.gen)}
	p := bind(g, m.params())
	lg := newInputs(g, m.arch, batch, false)

	z := lg.zNode(g)
	fake := m.generator(b, p, z)
	lg.norms = b.norms
	fakeLogits, features := m.discriminator(b, p, fake)
	loss := b.genLoss(fakeLogits)
	loss = lg.addZLoss(b, m, p, loss, features, z)
	if b.err != nil {
		return nil, b.err
	}

	G.Read(loss, &lg.loss)
	G.Read(fakeLogits, &lg.fakeLogits)
	return lg, lg.compile(g, loss, m.gen, p)
}

// names returns the set of the names of ps.
func names(ps []*param) map[string]bool {
	set := make(map[string]bool, len(ps))
	for _, p := range ps {
		set[p.name] = true
	}
	return set
}

// newInputs allocates the input tensors of a graph.
func newInputs(g *G.ExprGraph, arch Arch, batch int, withReal bool) *lossGraph {
	lg := &lossGraph{
		z: tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(batch, arch.Latent)),
	}
	if withReal {
		lg.real = tensor.New(tensor.Of(tensor.Float32),
			tensor.WithShape(batch, 3, arch.Size, arch.Size))
	}
	return lg
}

func (lg *lossGraph) zNode(g *G.ExprGraph) *G.Node {
	return G.NewMatrix(g, G.Float32, G.WithShape(lg.z.Shape()...),
		G.WithName("z"), G.WithValue(lg.z))
}

func (lg *lossGraph) realNode(g *G.ExprGraph) *G.Node {
	return G.NewTensor(g, G.Float32, 4, G.WithShape(lg.real.Shape()...),
		G.WithName("real"), G.WithValue(lg.real))
}

// compile adds the gradient of loss with respect to params and makes the
// machine that runs the graph.
func (lg *lossGraph) compile(g *G.ExprGraph, loss *G.Node, params []*param,
	nodes map[string]*G.Node) error {
	wrt := make(G.Nodes, len(params))
	for i, p := range params {
		wrt[i] = nodes[p.name]
	}
	grads, err := G.Grad(loss, wrt...)
	if err != nil {
		return fmt.Errorf("gradient: %w", err)
	}
	lg.params, lg.grads = params, grads
	lg.vm = G.NewTapeMachine(g)
	return nil
}

// run executes the graph once and returns the loss and the gradients.
func (lg *lossGraph) run() (float64, []*tensor.Dense, error) {
	defer lg.vm.Reset()
	if err := lg.vm.RunAll(); err != nil {
		return 0, nil, err
	}
	loss := scalar(lg.loss)
	grads := make([]*tensor.Dense, len(lg.grads))
	for i, n := range lg.grads {
		grads[i] = n.Value().(*tensor.Dense)
	}
	return loss, grads, nil
}

// step trains on one batch: real holds images (batch, 3, size, size) in
// [-1, 1], z the latent vectors (batch, latent) of the generated images,
// used by both the discriminator and the generator steps. Parameters are
// not updated by a step whose loss is not finite.
func (s *stepper) step(real, z []float32) (losses, error) {
	var l losses
	copy(s.disc.real.Data().([]float32), real)
	copy(s.disc.z.Data().([]float32), z)
	copy(s.gen.z.Data().([]float32), z)

	// The discriminator learns first; the generator then meets the
	// updated discriminator, as in the DCGAN paper.
	lossD, grads, err := s.disc.run()
	if err != nil {
		return l, fmt.Errorf("discriminator step: %w", err)
	}
	l.D = lossD
	l.DReal = meanSigmoid(s.disc.realLogits.Data().([]float32))
	l.DFake = meanSigmoid(s.disc.fakeLogits.Data().([]float32))
	if !finite(lossD) {
		return l, fmt.Errorf("discriminator %w: %v", ErrNotFinite, lossD)
	}
	s.adamD.update(s.m.disc, grads)

	lossG, grads, err := s.gen.run()
	if err != nil {
		return l, fmt.Errorf("generator step: %w", err)
	}
	l.G = lossG
	if s.gen.zLoss != nil {
		l.Z = scalar(s.gen.zLoss)
	}
	if !finite(lossG) {
		return l, fmt.Errorf("generator %w: %v", ErrNotFinite, lossG)
	}
	s.adamG.update(s.m.gen, grads)
	return l, nil
}

func scalar(v G.Value) float64 {
	switch x := v.Data().(type) {
	case float32:
		return float64(x)
	case float64:
		return x
	case []float32:
		return float64(x[0])
	case []float64:
		return x[0]
	}
	return math.NaN()
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// sampler generates images with batch statistics, as the discriminator saw
// them in training: running statistics lag a generator that changes fast,
// and give flat faces early in a run. A face therefore depends on the
// other faces of its batch; callers keep batches fixed for determinism.
type sampler struct {
	vm  G.VM
	z   *tensor.Dense
	out G.Value
}

func newSampler(m *model, batch int) (*sampler, error) {
	g := G.NewGraph()
	b := &builder{g: g, train: true}
	p := bind(g, m.gen)
	lg := newInputs(g, m.arch, batch, false)
	img := m.generator(b, p, lg.zNode(g))
	if b.err != nil {
		return nil, fmt.Errorf("sampler graph: %w", b.err)
	}
	s := &sampler{z: lg.z}
	G.Read(img, &s.out)
	s.vm = G.NewTapeMachine(g)
	return s, nil
}

// generate returns images (batch, 3, size, size) in [-1, 1] for z.
func (s *sampler) generate(z []float32) ([]float32, error) {
	defer s.vm.Reset()
	copy(s.z.Data().([]float32), z)
	if err := s.vm.RunAll(); err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	return append([]float32(nil), s.out.Data().([]float32)...), nil
}
