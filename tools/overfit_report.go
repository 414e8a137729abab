package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	_ "image/jpeg" // generated faces may be JPEG
	_ "image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"animeface/dataset"
	"animeface/internal/gan"
	"animeface/internal/overfit"
)

func init() {
	register(command{
		Name:  "overfit-report",
		Short: "show the training faces nearest to generated faces",
		Usage: `usage: tools overfit-report --run DIR --out DIR [flags]
       tools overfit-report --generated DIR --shards DIR --out DIR [flags]

With --run, generates --n faces from the run's newest checkpoint (or
--checkpoint) with --seed, into --out/generated/, and takes the training
dataset and the hold-out fraction from the run's config.json. For each
generated face, finds the --k training faces nearest by mean squared
error over pixels (exactly, with BLAS, in bounded memory) and writes to --out:
montage.png (generated faces on top, each column its nearest training faces
below), report.html (open it in a browser), report.json and, when real faces
were held out of training, holdout.json. With held-out faces (--holdout, the
fraction the trainer held out, or --holdout-shards) it also reports the share
of generated faces closer to a training face than the closest 1% of held-out
faces, and the data-copying statistic C_T (Meehan et al. 2020).

Examples:
  tools overfit-report --run runs/demo --n 200 --out report/
  tools overfit-report --generated samples/ --shards faces/ --out report/
  tools overfit-report --generated samples/ --n 500 --holdout 0.05 \
      --shards faces/ --out report/`,
		Flags: func(fs *flag.FlagSet) func(context.Context, []string) error {
			var o overfitOptions
			fs.StringVar(&o.generated, "generated", "",
				"folder of generated faces (PNG or JPEG)")
			fs.StringVar(&o.run, "run", "", "training run folder to generate faces from")
			fs.StringVar(&o.shards, "shards", "",
				"training dataset folder (with --run, defaults to the run's)")
			fs.StringVar(&o.checkpoint, "checkpoint", "",
				"with --run, the checkpoint to generate from; empty means the newest")
			fs.StringVar(&o.out, "out", "", "report folder (required)")
			fs.IntVar(&o.n, "n", 10,
				"generated faces to use (the first in name order); 0 = all")
			fs.IntVar(&o.k, "k", 5, "nearest training faces per generated face")
			fs.Float64Var(&o.holdout, "holdout", 0,
				"fraction of --shards the trainer held out (as train --holdout); "+
					"with --run, defaults to the run's")
			fs.StringVar(&o.holdoutShards, "holdout-shards", "",
				"dataset of held-out real faces")
			fs.IntVar(&o.maxHoldout, "max-holdout", overfit.DefaultMaxHoldout,
				"held-out faces used at most, drawn with --seed")
			fs.IntVar(&o.cells, "cells", 0,
				"cells of the C_T test; 0 picks 1 to 10 from the counts")
			fs.Uint64Var(&o.seed, "seed", 1,
				"seed of the generated faces (with --run), the held-out draw and the cells")
			fs.IntVar(&o.workers, "workers", 0, "decoding goroutines; 0 means one per core")
			return func(ctx context.Context, args []string) error {
				fs.Visit(func(f *flag.Flag) {
					o.holdoutSet = o.holdoutSet || f.Name == "holdout"
				})
				if err := o.check(args); err != nil {
					return err
				}
				return runOverfit(ctx, o)
			}
		},
	})
}

type overfitOptions struct {
	generated, run, checkpoint, shards, out, holdoutShards string
	n, k, maxHoldout, cells, workers                       int
	holdout                                                float64
	holdoutSet                                             bool
	seed                                                   uint64
}

func (o overfitOptions) check(args []string) error {
	switch {
	case len(args) > 0:
		return usageError("unexpected arguments %q", args)
	case (o.generated == "") == (o.run == ""):
		return usageError("give exactly one of --generated and --run")
	case o.out == "" || o.shards == "" && o.run == "":
		return usageError("--out is required, and --shards with --generated")
	case o.run != "" && o.n == 0:
		return usageError("--n must be >= 1 with --run")
	case o.n < 0 || o.k < 1 || o.maxHoldout < 1 || o.cells < 0:
		return usageError("--n must be >= 0, --k and --max-holdout >= 1, --cells >= 0")
	case o.holdout < 0 || o.holdout >= 1:
		return usageError("--holdout must be in [0, 1)")
	}
	return nil
}

func runOverfit(ctx context.Context, o overfitOptions) error {
	var gen []overfit.Query
	var err error
	if o.run != "" {
		gen, err = generateFromRun(&o)
	} else {
		gen, err = readGenerated(o.generated, o.n)
	}
	if err != nil {
		return err
	}
	train, err := dataset.Open(o.shards)
	if err != nil {
		return err
	}
	var held *dataset.Dataset
	if o.holdoutShards != "" {
		if held, err = dataset.Open(o.holdoutShards); err != nil {
			return err
		}
	}

	// A run's model may be smaller than the dataset's faces: the trainer
	// scaled them, and so does the report.
	rep, err := overfit.Run(ctx, overfit.Config{Train: train, Generated: gen,
		ScaleFaces: o.run != "", HoldoutFraction: o.holdout, Holdout: held,
		MaxHoldout: o.maxHoldout,
		K:          o.k, Cells: o.cells, Seed: o.seed, Workers: o.workers,
		Log: logger(), Stage: stage})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	if err := overfit.Write(o.out, rep); err != nil {
		return err
	}
	printOverfit(o, rep)
	return nil
}

