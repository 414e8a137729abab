package gan

import (
	"errors"
	"fmt"
	"image"
	"math/rand/v2"
	"os"
	"path/filepath"

	"animeface/internal/montage"
)

// generateBatch is the batch Generate draws faces in, the size of a
// training sample montage.
const generateBatch = sampleCount

// Generate returns n faces from a run's generator. checkpoint is a path or
// a file name in the run's checkpoints folder; empty means the newest.
// Faces are made in batches of 64 with batch statistics, as in training;
// face i depends only on the checkpoint, the seed and i, not on n.
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
	smp, err := newSampler(m, generateBatch)
	if err != nil {
		return nil, err
	}

	// Whole batches are drawn even for fewer faces, so that a face's
	// batch companions do not depend on n.
	rng := rand.New(rand.NewPCG(seed, streamFixed))
	var faces []*image.NRGBA
	for len(faces) < n {
		out, err := smp.generate(latents(rng, generateBatch, c.Arch.Latent))
		if err != nil {
			return nil, err
		}
		imgs := toImages(out, generateBatch, c.Arch.Size)
		faces = append(faces, imgs[:min(generateBatch, n-len(faces))]...)
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

// WriteFaces writes faces as dir/face-NNNN.png and an 8-column montage
// dir/montage.png, each atomically, and returns the montage's path.
func WriteFaces(dir string, faces []*image.NRGBA) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("output folder: %w", err)
	}
	tiles := make([]image.Image, len(faces))
	for i, f := range faces {
		path := filepath.Join(dir, fmt.Sprintf("face-%04d.png", i))
		if err := montage.WritePNG(path, f); err != nil {
			return "", err
		}
		tiles[i] = f
	}
	path := filepath.Join(dir, "montage.png")
	return path, montage.WritePNG(path, montage.Grid(tiles, 8, 2))
}
