package gan

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestSmoke(t *testing.T) {
	arch := Arch{Size: 32, Width: 8, Latent: 100}
	rng := rand.New(rand.NewPCG(1, 2))
	m := newModel(arch, rng)
	s, err := newStepper(m, 4, 2e-4)
	if err != nil {
		t.Fatal(err)
	}
	real := make([]float32, 4*3*32*32)
	z := make([]float32, 4*100)
	for i := 0; i < 5; i++ {
		for j := range real {
			real[j] = float32(rng.Float64()*2 - 1)
		}
		for j := range z {
			z[j] = float32(rng.NormFloat64())
		}
		t0 := time.Now()
		l, err := s.step(real, z)
		t.Logf("%+v %v err=%v", l, time.Since(t0), err)
	}
}
