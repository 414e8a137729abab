package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"

	"animeface/dataset"
	"animeface/internal/montage"
	"animeface/internal/progress"
	"animeface/internal/stats"
)

func init() {
	register(command{
		Name:  "montage",
		Short: "draw a grid of faces from a dataset",
		Usage: `usage: tools montage --shards DIR --out FILE.png [flags]

Draws --n faces of the dataset in a grid: a random sample drawn with --seed,
or with --first the first faces in reading order.

Examples:
  tools montage --shards faces/ --n 64 --seed 7 --out faces.png
  tools montage --shards faces/ --first --n 100 --out first.png`,
		Flags: func(fs *flag.FlagSet) func(context.Context, []string) error {
			var o montageOptions
			fs.StringVar(&o.shards, "shards", "", "dataset folder (required)")
			fs.StringVar(&o.out, "out", "", "PNG file to write (required)")
			fs.IntVar(&o.n, "n", 64, "faces to draw")
			fs.Uint64Var(&o.seed, "seed", 1, "seed of the random sample")
			fs.BoolVar(&o.first, "first", false,
				"take the first faces instead of a random sample")
			fs.IntVar(&o.cols, "cols", 0, "faces per row; 0 makes the grid about square")
			return func(ctx context.Context, args []string) error {
				switch {
				case len(args) > 0:
					return usageError("unexpected arguments %q", args)
				case o.shards == "" || o.out == "":
					return usageError("--shards and --out are required")
				case o.n < 1 || o.cols < 0:
					return usageError("--n must be >= 1 and --cols >= 0")
				}
				return runMontage(ctx, o)
			}
		},
	})
}

type montageOptions struct {
	shards, out string
	n, cols     int
	seed        uint64
	first       bool
}

func runMontage(ctx context.Context, o montageOptions) error {
	d, err := dataset.Open(o.shards)
	if err != nil {
		return err
	}
	bad := 0
	bar := progress.New(os.Stderr, -1, "samples read")
	faces, err := stats.Pick(ctx, d, o.n, o.seed, o.first, stats.Hooks{
		Bad: func(err error) {
			bad++
			logger().Warn("skipping unreadable sample", "err", err)
		},
		Read: func() { bar.Add(1) },
	})
	bar.Finish()
	if err != nil {
		return err
	}
	if len(faces) == 0 {
		return fmt.Errorf("dataset %s holds no readable face", o.shards)
	}
	cols := o.cols
	if cols == 0 {
		cols = int(math.Ceil(math.Sqrt(float64(len(faces)))))
	}
	if err := montage.WritePNG(o.out, montage.Grid(faces, cols, 2)); err != nil {
		return err
	}
	how := fmt.Sprintf("random, seed %d", o.seed)
	if o.first {
		how = "the first"
	}
	fmt.Printf("wrote %s: %d faces (%s), %d unreadable skipped\n",
		o.out, len(faces), how, bad)
	return nil
}
