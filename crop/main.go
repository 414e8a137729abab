// Command crop finds the faces in a folder of illustrations and writes them
// as a face dataset: WebDataset tar shards of KEY.png and KEY.json.
//
// Usage:
//
//	crop --in DIR --out DIR [flags]
//
// It walks --in recursively, reads JPEG, PNG, WebP, BMP, TIFF and GIF
// files by content, detects faces with an OpenCV cascade (lbpcascade_animeface
// by default), cuts each face as a square with a margin, resizes it to
// --size pixels and writes shards faces-000000.tar, ... to --out. Faces
// found below --min-face are not written; the index faces.index.jsonl
// lists them with each source. Bad files get a warning and a count.
// Interrupting (Ctrl-C) commits what is done; rerunning the same command
// carries on where it stopped. With --part i/n, n machines each take a
// share of the files and write into one folder.
//
// Exit status: 0 when the run completed or was interrupted cleanly (even
// with bad files), 1 on failure, 2 on a usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"animeface/internal/cli"
	"animeface/internal/crop"
)

const usage = `usage: crop --in DIR --out DIR [flags]

Finds the faces in the illustrations under --in (recursively) and writes
them as --size pixel squares to WebDataset shards in --out. Rerunning the
same command skips the files already done.

Examples:
  crop --in illustrations/ --out faces/
  crop --in /usr/share/games/renpy --out faces/ --min-face 24 --size 128
  crop --in illustrations/ --out faces/ --part 3/8   # share 3 of 0..7
  crop --in illustrations/ --out faces/ --search-min 46   # faster, rejects none

Flags:
`

var errUsage = errors.New("usage")

func main() {
	os.Exit(mainErr(os.Args[1:], os.Stdout, os.Stderr))
}

// mainErr parses the flags, runs crop and returns the exit status.
func mainErr(args []string, stdout, stderr io.Writer) int {
	opts, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintf(stderr, "crop: %v\n", err)
		}
		return 2
	}

	// The first interrupt finishes cleanly; a second one kills.
	ctx, stop := cli.SignalContext()
	defer stop()

	if err := run(ctx, opts, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "crop: %v\n", err)
		return 1
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (crop.Options, error) {
	o := crop.DefaultOptions()
	fs := flag.NewFlagSet("crop", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.In, "in", "", "folder of illustrations, walked recursively (required)")
	fs.StringVar(&o.Out, "out", "", "folder to write the shards to (required)")
	fs.StringVar(&o.Cascade, "cascade", o.Cascade,
		"cascade: animeface, an OpenCV cascade name (frontalface, ...) or a path")
	fs.Float64Var(&o.ScaleFactor, "scale-factor", o.ScaleFactor,
		"how much the detector's window grows between scales")
	fs.IntVar(&o.MinNeighbors, "min-neighbors", o.MinNeighbors,
		"overlapping detections a face needs to be kept")
	fs.IntVar(&o.MinFace, "min-face", 0, "smallest face kept, in source pixels; "+
		"0: the smallest whose crop is at least --size (46 for the defaults)")
	fs.IntVar(&o.SearchMin, "search-min", 0, "smallest face searched for, at most "+
		"--min-face; faces found below --min-face are listed in the index, not kept. "+
		"0: the cascade's window (24 for animeface), about 1.7x the CPU of "+
		"--search-min equal to --min-face at the defaults")
	fs.Float64Var(&o.Margin, "margin", o.Margin,
		"fraction of the face's side added on each side before cropping")
	fs.IntVar(&o.Size, "size", o.Size, "side of the faces written, in pixels")
	fs.IntVar(&o.ShardSize, "shard-size", o.ShardSize, "faces per shard")
	fs.IntVar(&o.Workers, "workers", 0, "files processed at once; 0: one per core")
	part := fs.String("part", "", "take share i of n (0 <= i < n) of the files, "+
		"by a hash of their path, e.g. 0/4")
	fs.IntVar(&o.MaxPixels, "max-pixels", 100_000_000,
		"refuse images with more pixels than this, before decoding them")
	if err := fs.Parse(args); err != nil {
		return o, err
	}

	if o.In == "" || o.Out == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "crop: --in and --out are required, and no other arguments")
		fs.Usage()
		return o, errUsage
	}
	if *part != "" {
		p, err := crop.ParsePart(*part)
		if err != nil {
			return o, err
		}
		o.Part = p
	}
	return o, nil
}

// run crops and prints the summary.
func run(ctx context.Context, o crop.Options, stdout, stderr io.Writer) error {
	start := time.Now()
	o.Log = cli.Logger(stderr)
	o.Progress = stderr

	sum, err := crop.Run(ctx, o)
	// After a failure the summary still says what was committed.
	if err == nil || sum.Processed > 0 {
		printSummary(stdout, sum, o.Out, time.Since(start))
	}
	return err
}

func printSummary(w io.Writer, s crop.Summary, out string, took time.Duration) {
	fmt.Fprintf(w, "%d faces from %d of %d files processed (%d files already done), "+
		"min face %d, in %s\n", s.Faces, s.WithFaces, s.Processed, s.AlreadyDone,
		s.MinFace, took.Round(time.Millisecond))
	if n := s.Rejected[crop.TooSmall]; n > 0 {
		fmt.Fprintf(w, "%d faces smaller than min face %d not kept (listed in the index)\n",
			n, s.MinFace)
	}
	if s.NotImages > 0 {
		fmt.Fprintf(w, "%d files are not images\n", s.NotImages)
	}
	if len(s.Bad) > 0 {
		var reasons []string
		n := 0
		for r, c := range s.Bad {
			reasons = append(reasons, fmt.Sprintf("%d %s", c, r))
			n += c
		}
		sort.Strings(reasons)
		fmt.Fprintf(w, "%d bad image files skipped: %s\n", n, strings.Join(reasons, ", "))
	}
	if s.Interrupted {
		fmt.Fprintf(w, "interrupted: what is done is committed; rerun the same command "+
			"to finish\n")
	}
	fmt.Fprintf(w, "shards: %s/%s-*.tar\n", strings.TrimSuffix(out, "/"), s.Prefix)
}
