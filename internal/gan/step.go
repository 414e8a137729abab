package gan

import (
	"errors"
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"animeface/internal/nn"
)

// ErrNotFinite is returned when a loss becomes NaN or infinite.
var ErrNotFinite = errors.New("loss is not finite")

// losses is what one training iteration measured.
type losses struct {
	D, G         float64 // discriminator and generator loss, z loss included
	DReal, DFake float64 // mean probability of "real" on real and fake images
	Z            float64 // the z-predictor's weighted error in the generator step
}

// stepper runs training iterations on three graphs over one set of
// parameters: the generator's, whose run is split around the other two
// (see nn.Handoff), the discriminator's loss, and the generator's loss
// through the discriminator.
type stepper struct {
	m                 *model
	batch             int
	gen, disc, fooled *lossGraph
	adamD, adamG      *Adam
}

// lossGraph is one compiled graph that computes a loss and the gradients
// of some parameters, or of its generated images.
type lossGraph struct {
	vm            G.VM
	z, real, fake *tensor.Dense // inputs, overwritten in place before each run
	params        []*param      // what grads belong to, if parameters
	grads         []*G.Node
	size          int         // the images' side
	norms         []*norm     // the batch-norm layers whose statistics a checkpoint keeps
	handoff       *nn.Handoff // the generator's graph's, nil in the others

	loss, realLogits, fakeLogits G.Value
	zLoss                        G.Value // nil without a z-predictor
}

// addZLoss adds the z-predictor's error to loss when the model has one.
func (lg *lossGraph) addZLoss(b *builder, m *model, p map[string]*G.Node,
	loss, features *G.Node) *G.Node {
	if !m.arch.ZPredictor || b.err != nil {
		return loss
	}
	zl := b.zLoss(m.predictZ(b, p, features), lg.zNode(b.g))
	if b.err == nil {
		G.Read(zl, &lg.zLoss)
	}
	return b.add(loss, zl)
}

