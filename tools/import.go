package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"animeface/dataset"
	"animeface/internal/crop"
)

func init() {
	register(command{
		Name:  "import",
		Short: "write already-cropped faces into dataset shards",
		Usage: `usage: tools import --in DIR --out DIR [--size 64]

Reads every picture under --in (recursively, by content) as a face that is
already cropped, composites transparency onto white, pads it to a square if
it is not one, resizes it to --size pixels and writes it to shards
imported-000000.tar, ... in --out, beside any shards crop wrote there. Bad
files get a warning and a count. Rerunning skips the files already done;
Ctrl-C commits what is done.

Example:
  tools import --in anime-faces/ --out shards/ --size 64`,
		Flags: func(fs *flag.FlagSet) func(context.Context, []string) error {
			var o crop.Job
			fs.StringVar(&o.In, "in", "", "folder of face pictures (required)")
			fs.StringVar(&o.Out, "out", "", "folder to write the shards to (required)")
			fs.IntVar(&o.Size, "size", 64, "side of the faces written, in pixels")
			fs.IntVar(&o.ShardSize, "shard-size", dataset.DefaultShardSize,
				"faces per shard")
			fs.IntVar(&o.Workers, "workers", 0,
				"files processed at once; 0: one per core")
			part := fs.String("part", "",
				"take share i of n (0 <= i < n) of the files, e.g. 0/4")
			fs.IntVar(&o.MaxPixels, "max-pixels", 100_000_000,
				"refuse images with more pixels than this, before decoding them")
			return func(ctx context.Context, args []string) error {
				if o.In == "" || o.Out == "" || len(args) > 0 {
					return usageError("--in and --out are required, and no other arguments")
				}
				if *part != "" {
					p, err := crop.ParsePart(*part)
					if err != nil {
						return usageError("%v", err)
					}
					o.Part = p
				}
				return runImport(ctx, o)
			}
		},
	})
}

func runImport(ctx context.Context, o crop.Job) error {
	start := time.Now()
	o.Log, o.Progress = logger(), os.Stderr
	s, err := crop.Import(ctx, o)
	if err != nil && s.Processed == 0 {
		return err
	}
	took := time.Since(start).Round(time.Millisecond)
	fmt.Fprintf(os.Stdout, "%d faces imported from %d files processed "+
		"(%d already done) in %s\n", s.Faces, s.Processed, s.AlreadyDone, took)
	if s.NotImages > 0 || len(s.Bad) > 0 {
		fmt.Fprintf(os.Stdout, "%d files are not images; bad image files skipped: %v\n",
			s.NotImages, s.Bad)
	}
	if s.Interrupted {
		fmt.Fprintln(os.Stdout, "interrupted: what is done is committed; rerun to finish")
	}
	return err
}
