package gan

import (
	"bytes"
	"encoding/gob"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestCheckpointRoundTrip writes a checkpoint and reads it back whole, and
// reads the same state written as a version 1 file, one gob message.
func TestCheckpointRoundTrip(t *testing.T) {
	arch := Arch{Size: 32, Width: 8, Latent: 16, ZPredictor: true}
	m := newModel(arch, rand.New(rand.NewPCG(1, 1)))
	adamD, adamG := newAdam(2e-4, sizes(m.disc)), newAdam(2e-4, sizes(m.gen))
	for _, a := range []*Adam{adamD, adamG} {
		a.Steps = 3
		for i := range a.M {
			a.M[i][0], a.V[i][len(a.V[i])-1] = float32(i)+0.5, float32(i)+0.25
		}
	}
	want := &checkpoint{Version: checkpointVersion, Arch: arch, Step: 7, Elapsed: 1.5,
		Params: saveParams(m.params()), AdamD: adamD, AdamG: adamG, RNG: []byte{1, 2, 3},
		Norms: []savedNorm{{Name: "n", Mean: []float32{1}, Variance: []float32{2}}}}

	run := t.TempDir()
	path, err := saveCheckpoint(run, want, 2)
	if err != nil {
		t.Fatal(err)
	}
	got, err := loadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatal("the checkpoint read back differs from the one written")
	}

	old := *want
	old.Version = 1
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&old); err != nil {
		t.Fatal(err)
	}
	v1 := filepath.Join(run, "v1.ckpt")
	if err := os.WriteFile(v1, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err = loadCheckpoint(v1)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, &old) {
		t.Fatal("the version 1 checkpoint read back differs from the one written")
	}
}
