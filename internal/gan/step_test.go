package gan

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestStepMatchesWholeGraphs checks the split generator against the
// plain way to train a GAN with gorgonia: one whole graph per loss, the
// generator in each. Given the same model, batch and z, both must find
// the same losses, the same updated discriminator and the same gradients
// for the generator, which the split graph gets through a handoff.
func TestStepMatchesWholeGraphs(t *testing.T) {
	for _, arch := range []Arch{
		{Size: 32, Width: 8, Latent: 16},
		{Size: 32, Width: 8, Latent: 16, MinibatchFeatures: 4, ZPredictor: true},
	} {
		t.Run(fmt.Sprintf("%+v", arch), func(t *testing.T) {
			const batch, lr = 6, 2e-4
			split := newModel(arch, rand.New(rand.NewPCG(1, 1)))
			whole := newModel(arch, rand.New(rand.NewPCG(1, 1)))
			s, err := newStepper(split, batch, lr)
			if err != nil {
				t.Fatal(err)
			}
			disc, gen := wholeGraph(t, whole, batch, true), wholeGraph(t, whole, batch, false)
			adamD := newAdam(lr, sizes(whole.disc))

			rng := rand.New(rand.NewPCG(2, 2))
			for step := range 2 {
				real := normals(rng, batch*3*arch.Size*arch.Size)
				z := normals(rng, batch*arch.Latent)
				l, err := s.step(real, z)
				if err != nil {
					t.Fatal(err)
				}

				copy(disc.real.Data().([]float32), real)
				disc.setZ(z)
				gen.setZ(z)
				lossD, gradsD, err := disc.run()
				if err != nil {
					t.Fatal(err)
				}
				// The split step's own gradients are gone (the arena holds
				// the next graph's values): compare what Adam made of them.
				adamD.update(whole.disc, gradsD)
				checkGrads(t, fmt.Sprintf("step %d discriminator", step), values(split.disc),
					values(whole.disc))
				lossG, gradsG, err := gen.run()
				if err != nil {
					t.Fatal(err)
				}
				checkGrads(t, fmt.Sprintf("step %d generator", step), s.gen.gradValues(),
					gradsG)
				if !near(l.D, lossD) || !near(l.G, lossG) {
					t.Fatalf("step %d: losses D %v G %v, whole graphs D %v G %v",
						step, l.D, l.G, lossD, lossG)
				}

				// The generators part ways after the split's update; the
				// next step starts both from the split's parameters.
				for i, p := range split.gen {
					copy(whole.gen[i].value.Data().([]float32), p.value.Data().([]float32))
				}
			}
		})
	}
}

// wholeGraph builds the loss of the discriminator (disc) or of the
// generator with the generator inside, and its gradient with respect to
// the parameters of the network it trains.
func wholeGraph(t *testing.T, m *model, batch int, disc bool) *lossGraph {
	t.Helper()
	g := G.NewGraph()
	learned := m.gen
	if disc {
		learned = m.disc
	}
	b := &builder{g: g, train: true, learned: names(learned)}
	p := bind(g, m.params())
	lg := newInputs(m.arch, batch)

	fake := m.generator(b, p, lg.zNode(g))
	var loss *G.Node
	if disc {
		realLogits, _ := m.discriminator(b, p, lg.realNode(g))
		fakeLogits, features := m.discriminator(b, p, fake)
		loss = lg.addZLoss(b, m, p, b.discLoss(realLogits, fakeLogits), features)
	} else {
		fakeLogits, features := m.discriminator(b, p, fake)
		loss = lg.addZLoss(b, m, p, b.genLoss(fakeLogits), features)
	}
	if b.err != nil {
		t.Fatal(b.err)
	}
	G.Read(loss, &lg.loss)
	if err := lg.compile(g, loss, learned, p); err != nil {
		t.Fatal(err)
	}
	return lg
}

func values(ps []*param) []*tensor.Dense {
	v := make([]*tensor.Dense, len(ps))
	for i, p := range ps {
		v[i] = p.value
	}
	return v
}

func normals(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-5*max(1, math.Abs(b)) }

// checkGrads compares gradients (or parameters) tensor by tensor,
// relative to the largest element of each.
func checkGrads(t *testing.T, what string, got, want []*tensor.Dense) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d gradients, want %d", what, len(got), len(want))
	}
	for i := range want {
		g, w := got[i].Data().([]float32), want[i].Data().([]float32)
		var scale float64
		for _, v := range w {
			scale = max(scale, math.Abs(float64(v)))
		}
		if scale == 0 {
			t.Fatalf("%s: gradient %d is zero", what, i)
		}
		for j := range w {
			if math.Abs(float64(g[j]-w[j])) > 1e-4*scale {
				t.Fatalf("%s: gradient %d element %d = %g, whole graph %g (of %g)",
					what, i, j, g[j], w[j], scale)
			}
		}
	}
}