// generateFromRun draws the faces from the run's generator into
// out/generated and fills in the dataset and hold-out fraction the run
// was trained with, unless given.
func generateFromRun(o *overfitOptions) ([]overfit.Query, error) {
	cfg, err := gan.LoadRunConfig(o.run)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", o.run, err)
	}
	if o.shards == "" {
		if o.shards, err = runShards(o.run, cfg); err != nil {
			return nil, err
		}
	}
	if !o.holdoutSet {
		o.holdout = cfg.Options.Holdout
	}
	faces, err := gan.Generate(o.run, o.checkpoint, o.n, o.seed)
	if errors.Is(err, gan.ErrNoCheckpoint) {
		return nil, fmt.Errorf("run %s has no checkpoint to generate from yet "+
			"(train it further, or give --checkpoint): %w", o.run, err)
	}
	if err != nil {
		return nil, fmt.Errorf("generate from %s: %w", o.run, err)
	}
	dir := filepath.Join(o.out, "generated")
	if _, err := gan.WriteFaces(dir, faces); err != nil {
		return nil, err
	}
	// WriteFaces names face i face-NNNN.png.
	gen := make([]overfit.Query, len(faces))
	for i, f := range faces {
		gen[i] = overfit.Query{Name: fmt.Sprintf("generated/face-%04d.png", i), Image: f}
	}
	return gen, nil
}

// runShards finds the dataset a run was trained on. The run's config holds
// the paths as given to train, relative to the folder train ran in; that
// folder is the run folder less the config's own --out, when it ends so.
func runShards(run string, cfg gan.RunConfig) (string, error) {
	shards := cfg.Options.Shards
	if filepath.IsAbs(shards) {
		return shards, nil
	}
	if _, err := os.Stat(shards); err == nil {
		return shards, nil
	}
	abs, err := filepath.Abs(run)
	if err != nil {
		return "", err
	}
	out := filepath.Clean(cfg.Options.Out)
	if base, ok := strings.CutSuffix(abs, string(filepath.Separator)+out); ok {
		if p := filepath.Join(base, shards); dirExists(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("the dataset of run %s (%s, relative to where train ran) "+
		"is not found: give --shards", run, shards)
}

func dirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// readGenerated reads the first n images of dir in name order (all when n
// is 0), skipping files that are not images with a warning.
func readGenerated(dir string, n int) ([]overfit.Query, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("generated faces: %w", err)
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	var out []overfit.Query
	skipped := 0
	for _, name := range names {
		if n > 0 && len(out) == n {
			break
		}
		img, err := readImageFile(filepath.Join(dir, name))
		if err != nil {
			skipped++
			logger().Warn("skipping generated file", "file", name, "err", err)
			continue
		}
		out = append(out, overfit.Query{Name: name, Image: img})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no readable PNG or JPEG image in %s (%d files skipped)",
			dir, skipped)
	}
	return out, nil
}

// maxGeneratedPixels refuses decompression bombs among generated files.
const maxGeneratedPixels = 4096 * 4096

func readImageFile(path string) (*image.NRGBA, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cfg, _, err := image.DecodeConfig(f)
	if err != nil {
		return nil, err
	}
	if cfg.Width*cfg.Height > maxGeneratedPixels {
		return nil, fmt.Errorf("%dx%d is too large for a face", cfg.Width, cfg.Height)
	}
	if _, err := f.Seek(0, 0); err != nil {
		return nil, err
	}
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, err
	}
	return dataset.ToNRGBA(img), nil
}

func printOverfit(o overfitOptions, rep *overfit.Report) {
	fmt.Printf("%d generated faces against %d training faces of %dx%d "+
		"(%d scaled to that size, %d unreadable)\n", len(rep.Queries), rep.Training,
		rep.Size, rep.Size, rep.Scaled, rep.Bad)
	const shown = 20
	for _, q := range rep.Queries[:min(shown, len(rep.Queries))] {
		nb := q.Neighbours[0]
		fmt.Printf("  %-24s nearest %s (%s) MSE %.4f\n", q.Name, nb.Key, nb.Source, nb.MSE)
	}
	if len(rep.Queries) > shown {
		fmt.Printf("  ... and %d more in the report\n", len(rep.Queries)-shown)
	}
	if h := rep.Holdout; h != nil {
		fmt.Printf("held out: %d faces; generated closer than their closest 1%%: %.1f%%\n",
			h.HeldOut, 100*h.CloserShare)
		if h.CloserNote != "" {
			fmt.Printf("  note: %s\n", h.CloserNote)
		}
		if h.CTOK {
			fmt.Printf("C_T = %.2f (below -3: copying; near 0: fine; "+
				"above 3: underfitting)\n", h.CT)
		} else {
			fmt.Printf("C_T not computed: %s\n", h.CTNote)
		}
	}
	fmt.Printf("wrote %s\n", filepath.Join(o.out, overfit.HTMLName))
}
