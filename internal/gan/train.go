package gan

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"animeface/internal/progress"
)

// Streams of the run's seed, one per use, so that adding a use of
// randomness does not shift the others.
const (
	streamTrain = 1 // z and flips of the training batches
	streamInit  = 2 // initial weights
	streamFixed = 3 // the fixed z of the sample montages
)

// sampleCount is the number of faces in a sample montage (8×8).
const sampleCount = 64

// Summary tells what a training session did.
type Summary struct {
	Run string
	// FirstStep is the step the session started from, Step the one reached.
	FirstStep, Step int
	// Interrupted is set when the context ended the session early.
	Interrupted bool
	Dataset     DatasetInfo
	// Checkpoint and Samples are the newest files written, if any.
	Checkpoint, Samples string
	ImgPerS             float64
}

// Train trains the run in o.Out until o.Steps, writing the run folder as it
// goes. When ctx ends, it writes a checkpoint and returns with
// Summary.Interrupted set and no error. A loss that is not finite stops
// the run with an error wrapping ErrNotFinite; the checkpoints written
// before it stay.
func Train(ctx context.Context, o Options, log *slog.Logger) (Summary, error) {
	sum := Summary{Run: o.Out}
	if err := o.Validate(); err != nil {
		return sum, err
	}

	// A new run must not mix its files with another's; a resumed one
	// starts from its newest checkpoint.
	prev, ckpt, err := prepareRun(o)
	if err != nil {
		return sum, err
	}

	fs, info, err := loadFaces(ctx, o, log)
	sum.Dataset = info
	if ctx.Err() != nil {
		sum.Interrupted = true
		return sum, nil
	}
	if err != nil {
		return sum, err
	}
	if err := checkData(o, prev, info); err != nil {
		return sum, err
	}

	// Decoding left garbage the size of the dataset; the model's buffers
	// come next, and the peak should not be the sum of the two.
	debug.FreeOSMemory()
	s, err := newSession(o, fs, ckpt, log)
	if err != nil {
		return sum, err
	}
	sum.FirstStep = s.step
	if prev == nil {
		if err := writeRunConfig(o.Out, newRunConfig(o, info)); err != nil {
			return sum, err
		}
	}

	err = s.loop(ctx, &sum)
	if cerr := s.metrics.close(); err == nil {
		err = cerr
	}
	return sum, err
}

// prepareRun checks the run folder and, when resuming, returns the run's
// config and newest checkpoint.
func prepareRun(o Options) (*RunConfig, *checkpoint, error) {
	_, statErr := os.Stat(filepath.Join(o.Out, configName))
	exists := statErr == nil
	names, err := listCheckpoints(o.Out)
	if err != nil {
		return nil, nil, err
	}
	if !o.Resume {
		if exists || len(names) > 0 {
			return nil, nil, fmt.Errorf("%s: %w; pass --resume to continue it or "+
				"choose another folder", o.Out, ErrRunExists)
		}
		if err := os.MkdirAll(o.Out, 0o755); err != nil {
			return nil, nil, fmt.Errorf("run folder: %w", err)
		}
		return nil, nil, nil
	}

	cfg, err := LoadRunConfig(o.Out)
	if err != nil {
		return nil, nil, fmt.Errorf("resume %s: %w", o.Out, err)
	}
	path, err := newestCheckpoint(o.Out)
	if err != nil {
		return nil, nil, fmt.Errorf("resume: %w", err)
	}
	c, err := loadCheckpoint(path)
	if err != nil {
		return nil, nil, err
	}
	if err := checkArch(path, c.Arch, o.Arch); err != nil {
		return nil, nil, err
	}
	if err := sameTraining(cfg.Options, o); err != nil {
		return nil, nil, fmt.Errorf("resume %s: %w", o.Out, err)
	}
	return &cfg, c, nil
}

// ResumeOptions returns the options a run was started with, for a command
// to override with the flags given to continue it.
func ResumeOptions(run string) (Options, error) {
	cfg, err := LoadRunConfig(run)
	if err != nil {
		return Options{}, err
	}
	return cfg.Options, nil
}

// sameTraining reports a setting that a resumed run cannot change without
// changing the losses it computes.
func sameTraining(was, now Options) error {
	diff := func(flag string, a, b any) error {
		return fmt.Errorf("the run was started with --%s %v, not %v", flag, a, b)
	}
	switch {
	case was.Arch != now.Arch:
		return diff("size/--width/--latent", was.Arch, now.Arch)
	case was.Batch != now.Batch:
		return diff("batch", was.Batch, now.Batch)
	case was.LR != now.LR:
		return diff("lr", was.LR, now.LR)
	case was.Seed != now.Seed:
		return diff("seed", was.Seed, now.Seed)
	case was.Holdout != now.Holdout:
		return diff("holdout", was.Holdout, now.Holdout)
	}
	return nil
}

