package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"animeface/dataset"
	"animeface/internal/dedup"
	"animeface/internal/progress"
)

func init() {
	register(command{
		Name:  "dedup",
		Short: "find duplicate faces and write the dataset without them",
		Usage: `usage: tools dedup --shards DIR --out DIR [flags]

Finds exact duplicates (the same pixels, or the same crop of the same source
file) and near duplicates (difference hashes within --threshold bits, then
confirmed by comparing 16x16 colour thumbnails), groups them, keeps one face
per group (the one with the largest detected box, then the first read) and
writes the kept faces to --out as a new dataset, with dedup.json (the groups,
kept face first) and dedup.png (the largest groups, one per row). An
interrupted run is finished by running the same command again.

Example:
  tools dedup --shards faces/ --out faces-dedup/`,
		Flags: func(fs *flag.FlagSet) func(context.Context, []string) error {
			var o dedupOptions
			fs.StringVar(&o.shards, "shards", "", "dataset folder to read (required)")
			fs.StringVar(&o.out, "out", "",
				"empty folder for the deduplicated dataset (required)")
			fs.IntVar(&o.threshold, "threshold", dedup.DefaultThreshold,
				"largest Hamming distance between the hashes of near duplicates; "+
					"0 = exact only")
			fs.Float64Var(&o.confirm, "confirm-mse", dedup.DefaultConfirmMSE,
				"largest thumbnail mean squared error (pixels in [0,1]) of a near "+
					"duplicate; "+
					"0 trusts the hash alone")
			fs.IntVar(&o.workers, "workers", 0, "goroutines; 0 means one per core")
			return func(ctx context.Context, args []string) error {
				if o.shards == "" || o.out == "" {
					return usageError("--shards and --out are required")
				}
				if len(args) > 0 {
					return usageError("unexpected arguments %q", args)
				}
				if o.threshold < 0 || o.threshold > 32 || o.confirm < 0 {
					return usageError("--threshold must be in 0..32 and --confirm-mse >= 0")
				}
				return runDedup(ctx, o)
			}
		},
	})
}

type dedupOptions struct {
	shards, out string
	threshold   int
	confirm     float64
	workers     int
}

func runDedup(ctx context.Context, o dedupOptions) error {
	in, err := dataset.Open(o.shards)
	if err != nil {
		return err
	}
	s, err := dedup.Run(ctx, in, o.out, dedup.Config{
		Options: dedup.Options{Threshold: o.threshold, ConfirmMSE: o.confirm,
			Workers: o.workers, Log: logger()},
		Decoders: o.workers,
		Stage:    stage,
	})
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("interrupted; run the same command again to finish %s", o.out)
	}
	if err != nil {
		return err
	}
	fmt.Printf("%d faces: kept %d, dropped %d duplicates in %d groups "+
		"(%d exact pairs, %d near pairs, %d hash pairs refused by pixels), "+
		"%d unreadable\n", s.Faces, s.Kept, s.Dropped, s.Groups,
		s.ExactPairs, s.NearPairs, s.Refused, s.Bad)
	fmt.Printf("wrote %s, %s/%s and %s/%s\n", o.out, o.out, dedup.ReportName,
		o.out, dedup.SheetName)
	return nil
}

// stage shows a progress bar on stderr for one step of a long command.
func stage(what string, total int64) (func(int64), func()) {
	b := progress.New(os.Stderr, total, what)
	return b.Add, b.Finish
}
