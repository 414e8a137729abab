package gan

import (
	"bufio"
	"encoding/gob"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"animeface/internal/atomicfile"
)

// checkpointVersion changes when the checkpoint layout does. Version 2
// writes the tensors as messages of their own; version 1, one message of
// everything, is still read.
const checkpointVersion = 2

// ErrNoCheckpoint is returned when a run folder holds no checkpoint.
var ErrNoCheckpoint = errors.New("no checkpoint")

// checkpoint is the whole state of a run after Step iterations: with it a
// resumed run computes the same losses as one never interrupted.
type checkpoint struct {
	Version int
	Arch    Arch
	Step    int
	// Elapsed is the training time of all sessions so far, in seconds.
	Elapsed float64
	Params  []savedTensor
	Norms   []savedNorm
	AdamD   *Adam
	AdamG   *Adam
	// RNG is the state of the generator that draws z and flips.
	RNG []byte
}

type savedTensor struct {
	Name  string
	Shape []int
	Data  []float32
}

type savedNorm struct {
	Name           string
	Mean, Variance []float32
}

func checkpointDir(run string) string { return filepath.Join(run, "checkpoints") }

func checkpointName(step int) string { return fmt.Sprintf("step-%08d.ckpt", step) }

// saveCheckpoint writes c atomically into the run's checkpoint folder and
// removes all but the newest keep checkpoints. It returns the file's path.
func saveCheckpoint(run string, c *checkpoint, keep int) (string, error) {
	dir := checkpointDir(run)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("checkpoint folder: %w", err)
	}
	path := filepath.Join(dir, checkpointName(c.Step))

	// Encoded straight into the file, a tensor at a time: gob holds a
	// whole message in memory, and one message of every tensor would add
	// the checkpoint's size, some hundred megabytes, to the run's peak.
	f, err := atomicfile.Create(path)
	if err != nil {
		return "", fmt.Errorf("write checkpoint: %w", err)
	}
	defer f.Abort()
	w := bufio.NewWriterSize(f, 1<<20)
	if err := encodeCheckpoint(gob.NewEncoder(w), c); err != nil {
		return "", fmt.Errorf("encode checkpoint: %w", err)
	}
	if err := w.Flush(); err != nil {
		return "", fmt.Errorf("write checkpoint: %w", err)
	}
	if err := f.Commit(0o644); err != nil {
		return "", fmt.Errorf("write checkpoint: %w", err)
	}

	names, err := listCheckpoints(run)
	if err != nil {
		return path, err
	}
	for len(names) > keep {
		if err := os.Remove(filepath.Join(dir, names[0])); err != nil {
			return path, fmt.Errorf("remove old checkpoint: %w", err)
		}
		names = names[1:]
	}
	return path, nil
}

// listCheckpoints returns the checkpoint file names of a run, oldest first.
func listCheckpoints(run string) ([]string, error) {
	entries, err := os.ReadDir(checkpointDir(run))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list checkpoints: %w", err)
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, "step-") && strings.HasSuffix(n, ".ckpt") {
			names = append(names, n)
		}
	}
	// Fixed-width step numbers sort in step order.
	slices.Sort(names)
	return names, nil
}

// newestCheckpoint returns the path of the run's newest checkpoint.
func newestCheckpoint(run string) (string, error) {
	names, err := listCheckpoints(run)
	if err != nil {
		return "", err
	}
	if len(names) == 0 {
		return "", fmt.Errorf("%s: %w", checkpointDir(run), ErrNoCheckpoint)
	}
	return filepath.Join(checkpointDir(run), names[len(names)-1]), nil
}

// loadCheckpoint reads a checkpoint file.
func loadCheckpoint(path string) (*checkpoint, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read checkpoint: %w", err)
	}
	defer f.Close()
	c, err := decodeCheckpoint(gob.NewDecoder(bufio.NewReaderSize(f, 1<<20)))
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s is damaged: %w", path, err)
	}
	return c, nil
}

