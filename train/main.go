// Command train trains a DCGAN on a folder of face shards.
//
// It writes a run folder: config.json (every setting, the seed and a
// fingerprint of the faces), metrics.jsonl (one line per step), loss.png,
// samples/step-NNNNNN.png (an 8×8 montage from fixed latent vectors) and
// checkpoints/. Ctrl-C writes a checkpoint and exits 0; --resume continues
// from the newest checkpoint with the same losses an uninterrupted run
// would have had.
//
// Usage:
//
//	train --shards DIR --out RUN [flags]
//	train --out RUN --resume [--steps N]
//
// Exit status: 0 on success or interruption, 1 on failure, 2 on a usage
// error.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"animeface/internal/cli"
	"animeface/internal/gan"
)

const usage = `usage: train --shards DIR --out RUN [flags]
       train --out RUN --resume [--steps N]

Trains a DCGAN (non-saturating loss, Adam) on the faces in DIR and writes the
run folder RUN. With --resume, the run's own settings are the defaults and
only --steps and the output intervals may change.

Example:
  train --shards faces/ --out runs/first --steps 2000 --sample-every 100
  train --out runs/first --resume --steps 4000
`

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "train: %v\n", err)
		return 2
	}
	if err := o.Validate(); err != nil {
		fmt.Fprintf(stderr, "train: %v\n", err)
		return 2
	}

	// The first interrupt asks for a checkpoint and a clean exit; a second
	// one kills the process.
	ctx, stop := cli.SignalContext()
	defer stop()

	o.Progress = stderr
	sum, err := gan.Train(ctx, o, cli.Logger(stderr))
	if err != nil {
		fmt.Fprintf(stderr, "train: %v\n", err)
		return 1
	}
	report(os.Stdout, sum)
	return 0
}

// parseFlags reads the flags; with --resume it reads them a second time
// with the run's stored options as defaults.
func parseFlags(args []string, stderr io.Writer) (gan.Options, error) {
	o := gan.DefaultOptions()
	if err := newFlags(&o, stderr).Parse(args); err != nil {
		return o, err
	}
	if !o.Resume {
		if o.Shards == "" || o.Out == "" {
			return o, errors.New("--shards and --out are required (-h for help)")
		}
		return o, nil
	}
	if o.Out == "" {
		return o, errors.New("--resume needs --out")
	}
	stored, err := gan.ResumeOptions(o.Out)
	if err != nil {
		return o, err
	}
	o = stored
	fs := newFlags(&o, stderr)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	return o, nil
}

func newFlags(o *gan.Options, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage, "\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&o.Shards, "shards", o.Shards,
		"folder of face shards (required for a new run)")
	fs.StringVar(&o.Out, "out", o.Out, "run folder (required)")
	fs.IntVar(&o.Size, "size", o.Size, "image side: 32, 64 or 128")
	fs.IntVar(&o.Width, "width", o.Width,
		"channels of the generator's last block and the discriminator's first layer")
	fs.IntVar(&o.Latent, "latent", o.Latent, "length of the latent vector z")
	fs.IntVar(&o.MinibatchFeatures, "minibatch-features", o.MinibatchFeatures,
		"minibatch-discrimination kernels on the discriminator's features, "+
			"against mode collapse (0: off)")
	fs.BoolVar(&o.ZPredictor, "z-predictor", o.ZPredictor,
		"add a head that regresses z from the discriminator's features of a generated "+
			"face, against mode collapse")
	fs.IntVar(&o.Steps, "steps", o.Steps, "total steps of the run, earlier sessions included")
	fs.IntVar(&o.Batch, "batch", o.Batch, "faces per step")
	fs.Float64Var(&o.LR, "lr", o.LR, "Adam learning rate (beta1 0.5, beta2 0.999)")
	fs.Uint64Var(&o.Seed, "seed", o.Seed, "seed of every random choice of the run")
	fs.Float64Var(&o.Holdout, "holdout", o.Holdout,
		"fraction of faces kept out of training, chosen by key, for the overfit report")
	fs.IntVar(&o.SampleEvery, "sample-every", o.SampleEvery,
		"write a sample montage and the loss plot every N steps (0: at the end)")
	fs.IntVar(&o.CheckpointEvery, "checkpoint-every", o.CheckpointEvery,
		"write a checkpoint every N steps (0: at the end)")
	fs.IntVar(&o.Keep, "keep", o.Keep, "number of newest checkpoints kept")
	fs.IntVar(&o.Workers, "workers", o.Workers, "goroutines decoding the shards")
	fs.BoolVar(&o.Resume, "resume", o.Resume,
		"continue the run in --out from its newest checkpoint")
	return fs
}

// report prints what the session did on stdout.
func report(w io.Writer, s gan.Summary) {
	state := "finished"
	if s.Interrupted {
		state = "interrupted"
	}
	fmt.Fprintf(w, "%s: %s at step %d (from %d), %.1f images/s\n",
		s.Run, state, s.Step, s.FirstStep, s.ImgPerS)
	d := s.Dataset
	fmt.Fprintf(w, "faces: %d trained on, %d held out, %d unreadable, %d resized\n",
		d.Faces, d.HeldOut, d.Skipped, d.Resized)
	if s.Checkpoint != "" {
		fmt.Fprintf(w, "checkpoint: %s\n", s.Checkpoint)
	}
	if s.Samples != "" {
		fmt.Fprintf(w, "samples: %s\n", s.Samples)
	}
}