func newStepper(m *model, batch int, lr float64) (*stepper, error) {
	s := &stepper{m: m, batch: batch}
	var err error
	if s.gen, err = newGenGraph(m, batch); err != nil {
		return nil, fmt.Errorf("generator graph: %w", err)
	}
	if s.disc, err = newDiscGraph(m, batch); err != nil {
		return nil, fmt.Errorf("discriminator graph: %w", err)
	}
	if s.fooled, err = newFooledGraph(m, batch); err != nil {
		return nil, fmt.Errorf("generator loss graph: %w", err)
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

// newGenGraph builds the generator's pass: images G(z), handed off to
// the other graphs mid-run, and the gradient of the generator's
// parameters from the gradient the images are handed back. The
// generator thus runs once an iteration, as in PyTorch, where a graph
// built whole would run it once for each loss.
func newGenGraph(m *model, batch int) (*lossGraph, error) {
	g := G.NewGraph()
	// Its run waits while the discriminator's graphs run.
	nn.KeepApart(g)
	b := &builder{g: g, train: true, learned: names(m.gen)}
	p := bind(g, m.gen)
	lg := newInputs(m.arch, batch)

	fake := m.generator(b, p, lg.zNode(g))
	lg.norms = b.norms
	if b.err != nil {
		return nil, b.err
	}
	h, loss, err := nn.NewHandoff(fake)
	if err != nil {
		return nil, err
	}
	lg.handoff = h
	return lg, lg.compile(g, loss, m.gen, p)
}

// newDiscGraph builds loss_D = softplus(-D(real)) + softplus(D(fake)) and
// its gradient with respect to the discriminator's parameters.
func newDiscGraph(m *model, batch int) (*lossGraph, error) {
	g := G.NewGraph()
	b := &builder{g: g, train: true, learned: names(m.disc)}
	p := bind(g, m.disc)
	lg := newInputs(m.arch, batch)

	realLogits, _ := m.discriminator(b, p, lg.realNode(g))
	lg.norms = b.norms
	fakeLogits, features := m.discriminator(b, p, lg.fakeNode(g))
	loss := b.discLoss(realLogits, fakeLogits)
	loss = lg.addZLoss(b, m, p, loss, features)
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

// fakeName names the generated images' node, which the generator's loss
// is differentiated with respect to.
const fakeName = "fake"

// newFooledGraph builds loss_G = softplus(-D(fake)), how well the
// generated images fool the discriminator, and its gradient with respect
// to the images, which goes back to the generator's graph.
func newFooledGraph(m *model, batch int) (*lossGraph, error) {
	g := G.NewGraph()
	b := &builder{g: g, train: true, learned: map[string]bool{fakeName: true}}
	p := bind(g, m.disc)
	lg := newInputs(m.arch, batch)

	fake := lg.fakeNode(g)
	fakeLogits, features := m.discriminator(b, p, fake)
	loss := b.genLoss(fakeLogits)
	loss = lg.addZLoss(b, m, p, loss, features)
	if b.err != nil {
		return nil, b.err
	}

	G.Read(loss, &lg.loss)
	G.Read(fakeLogits, &lg.fakeLogits)
	grads, err := G.Grad(loss, fake)
	if err != nil {
		return nil, fmt.Errorf("gradient: %w", err)
	}
	lg.grads = grads
	lg.vm = G.NewTapeMachine(g)
	return lg, nil
}

// names returns the set of the names of ps.
func names(ps []*param) map[string]bool {
	set := make(map[string]bool, len(ps))
	for _, p := range ps {
		set[p.name] = true
	}
	return set
}

// newInputs returns a graph's inputs: z, whose node the graph makes if it
// needs it, and images made with their nodes.
func newInputs(arch Arch, batch int) *lossGraph {
	return &lossGraph{z: newTensor(batch, arch.Latent), size: arch.Size}
}

func newTensor(shape ...int) *tensor.Dense {
	return tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(shape...))
}

func (lg *lossGraph) zNode(g *G.ExprGraph) *G.Node {
	return G.NewMatrix(g, G.Float32, G.WithShape(lg.z.Shape()...),
		G.WithName("z"), G.WithValue(lg.z))
}

func (lg *lossGraph) realNode(g *G.ExprGraph) *G.Node {
	n, t := lg.imageNode(g, "real")
	lg.real = t
	return n
}

func (lg *lossGraph) fakeNode(g *G.ExprGraph) *G.Node {
	n, t := lg.imageNode(g, fakeName)
	lg.fake = t
	return n
}

// imageNode makes an input node of images (batch, 3, size, size).
func (lg *lossGraph) imageNode(g *G.ExprGraph, name string) (*G.Node, *tensor.Dense) {
	t := newTensor(lg.z.Shape()[0], 3, lg.size, lg.size)
	return G.NewTensor(g, G.Float32, 4, G.WithShape(t.Shape()...),
		G.WithName(name), G.WithValue(t)), t
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
	return scalar(lg.loss), lg.gradValues(), nil
}

func (lg *lossGraph) gradValues() []*tensor.Dense {
	grads := make([]*tensor.Dense, len(lg.grads))
	for i, n := range lg.grads {
		grads[i] = n.Value().(*tensor.Dense)
	}
	return grads
}

// setZ copies z into the graph's latent input (unread where no node uses it).
func (lg *lossGraph) setZ(z []float32) { copy(lg.z.Data().([]float32), z) }

// step trains on one batch: real holds images (batch, 3, size, size) in
// [-1, 1], z the latent vectors (batch, latent) of the generated images,
// used by both the discriminator and the generator steps. Parameters are
// not updated by a step whose loss is not finite.
func (s *stepper) step(real, z []float32) (losses, error) {
	s.gen.setZ(z)
	s.disc.setZ(z)
	s.fooled.setZ(z)
	copy(s.disc.real.Data().([]float32), real)

	// The generator's run stops at its images, waits for their gradient
	// from the other two graphs, then finishes its backward pass.
	gen := s.gen.handoff
	defer s.gen.vm.Reset()
	fake, err := gen.Forward(s.gen.vm)
	if err != nil {
		return losses{}, fmt.Errorf("generator: %w", err)
	}
	l, dfake, err := s.discriminate(fake.Data().([]float32))
	if err != nil {
		gen.Backward(nil)
		return l, err
	}
	if err := gen.Backward(dfake); err != nil {
		return l, fmt.Errorf("generator step: %w", err)
	}
	s.adamG.update(s.m.gen, s.gen.gradValues())
	return l, nil
}

// discriminate trains the discriminator on real and generated images,
// then measures how well the images fool the updated discriminator. It
// returns the losses and the gradient of the generator's loss with
// respect to the images.
func (s *stepper) discriminate(fake []float32) (losses, *tensor.Dense, error) {
	var l losses
	copy(s.disc.fake.Data().([]float32), fake)
	copy(s.fooled.fake.Data().([]float32), fake)

	// The discriminator learns first; the generator then meets the
	// updated discriminator, as in the DCGAN paper.
	lossD, grads, err := s.disc.run()
	if err != nil {
		return l, nil, fmt.Errorf("discriminator step: %w", err)
	}
	l.D = lossD
	l.DReal = meanSigmoid(s.disc.realLogits.Data().([]float32))
	l.DFake = meanSigmoid(s.disc.fakeLogits.Data().([]float32))
	if !finite(lossD) {
		return l, nil, fmt.Errorf("discriminator %w: %v", ErrNotFinite, lossD)
	}
	s.adamD.update(s.m.disc, grads)

	lossG, grads, err := s.fooled.run()
	if err != nil {
		return l, nil, fmt.Errorf("generator step: %w", err)
	}
	l.G = lossG
	if s.fooled.zLoss != nil {
		l.Z = scalar(s.fooled.zLoss)
	}
	if !finite(lossG) {
		return l, nil, fmt.Errorf("generator %w: %v", ErrNotFinite, lossG)
	}
	return l, grads[0], nil
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
	lg := newInputs(m.arch, batch)
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
