package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"animeface/dataset"
)

func init() {
	register(command{
		Name:  "verify",
		Short: "read every member of a dataset and report damage",
		Usage: `usage: tools verify --shards DIR

Reads every shard, checks every sample's metadata and decodes every face.
Prints a line per damaged sample and exits 1 if there is any.

Example:
  tools verify --shards faces/`,
		Flags: func(fs *flag.FlagSet) func(context.Context, []string) error {
			shards := fs.String("shards", "", "dataset folder (required)")
			workers := fs.Int("workers", 0, "decoding goroutines; 0 means one per core")
			return func(ctx context.Context, _ []string) error {
				if *shards == "" {
					return usageError("--shards is required")
				}
				return runVerify(ctx, *shards, *workers)
			}
		},
	})
}

func runVerify(ctx context.Context, dir string, workers int) error {
	d, err := dataset.Open(dir)
	if err != nil {
		return err
	}
	r, err := dataset.Verify(ctx, d, workers)
	if err != nil {
		return err
	}
	for _, p := range r.Problems {
		fmt.Fprintln(os.Stdout, p)
	}
	fmt.Fprintf(os.Stdout, "%d shards, %d good samples, %d problems\n",
		r.Shards, r.Samples, len(r.Problems))
	if len(r.Problems) > 0 {
		return fmt.Errorf("%d damaged samples in %s", len(r.Problems), dir)
	}
	return nil
}