// checkData refuses a dataset too small for a batch, or one that changed
// under a resumed run.
func checkData(o Options, prev *RunConfig, info DatasetInfo) error {
	if info.Faces < o.Batch {
		return fmt.Errorf("%s has %d faces to train on, fewer than one batch of %d; "+
			"lower --batch", o.Shards, info.Faces, o.Batch)
	}
	if prev != nil && prev.Dataset.Fingerprint != info.Fingerprint {
		return fmt.Errorf("resume: the faces in %s differ from those the run "+
			"started with (fingerprint %.12s, was %.12s); start a new run",
			o.Shards, info.Fingerprint, prev.Dataset.Fingerprint)
	}
	return nil
}

// session is one process's part of a run.
type session struct {
	o       Options
	log     *slog.Logger
	fs      *faces
	m       *model
	st      *stepper
	smp     *sampler
	pcg     *rand.PCG
	rng     *rand.Rand
	fixedZ  []float32
	step    int
	elapsed float64 // seconds of earlier sessions
	metrics *metricsLog
	history []Metric

	order      []int // face order of orderEpoch
	orderEpoch int
	lastCkpt   int
}

// newSession builds the model and its graphs, from the checkpoint c if it
// is not nil.
func newSession(o Options, fs *faces, c *checkpoint, log *slog.Logger) (*session, error) {
	s := &session{o: o, log: log, fs: fs, orderEpoch: -1, lastCkpt: -1}
	s.pcg = rand.NewPCG(o.Seed, streamTrain)
	s.rng = rand.New(s.pcg)
	s.m = newModel(o.Arch, rand.New(rand.NewPCG(o.Seed, streamInit)))
	s.fixedZ = latents(rand.New(rand.NewPCG(o.Seed, streamFixed)),
		sampleCount, o.Latent)

	var err error
	if s.st, err = newStepper(s.m, o.Batch, o.LR); err != nil {
		return nil, err
	}
	if s.smp, err = newSampler(s.m, sampleCount); err != nil {
		return nil, err
	}
	if c != nil {
		if err := s.restore(c); err != nil {
			return nil, err
		}
	}

	// Metrics after the checkpoint belong to steps that will be redone.
	s.history, err = ReadMetrics(o.Out, s.step)
	if err != nil {
		return nil, err
	}
	s.metrics, err = openMetrics(o.Out, s.history)
	return s, err
}

func (s *session) restore(c *checkpoint) error {
	if err := restoreParams(s.m.params(), c.Params); err != nil {
		return err
	}
	if err := restoreNorms(s.st.gen.norms, c.Norms); err != nil {
		return err
	}
	if err := restoreNorms(s.st.disc.norms, c.Norms); err != nil {
		return err
	}
	if err := s.pcg.UnmarshalBinary(c.RNG); err != nil {
		return fmt.Errorf("checkpoint random state: %w", err)
	}
	if len(c.AdamD.M) != len(s.m.disc) || len(c.AdamG.M) != len(s.m.gen) {
		return errors.New("checkpoint optimiser state does not fit the model")
	}
	s.st.adamD, s.st.adamG = c.AdamD, c.AdamG
	s.step, s.elapsed, s.lastCkpt = c.Step, c.Elapsed, c.Step
	return nil
}

// loop trains until the target step or until ctx ends, then writes a final
// checkpoint and samples.
func (s *session) loop(ctx context.Context, sum *Summary) error {
	o := s.o
	start := time.Now()
	first := s.step
	bar := s.newBar()
	defer bar.Finish()

	for s.step < o.Steps {
		if ctx.Err() != nil {
			sum.Interrupted = true
			s.log.Info("interrupted; writing a checkpoint", "step", s.step)
			break
		}
		l, err := s.trainStep()
		if err != nil {
			return s.stepFailed(err)
		}
		s.step++

		secs := time.Since(start).Seconds()
		sum.ImgPerS = float64((s.step-first)*o.Batch) / secs
		m := Metric{Step: s.step, Epoch: s.epoch(s.step - 1), LossD: l.D, LossG: l.G,
			DReal: l.DReal, DFake: l.DFake, LossZ: l.Z, ImgPerS: sum.ImgPerS,
			ElapsedS: s.elapsed + secs}
		if err := s.record(m); err != nil {
			return err
		}
		bar.Describe(fmt.Sprintf("epoch %d  D %.3f  G %.3f  %.1f img/s",
			m.Epoch, m.LossD, m.LossG, m.ImgPerS))
		bar.Add(1)

		if every(s.step, o.SampleEvery) {
			if sum.Samples, err = s.writeSamples(); err != nil {
				return err
			}
		}
		if every(s.step, o.CheckpointEvery) {
			if sum.Checkpoint, err = s.checkpoint(s.elapsed + secs); err != nil {
				return err
			}
		}
	}

	// The end of a session always leaves a checkpoint and fresh samples.
	var err error
	sum.Step = s.step
	if s.lastCkpt != s.step {
		secs := time.Since(start).Seconds()
		if sum.Checkpoint, err = s.checkpoint(s.elapsed + secs); err != nil {
			return err
		}
	}
	if !every(s.step, o.SampleEvery) || s.step == first {
		sum.Samples, err = s.writeSamples()
	}
	return err
}