// encodeCheckpoint writes c as a header, the checkpoint without its
// tensors, then each tensor as a message: the parameters, then the
// moments of each optimiser.
func encodeCheckpoint(enc *gob.Encoder, c *checkpoint) error {
	head := *c
	head.Params = make([]savedTensor, len(c.Params))
	for i, p := range c.Params {
		head.Params[i] = savedTensor{Name: p.Name, Shape: p.Shape}
	}
	// Empty moments, which keep their number.
	head.AdamD, head.AdamG = withoutMoments(c.AdamD), withoutMoments(c.AdamG)
	if err := enc.Encode(&head); err != nil {
		return err
	}
	for _, t := range tensorsOf(c) {
		if err := enc.Encode(*t); err != nil {
			return err
		}
	}
	return nil
}

// decodeCheckpoint reads what encodeCheckpoint wrote.
func decodeCheckpoint(dec *gob.Decoder) (*checkpoint, error) {
	var c checkpoint
	if err := dec.Decode(&c); err != nil {
		return nil, err
	}
	switch c.Version {
	case 1:
		// One message held everything.
		return &c, nil
	case checkpointVersion:
	default:
		return nil, fmt.Errorf("version %d, want %d or 1", c.Version, checkpointVersion)
	}
	if c.AdamD == nil || c.AdamG == nil {
		return nil, errors.New("no optimiser state")
	}
	for i, t := range tensorsOf(&c) {
		if err := dec.Decode(t); err != nil {
			return nil, fmt.Errorf("tensor %d: %w", i, err)
		}
	}
	return &c, nil
}

// tensorsOf lists the large slices of c in the order they are written.
func tensorsOf(c *checkpoint) []*[]float32 {
	var ts []*[]float32
	for i := range c.Params {
		ts = append(ts, &c.Params[i].Data)
	}
	for _, a := range []*Adam{c.AdamD, c.AdamG} {
		for i := range a.M {
			ts = append(ts, &a.M[i], &a.V[i])
		}
	}
	return ts
}

// withoutMoments returns a copy of a whose moments are empty slices.
func withoutMoments(a *Adam) *Adam {
	b := *a
	b.M, b.V = make([][]float32, len(a.M)), make([][]float32, len(a.V))
	return &b
}

// saveParams returns the values of ps for a checkpoint, sharing their
// memory: encode them before the next step changes them.
func saveParams(ps []*param) []savedTensor {
	out := make([]savedTensor, len(ps))
	for i, p := range ps {
		out[i] = savedTensor{
			Name:  p.name,
			Shape: append([]int(nil), p.value.Shape()...),
			Data:  p.value.Data().([]float32),
		}
	}
	return out
}

// restoreParams copies saved values into ps, matched by name and shape.
func restoreParams(ps []*param, saved []savedTensor) error {
	byName := make(map[string]savedTensor, len(saved))
	for _, s := range saved {
		byName[s.Name] = s
	}
	for _, p := range ps {
		s, ok := byName[p.name]
		if !ok {
			return fmt.Errorf("checkpoint lacks parameter %s", p.name)
		}
		if !slices.Equal(s.Shape, p.value.Shape()) {
			return fmt.Errorf("checkpoint parameter %s has shape %v, model wants %v",
				p.name, s.Shape, p.value.Shape())
		}
		copy(p.value.Data().([]float32), s.Data)
	}
	return nil
}

func saveNorms(ns []*norm) []savedNorm {
	out := make([]savedNorm, len(ns))
	for i, n := range ns {
		m, v := n.runningStats()
		out[i] = savedNorm{Name: n.name, Mean: m, Variance: v}
	}
	return out
}

func restoreNorms(ns []*norm, saved []savedNorm) error {
	byName := make(map[string]savedNorm, len(saved))
	for _, s := range saved {
		byName[s.Name] = s
	}
	for _, n := range ns {
		s, ok := byName[n.name]
		if !ok {
			return fmt.Errorf("checkpoint lacks batch-norm statistics %s", n.name)
		}
		if err := n.setStats(s.Mean, s.Variance); err != nil {
			return err
		}
	}
	return nil
}

// checkArch explains how a checkpoint's model differs from the one wanted.
func checkArch(path string, got, want Arch) error {
	if got != want {
		return fmt.Errorf("checkpoint %s is for a model with %v, not %v",
			path, got, want)
	}
	return nil
}
