package gan

import (
	"errors"
	"fmt"
	"image"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// generateBatch bounds the memory of Generate's graph.
const generateBatch = 64

// Generate returns n faces from a run's generator, using the running
// batch-norm statistics so that each face depends only on its latent
// vector. checkpoint is a path or a file name in the run's checkpoints
// folder; empty means the newest. The same seed gives the same faces.
func Generate(run, checkpoint string, n int, seed uint64) ([]*image.NRGBA, error) {
	if n < 1 {
		return nil, fmt.Errorf("generate %d faces: want at least 1", n)
	}
	path, err := findCheckpoint(run, checkpoint)
	if err != nil {
		return nil, err
	}
	c, err := loadCheckpoint(path)
	if err != nil {
		return nil, err
	}

	// The initial weights are overwritten by the checkpoint's.
	m := newModel(c.Arch, rand.New(rand.NewPCG(0, 0)))
	if err := restoreParams(m.gen, c.Params); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	batch := min(n, generateBatch)
	smp, err := newSampler(m, batch)
	if err != nil {
		return nil, err
	}
	if err := restoreNorms(smp.norms, c.Norms); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}

	rng := rand.New(rand.NewPCG(seed, streamFixed))
	z := latents(rng, n, c.Arch.Latent)
	var faces []*image.NRGBA
	for start := 0; start < n; start += batch {
		chunk := make([]float32, batch*c.Arch.Latent)
		copy(chunk, z[start*c.Arch.Latent:])
		out, err := smp.generate(chunk)
		if err != nil {
			return nil, err
		}
		imgs := toImages(out, batch, c.Arch.Size)
		faces = append(faces, imgs[:min(batch, n-start)]...)
	}
	return faces, nil
}

// findCheckpoint resolves the checkpoint argument of Generate.
func findCheckpoint(run, checkpoint string) (string, error) {
	if checkpoint == "" {
		return newestCheckpoint(run)
	}
	if _, err := os.Stat(checkpoint); err == nil {
		return checkpoint, nil
	}
	in := filepath.Join(checkpointDir(run), checkpoint)
	if _, err := os.Stat(in); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("checkpoint %s: %w", checkpoint, ErrNoCheckpoint)
		}
		return "", fmt.Errorf("checkpoint: %w", err)
	}
	return in, nil
}