func every(step, n int) bool { return n > 0 && step%n == 0 }

func (s *session) newBar() *progress.Bar {
	w := s.o.Progress
	if w == nil {
		w = discard{}
	}
	b := progress.New(w, int64(s.o.Steps), "training")
	b.Add(int64(s.step))
	return b
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// stepsPerEpoch drops the last partial batch of an epoch, so every batch
// is full and batch statistics are comparable.
func (s *session) stepsPerEpoch() int { return len(s.fs.pix) / s.o.Batch }

func (s *session) epoch(step int) int { return step / s.stepsPerEpoch() }

// trainStep draws the next batch and trains on it.
func (s *session) trainStep() (losses, error) {
	o := s.o
	e, pos := s.epoch(s.step), s.step%s.stepsPerEpoch()
	if e != s.orderEpoch {
		s.order, s.orderEpoch = epochOrder(o.Seed, e, len(s.fs.pix)), e
	}
	idx := s.order[pos*o.Batch : (pos+1)*o.Batch]

	z := latents(s.rng, o.Batch, o.Latent)
	flip := make([]bool, o.Batch)
	for i := range flip {
		flip[i] = s.rng.IntN(2) == 1
	}
	real := make([]float32, o.Batch*3*o.Size*o.Size)
	s.fs.fillBatch(real, idx, flip)
	return s.st.step(real, z)
}

// stepFailed explains a failed step, naming the checkpoint that survives.
func (s *session) stepFailed(err error) error {
	err = fmt.Errorf("step %d: %w", s.step+1, err)
	if !errors.Is(err, ErrNotFinite) {
		return err
	}
	last, lerr := newestCheckpoint(s.o.Out)
	if lerr != nil {
		return fmt.Errorf("%w; no checkpoint was written before it; "+
			"try a lower --lr", err)
	}
	return fmt.Errorf("%w; the last good checkpoint is %s; try a lower --lr", err, last)
}

func (s *session) record(m Metric) error {
	s.history = append(s.history, m)
	return s.metrics.add(m)
}

// writeSamples draws the fixed latents into a montage and refreshes the
// loss plot next to it.
func (s *session) writeSamples() (string, error) {
	out, err := s.smp.generate(s.fixedZ)
	if err != nil {
		return "", err
	}
	path, err := writeSamples(s.o.Out, s.step, toImages(out, sampleCount, s.o.Size))
	if err != nil {
		return "", err
	}
	return path, writeLossPlot(s.o.Out, s.history)
}

// checkpoint saves the state after s.step; metrics are synced first so
// the file never lags the checkpoint.
func (s *session) checkpoint(elapsed float64) (string, error) {
	if err := s.metrics.sync(); err != nil {
		return "", err
	}
	rng, err := s.pcg.MarshalBinary()
	if err != nil {
		return "", fmt.Errorf("random state: %w", err)
	}
	c := &checkpoint{
		Version: checkpointVersion,
		Arch:    s.o.Arch,
		Step:    s.step,
		Elapsed: elapsed,
		Params:  saveParams(s.m.params()),
		Norms:   append(saveNorms(s.st.gen.norms), saveNorms(s.st.disc.norms)...),
		AdamD:   s.st.adamD,
		AdamG:   s.st.adamG,
		RNG:     rng,
	}
	path, err := saveCheckpoint(s.o.Out, c, s.o.Keep)
	if err == nil {
		s.lastCkpt = s.step
	}
	return path, err
}

// latents draws n standard normal vectors of length dim.
func latents(rng *rand.Rand, n, dim int) []float32 {
	z := make([]float32, n*dim)
	for i := range z {
		z[i] = float32(rng.NormFloat64())
	}
	return z
}
