package gan

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestResumeMatchesUninterrupted trains 8 steps in one go and in two
// sessions of 4 and compares every loss and the final generator.
func TestResumeMatchesUninterrupted(t *testing.T) {
	shards := writeFaces(t, 24)
	whole := testOptions(shards, filepath.Join(t.TempDir(), "whole"))
	whole.Steps = 8
	mustTrain(t, whole)

	split := testOptions(shards, filepath.Join(t.TempDir(), "split"))
	split.Steps, split.CheckpointEvery = 4, 0
	mustTrain(t, split)
	split.Steps, split.Resume = 8, true
	sum := mustTrain(t, split)
	if sum.FirstStep != 4 || sum.Step != 8 {
		t.Fatalf("resumed from %d to %d, want 4 to 8", sum.FirstStep, sum.Step)
	}

	a, _ := ReadMetrics(whole.Out, -1)
	b, _ := ReadMetrics(split.Out, -1)
	if len(a) != 8 || len(b) != 8 {
		t.Fatalf("%d and %d metric lines, want 8 each", len(a), len(b))
	}
	for i := range a {
		if !close(a[i].LossD, b[i].LossD) || !close(a[i].LossG, b[i].LossG) ||
			a[i].Epoch != b[i].Epoch {
			t.Errorf("step %d: uninterrupted %+v, resumed %+v", i+1, a[i], b[i])
		}
	}
	if b[7].ElapsedS < b[3].ElapsedS {
		t.Errorf("elapsed time restarted on resume: %v after %v", b[7].ElapsedS, b[3].ElapsedS)
	}
	fa, err := Generate(whole.Out, "", 3, 5)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := Generate(split.Out, "", 3, 5)
	if err != nil {
		t.Fatal(err)
	}
	for i := range fa {
		if d := meanDiff(fa[i], fb[i]); d > 0.5 {
			t.Errorf("face %d differs by %.2f levels after resume", i, d)
		}
	}
}

func close(a, b float64) bool { return math.Abs(a-b) <= 1e-5*(1+math.Abs(a)) }

// TestDeterministic trains twice with one seed and once with another.
func TestDeterministic(t *testing.T) {
	shards := writeFaces(t, 16)
	var runs [3][]Metric
	for i, seed := range []uint64{9, 9, 10} {
		o := testOptions(shards, filepath.Join(t.TempDir(), "run"))
		o.Seed, o.Steps, o.SampleEvery, o.CheckpointEvery = seed, 3, 0, 0
		mustTrain(t, o)
		runs[i], _ = ReadMetrics(o.Out, -1)
	}
	losses := func(ms []Metric) []float64 {
		var l []float64
		for _, m := range ms {
			l = append(l, m.LossD, m.LossG, m.DReal, m.DFake)
		}
		return l
	}
	if !slices.Equal(losses(runs[0]), losses(runs[1])) {
		t.Errorf("same seed, different losses:\n%v\n%v", runs[0], runs[1])
	}
	if slices.Equal(losses(runs[0]), losses(runs[2])) {
		t.Errorf("seeds 9 and 10 gave the same losses")
	}
}

