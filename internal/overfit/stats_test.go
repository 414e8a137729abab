package overfit

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestMannWhitneyUMatchesPairCount(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 20 {
		q := make([]float64, 1+rng.IntN(30))
		p := make([]float64, 1+rng.IntN(30))
		for i := range q {
			q[i] = float64(rng.IntN(10)) // many ties
		}
		for i := range p {
			p[i] = float64(rng.IntN(10))
		}
		var want float64
		for _, x := range q {
			for _, y := range p {
				switch {
				case x > y:
					want++
				case x == y:
					want += 0.5
				}
			}
		}
		if got := mannWhitneyU(q, p); got != want {
			t.Fatalf("trial %d: U = %v, want %v", trial, got, want)
		}
	}
}

// TestZUValue checks a hand-computed case: q = {1, 2}, p = {3, 4, 5}: U = 0,
// mean 3 - 0.5, sd sqrt(2*3*6/12) = sqrt(3).
func TestZUValue(t *testing.T) {
	got := zU([]float64{1, 2}, []float64{3, 4, 5})
	want := -2.5 / math.Sqrt(3)
	if math.Abs(got-want) > 1e-12 {
		t.Fatalf("Z_U = %v, want %v", got, want)
	}
}

// TestCTSigns draws held-out distances from one distribution and generated
// ones from a closer, the same, or a farther one: C_T must come out well
// below 0, near 0 and well above 0.
func TestCTSigns(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const k, n = 3, 600
	draw := func(scale float64) ([]float64, []int) {
		d := make([]float64, n)
		c := make([]int, n)
		for i := range d {
			d[i] = scale * rng.ExpFloat64()
			c[i] = rng.IntN(k)
		}
		return d, c
	}
	held, heldCell := draw(1)
	for _, c := range []struct {
		name   string
		scale  float64
		lo, hi float64
	}{{"copying", 0.5, math.Inf(-1), -3}, {"same", 1, -3, 3}, {"underfit", 2, 3, math.Inf(1)}} {
		gen, genCell := draw(c.scale)
		ct, cells, ok := CT(gen, genCell, held, heldCell, []int{100, 100, 100})
		if !ok || ct < c.lo || ct > c.hi {
			t.Errorf("%s: C_T = %.2f (ok %v), want in [%v, %v]; cells %+v",
				c.name, ct, ok, c.lo, c.hi, cells)
		}
	}

	// Too few generated faces per cell: no statistic.
	if _, _, ok := CT([]float64{1, 2}, []int{0, 1}, held, heldCell, []int{1, 1, 1}); ok {
		t.Error("C_T computed from 2 generated faces")
	}
}

func TestCloserShare(t *testing.T) {
	held := make([]float64, 1000)
	for i := range held {
		held[i] = float64(i + 1)
	}
	share, th := CloserShare([]float64{0.5, 5, 20, 900}, held, 0.01)
	if th != 10 {
		t.Errorf("threshold %v, want 10 (the 10th of 1,000)", th)
	}
	if share != 0.5 {
		t.Errorf("share %v, want 0.5", share)
	}
}
