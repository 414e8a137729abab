package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"

	"animeface/dataset"
	"animeface/internal/progress"
	"animeface/internal/stats"
)

func init() {
	register(command{
		Name:  "stats",
		Short: "describe a dataset: faces, shards, sizes, sources, detector, duplicates",
		Usage: `usage: tools stats --shards DIR [--json]

Reads every sample's metadata (without decoding the faces) and prints the
number of faces and shards, face sizes, sources and faces per source, the
detector settings, and what a dedup run removed when the folder holds its
dedup.json.

Examples:
  tools stats --shards faces/
  tools stats --shards faces/ --json | jq .sources`,
		Flags: func(fs *flag.FlagSet) func(context.Context, []string) error {
			shards := fs.String("shards", "", "dataset folder (required)")
			asJSON := fs.Bool("json", false, "print JSON for machines")
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usageError("unexpected arguments %q", args)
				}
				if *shards == "" {
					return usageError("--shards is required")
				}
				return runStats(ctx, *shards, *asJSON)
			}
		},
	})
}

func runStats(ctx context.Context, dir string, asJSON bool) error {
	d, err := dataset.Open(dir)
	if err != nil {
		return err
	}
	bar := progress.New(os.Stderr, -1, "samples read")
	st, err := stats.Collect(ctx, d, stats.Hooks{
		Bad:  func(err error) { logger().Warn("unreadable sample", "err", err) },
		Read: func() { bar.Add(1) },
	})
	bar.Finish()
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	printStats(os.Stdout, st)
	return nil
}

func printStats(w io.Writer, st *stats.Stats) {
	fmt.Fprintf(w, "%s: %d faces in %d shards, %d unreadable\n",
		st.Dir, st.Samples, len(st.Shards), st.Bad)
	sizes := make([]int, 0, len(st.Sizes))
	for s := range st.Sizes {
		sizes = append(sizes, s)
	}
	slices.Sort(sizes)
	for _, s := range sizes {
		fmt.Fprintf(w, "  size %dx%d: %d faces\n", s, s, st.Sizes[s])
	}
	fp := st.FacesPerSource
	fmt.Fprintf(w, "sources: %d; faces per source: min %d, median %d, mean %.2f, max %d\n",
		st.Sources, fp.Min, fp.Median, fp.Mean, fp.Max)
	if fp.Max > 1 {
		for _, s := range st.TopSources {
			fmt.Fprintf(w, "  %4d  %s\n", s.Faces, s.Source)
		}
	}
	if st.Imported > 0 {
		fmt.Fprintf(w, "imported without detection: %d faces\n", st.Imported)
	}
	for _, d := range st.Detectors {
		fmt.Fprintf(w, "detector %s (scale factor %g, min neighbours %d, "+
			"min face %d): %d faces\n",
			d.Name, d.ScaleFactor, d.MinNeighbors, d.MinFace, d.Faces)
	}
	if dd := st.Dedup; dd != nil {
		fmt.Fprintf(w, "dedup: %d duplicates removed in %d groups (largest %d)\n",
			dd.Dropped, dd.Groups, dd.Largest)
	} else {
		fmt.Fprintln(w, "dedup: no dedup.json here (run tools dedup to find duplicates)")
	}
}