// TestGenerateDeterministic checks that a seed fixes the faces and that a
// face does not depend on how many are generated with it.
func TestGenerateDeterministic(t *testing.T) {
	o := testOptions(writeFaces(t, 16), filepath.Join(t.TempDir(), "run"))
	o.Steps = 2
	mustTrain(t, o)
	a, err := Generate(o.Out, "", 70, 3)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Generate(o.Out, checkpointName(2), 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Generate(o.Out, "", 2, 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 70 || !slices.Equal(a[1].Pix, b[1].Pix) {
		t.Errorf("seed 3 gave different faces with n=70 and n=2: %.3f", meanDiff(a[1], b[1]))
	}
	if slices.Equal(a[0].Pix, c[0].Pix) {
		t.Errorf("seeds 3 and 4 gave the same face")
	}
}

// TestInterrupt cancels a run in the middle: it must stop with a
// checkpoint at the step reached and no error, and resume from there.
func TestInterrupt(t *testing.T) {
	o := testOptions(writeFaces(t, 16), filepath.Join(t.TempDir(), "run"))
	o.Steps, o.CheckpointEvery = 100000, 0
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// Cancel once a few steps are logged, as Ctrl-C would.
		for {
			ms, _ := ReadMetrics(o.Out, -1)
			if len(ms) >= 3 {
				cancel()
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	o.SampleEvery = 1 // sampling syncs metrics every step for the watcher
	sum, err := Train(ctx, o, quietLog())
	if err != nil {
		t.Fatalf("interrupted run returned %v", err)
	}
	if !sum.Interrupted || sum.Step < 3 || sum.Step >= o.Steps {
		t.Fatalf("summary %+v: want interrupted after step 3", sum)
	}
	want := filepath.Join(o.Out, "checkpoints", checkpointName(sum.Step))
	if sum.Checkpoint != want {
		t.Errorf("checkpoint %q, want %q", sum.Checkpoint, want)
	}

	o.Resume, o.Steps = true, sum.Step+1
	again := mustTrain(t, o)
	if again.FirstStep != sum.Step || again.Step != sum.Step+1 {
		t.Errorf("resumed %d to %d, want %d to %d", again.FirstStep, again.Step,
			sum.Step, sum.Step+1)
	}
}

// TestNotFiniteStops resumes from a checkpoint whose generator holds a NaN:
// the run must stop with ErrNotFinite, name the checkpoint and write none.
func TestNotFiniteStops(t *testing.T) {
	o := testOptions(writeFaces(t, 16), filepath.Join(t.TempDir(), "run"))
	o.Steps = 2
	mustTrain(t, o)
	path := filepath.Join(o.Out, "checkpoints", checkpointName(2))
	c, err := loadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	c.Params[0].Data[0] = float32(math.NaN())
	if _, err := saveCheckpoint(o.Out, c, 3); err != nil {
		t.Fatal(err)
	}

	o.Resume, o.Steps = true, 4
	_, err = Train(context.Background(), o, quietLog())
	if !errors.Is(err, ErrNotFinite) || !strings.Contains(err.Error(), path) {
		t.Fatalf("got %v, want a not-finite error naming %s", err, path)
	}
	names, _ := listCheckpoints(o.Out)
	if !slices.Equal(names, []string{checkpointName(2)}) {
		t.Errorf("checkpoints after the failure: %v", names)
	}
	if ms, _ := ReadMetrics(o.Out, -1); len(ms) != 2 {
		t.Errorf("%d metric lines, want the 2 good steps", len(ms))
	}
}

// TestBadInput checks that each mistake gets a clear error and leaves
// existing runs alone.
func TestBadInput(t *testing.T) {
	shards := writeFaces(t, 16)
	done := testOptions(shards, filepath.Join(t.TempDir(), "done"))
	done.Steps = 1
	mustTrain(t, done)
	before, _ := os.ReadFile(filepath.Join(done.Out, "metrics.jsonl"))

	empty := t.TempDir()
	cases := []struct {
		name string
		edit func(o *Options)
		want string
	}{
		{"missing shard folder", func(o *Options) { o.Shards = filepath.Join(empty, "nope") },
			"no such file"},
		{"empty shard folder", func(o *Options) { o.Shards = empty }, "no shards"},
		{"run exists", func(o *Options) { o.Out = done.Out }, "pass --resume"},
		{"resume another size", func(o *Options) {
			o.Out, o.Resume, o.Size = done.Out, true, 64
		}, "--size 32"},
		{"resume another batch", func(o *Options) {
			o.Out, o.Resume, o.Batch = done.Out, true, 4
		}, "--batch 8, not 4"},
		{"resume without a run", func(o *Options) { o.Resume = true }, "config.json"},
		{"batch above faces", func(o *Options) { o.Batch = 32 }, "fewer than one batch"},
		{"all held out", func(o *Options) { o.Holdout = 0.999 }, "no faces"},
		{"bad size", func(o *Options) { o.Size = 48 }, "size 48"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := testOptions(shards, filepath.Join(t.TempDir(), "run"))
			c.edit(&o)
			_, err := Train(context.Background(), o, quietLog())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error with %q", err, c.want)
			}
		})
	}
	after, _ := os.ReadFile(filepath.Join(done.Out, "metrics.jsonl"))
	if string(before) != string(after) {
		t.Errorf("a refused run changed the existing run's metrics")
	}
}

// TestCorruptMember trains on shards holding damaged faces: they are
// skipped and counted.
func TestCorruptMember(t *testing.T) {
	shards := writeFaces(t, 12, []byte("not a png"), []byte("\x89PNG\r\n\x1a\n\x00"))
	o := testOptions(shards, filepath.Join(t.TempDir(), "run"))
	o.Steps = 1
	sum := mustTrain(t, o)
	if sum.Dataset.Skipped != 2 || sum.Dataset.Faces != 12 {
		t.Errorf("dataset %+v: want 12 faces and 2 skipped", sum.Dataset)
	}
}
