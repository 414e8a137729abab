package gan

import (
	"encoding/json"
	"image"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

func TestShortRun(t *testing.T) {
	shards := writeFaces(t, 40)
	out := filepath.Join(t.TempDir(), "run")
	o := testOptions(shards, out)
	o.Steps = 12
	o.Keep = 2
	o.Holdout = 0.1
	sum := mustTrain(t, o)

	if sum.Step != 12 || sum.Interrupted {
		t.Errorf("summary %+v: want step 12, not interrupted", sum)
	}
	if sum.Dataset.HeldOut == 0 || sum.Dataset.Faces+sum.Dataset.HeldOut != 40 {
		t.Errorf("dataset %+v: want some of 40 faces held out", sum.Dataset)
	}
	if sum.Dataset.Resized != sum.Dataset.Faces {
		t.Errorf("resized %d faces, want all %d (64 to 32)", sum.Dataset.Resized,
			sum.Dataset.Faces)
	}

	ms, err := ReadMetrics(out, -1)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 12 {
		t.Fatalf("%d metric lines, want 12", len(ms))
	}
	for i, m := range ms {
		if m.Step != i+1 || !finite(m.LossD) || !finite(m.LossG) || m.LossD <= 0 ||
			m.DReal <= 0 || m.DReal >= 1 || m.ImgPerS <= 0 {
			t.Errorf("metric %+v is not a finite step %d", m, i+1)
		}
	}
	// 12 steps of 4 per epoch (36 faces / batch 8, rounded down) span 3 epochs.
	if ms[11].Epoch != 2 {
		t.Errorf("last epoch %d, want 2", ms[11].Epoch)
	}

	for _, f := range []string{"config.json", "loss.png", "samples/step-000003.png",
		"samples/step-000012.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("run folder lacks %s", f)
		}
	}
	names, _ := listCheckpoints(out)
	if len(names) != 2 || names[1] != checkpointName(12) {
		t.Errorf("checkpoints %v, want the newest 2 up to step 12", names)
	}

	cfg, err := LoadRunConfig(out)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Options.Seed != o.Seed || cfg.Options.Holdout != 0.1 ||
		len(cfg.Dataset.Fingerprint) != 64 || cfg.Options.Size != 32 {
		t.Errorf("config %+v does not record the run", cfg)
	}
	raw, _ := os.ReadFile(filepath.Join(out, "config.json"))
	var generic map[string]map[string]any
	json.Unmarshal(raw, &generic)
	for _, flag := range []string{"shards", "size", "width", "latent", "steps", "batch",
		"lr", "seed", "holdout", "sample_every", "checkpoint_every", "keep", "workers"} {
		if _, ok := generic["options"][flag]; !ok {
			t.Errorf("config.json options lack %q", flag)
		}
	}

	faces, err := Generate(out, "", 4, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(faces) != 4 || faces[0].Bounds().Dx() != 32 {
		t.Fatalf("generated %d faces", len(faces))
	}
	if spread(faces[0]) < 1 {
		t.Errorf("generated face is flat: pixel spread %.2f", spread(faces[0]))
	}
	if meanDiff(faces[0], faces[1]) < 0.5 {
		t.Errorf("two latents gave the same face (mean difference %.2f)",
			meanDiff(faces[0], faces[1]))
	}

	dir := t.TempDir()
	montagePath, err := WriteFaces(dir, faces)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "face-*.png"))
	if len(files) != 4 || montagePath != filepath.Join(dir, "montage.png") {
		t.Errorf("wrote %v and %s, want 4 faces and montage.png", files, montagePath)
	}
}

// spread is the standard deviation of an image's channel values.
func spread(m *image.NRGBA) float64 {
	var sum, sq, n float64
	for i, v := range m.Pix {
		if i%4 == 3 {
			continue
		}
		x := float64(v)
		sum += x
		sq += x * x
		n++
	}
	mean := sum / n
	return math.Sqrt(sq/n - mean*mean)
}

func meanDiff(a, b *image.NRGBA) float64 {
	var d float64
	for i := range a.Pix {
		d += math.Abs(float64(a.Pix[i]) - float64(b.Pix[i]))
	}
	return d / float64(len(a.Pix))
}

// TestCollapseOptions trains with minibatch discrimination and the
// z-predictor, which add parameters and a loss term.
func TestCollapseOptions(t *testing.T) {
	o := testOptions(writeFaces(t, 16), filepath.Join(t.TempDir(), "run"))
	o.Steps, o.MinibatchFeatures, o.ZPredictor = 3, 4, true
	mustTrain(t, o)
	ms, err := ReadMetrics(o.Out, -1)
	if err != nil || len(ms) != 3 {
		t.Fatalf("%d metric lines (%v), want 3", len(ms), err)
	}
	for _, m := range ms {
		if !finite(m.LossD) || !finite(m.LossG) || !(m.LossZ > 0) {
			t.Errorf("metric %+v: want finite losses and a positive z loss", m)
		}
	}
	names := map[string]bool{}
	for _, p := range newModel(o.Arch, rand.New(rand.NewPCG(1, 1))).disc {
		names[p.name] = true
	}
	if !names["d.mbd.t"] || !names["d.zpred.w"] {
		t.Errorf("discriminator parameters %v lack the options' heads", names)
	}
	if _, err := Generate(o.Out, "", 2, 1); err != nil {
		t.Errorf("generate: %v", err)
	}
}
