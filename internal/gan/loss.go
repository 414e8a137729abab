package gan

import (
	"math"

	G "gorgonia.org/gorgonia"
)

// The non-saturating GAN loss in terms of logits: with softplus(x) =
// log(1 + e^x), -log sigmoid(x) = softplus(-x) and -log(1 - sigmoid(x)) =
// softplus(x). gorgonia's softplus returns x above 16 and 0 below -708 and
// uses log1p(exp(x)) between, and its gradient is sigmoid(x), so neither
// overflows for large logits.

// discLoss adds the discriminator's loss: real images should score high
// and generated ones low.
func (b *builder) discLoss(real, fake *G.Node) *G.Node {
	return b.add(b.meanSoftplus(b.neg(real)), b.meanSoftplus(fake))
}

// genLoss adds the generator's loss: its images should score high.
func (b *builder) genLoss(fake *G.Node) *G.Node {
	return b.meanSoftplus(b.neg(fake))
}

// zWeight scales the z-predictor's error in both losses.
const zWeight = 0.5

// zLoss adds zWeight times the mean squared error of predicted latents.
func (b *builder) zLoss(predicted, z *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	d, err := G.Sub(predicted, z)
	if err == nil {
		d, err = G.Square(d)
	}
	if err == nil {
		d, err = G.Mean(d)
	}
	if err == nil {
		var w any = float32(zWeight)
		if d.Dtype() == G.Float64 {
			w = float64(zWeight)
		}
		d, err = G.Mul(d, G.NewConstant(w))
	}
	b.fail("z loss", err)
	return d
}

func (b *builder) meanSoftplus(x *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	y, err := G.Softplus(x)
	if err == nil {
		y, err = G.Mean(y)
	}
	b.fail("loss", err)
	return y
}

func (b *builder) neg(x *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	y, err := G.Neg(x)
	b.fail("loss", err)
	return y
}

func (b *builder) add(x, y *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	z, err := G.Add(x, y)
	b.fail("loss", err)
	return z
}

// meanSigmoid is the mean probability of "real" that logits give.
func meanSigmoid(logits []float32) float64 {
	if len(logits) == 0 {
		return math.NaN()
	}
	var sum float64
	for _, x := range logits {
		sum += 1 / (1 + math.Exp(-float64(x)))
	}
	return sum / float64(len(logits))
}
