package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"animeface/internal/gan"
)

// TestSample trains a tiny run and samples it: N faces and a montage, the
// same bytes for the same seed, a clear error without a run.
func TestSample(t *testing.T) {
	runDir := filepath.Join(t.TempDir(), "run")
	o := gan.DefaultOptions()
	o.Shards, o.Out = faces(t, 16), runDir
	o.Arch = gan.Arch{Size: 32, Width: 8, Latent: 16}
	o.Batch, o.Steps = 8, 2
	_, err := gan.Train(context.Background(), o, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}

	sample := func(out string, args ...string) {
		t.Helper()
		var stderr bytes.Buffer
		args = append([]string{"sample", "--run", runDir, "--out", out}, args...)
		if code := run(args, &stderr); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
	}
	a, b := t.TempDir(), t.TempDir()
	sample(a, "--n", "5", "--seed", "9")
	sample(b, "--n", "5", "--seed", "9", "--checkpoint", "step-00000002.ckpt")
	for _, f := range []string{"face-0000.png", "face-0004.png", "montage.png"} {
		da, err := os.ReadFile(filepath.Join(a, f))
		if err != nil {
			t.Fatal(err)
		}
		db, _ := os.ReadFile(filepath.Join(b, f))
		if !bytes.Equal(da, db) {
			t.Errorf("%s differs between two samplings with seed 9", f)
		}
	}
	if _, err := os.Stat(filepath.Join(a, "face-0005.png")); err == nil {
		t.Errorf("wrote more than --n 5 faces")
	}

	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"sample", "--out", a}, 2, "--run and --out are required"},
		{[]string{"sample", "--run", runDir, "--out", a, "--n", "0"}, 2, "--n 0"},
		{[]string{"sample", "--run", t.TempDir(), "--out", a}, 1, "no checkpoint"},
		{[]string{"sample", "--run", runDir, "--out", a, "--checkpoint", "nope.ckpt"}, 1,
			"no checkpoint"},
	} {
		var stderr bytes.Buffer
		if code := run(c.args, &stderr); code != c.code ||
			!strings.Contains(stderr.String(), c.want) {
			t.Errorf("%v: exit %d, %q; want %d and %q", c.args, code, stderr.String(),
				c.code, c.want)
		}
	}
}
