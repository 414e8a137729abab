package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"animeface/internal/gan"
)

func init() {
	register(command{
		Name:  "sample",
		Short: "generate faces from a training run's checkpoint",
		Usage: `usage: tools sample --run RUN [--n 64] [--seed S] [--checkpoint FILE] --out DIR

Writes N generated faces as DIR/face-NNNN.png and an 8-column montage
DIR/montage.png from the newest checkpoint of RUN, or from --checkpoint (a
path, or a file name in RUN/checkpoints). The same seed gives the same faces;
the run's own seed gives the faces of its sample montages.

Example:
  tools sample --run runs/first --n 64 --seed 7 --out samples/`,
		Flags: func(fs *flag.FlagSet) func(context.Context, []string) error {
			run := fs.String("run", "", "training run folder (required)")
			n := fs.Int("n", 64, "number of faces")
			seed := fs.Uint64("seed", 1, "seed of the latent vectors")
			ckpt := fs.String("checkpoint", "", "checkpoint to use; empty means the newest")
			out := fs.String("out", "", "output folder (required)")
			return func(ctx context.Context, _ []string) error {
				if *run == "" || *out == "" {
					return usageError("--run and --out are required")
				}
				if *n < 1 {
					return usageError("--n %d: want at least 1", *n)
				}
				return runSample(*run, *ckpt, *n, *seed, *out)
			}
		},
	})
}

func runSample(run, ckpt string, n int, seed uint64, out string) error {
	faces, err := gan.Generate(run, ckpt, n, seed)
	if err != nil {
		return err
	}
	path, err := gan.WriteFaces(out, faces)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stdout, "%d faces in %s, montage %s\n", len(faces), out, path)
	return nil
}
