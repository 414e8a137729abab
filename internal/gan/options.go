package gan

import (
	"errors"
	"fmt"
	"io"
)

// Options configures a training run. The zero value is not valid; start
// from DefaultOptions.
type Options struct {
	// Shards is the folder of face shards written by crop or tools import.
	Shards string `json:"shards"`
	// Out is the run folder.
	Out string `json:"out"`
	Arch
	// Steps is the total number of iterations the run should reach,
	// counting those of earlier sessions of a resumed run.
	Steps int     `json:"steps"`
	Batch int     `json:"batch"`
	LR    float64 `json:"lr"`
	Seed  uint64  `json:"seed"`
	// Holdout is the fraction of faces, chosen by key with dataset.Holdout,
	// kept out of training so the overfit report can compare against them.
	Holdout float64 `json:"holdout"`
	// SampleEvery and CheckpointEvery are in steps; 0 means only at the end.
	SampleEvery     int `json:"sample_every"`
	CheckpointEvery int `json:"checkpoint_every"`
	// Keep is how many of the newest checkpoints stay on disk.
	Keep int `json:"keep"`
	// Workers decode the shards in parallel.
	Workers int `json:"workers"`
	// Resume continues the run in Out from its newest checkpoint.
	Resume bool `json:"-"`
	// Progress receives a progress bar; nil means none.
	Progress io.Writer `json:"-"`
}

// DefaultOptions returns the DCGAN paper's settings on the default model.
func DefaultOptions() Options {
	return Options{
		Arch:            DefaultArch,
		Steps:           10000,
		Batch:           64,
		LR:              2e-4,
		Seed:            1,
		SampleEvery:     200,
		CheckpointEvery: 500,
		Keep:            3,
		Workers:         2,
	}
}

// ErrRunExists is returned when Out already holds a run and Resume is off.
var ErrRunExists = errors.New("folder holds a run")

// Validate reports the first option that cannot work.
func (o Options) Validate() error {
	if err := o.Arch.Validate(); err != nil {
		return err
	}
	switch {
	case o.Shards == "":
		return errors.New("no shards folder given")
	case o.Out == "":
		return errors.New("no run folder given")
	case o.Steps < 1:
		return fmt.Errorf("steps %d: want at least 1", o.Steps)
	case o.Batch < 2:
		// Batch norm needs two samples to estimate a variance.
		return fmt.Errorf("batch %d: want at least 2", o.Batch)
	case !(o.LR > 0 && o.LR < 1):
		return fmt.Errorf("learning rate %g: want between 0 and 1", o.LR)
	case !(o.Holdout >= 0 && o.Holdout < 1):
		return fmt.Errorf("holdout %g: want a fraction in [0, 1)", o.Holdout)
	case o.SampleEvery < 0 || o.CheckpointEvery < 0:
		return errors.New("sample and checkpoint intervals must not be negative")
	case o.Keep < 1:
		return fmt.Errorf("keep %d: want at least 1 checkpoint", o.Keep)
	case o.Workers < 1:
		return fmt.Errorf("workers %d: want at least 1", o.Workers)
	}
	return nil
}
