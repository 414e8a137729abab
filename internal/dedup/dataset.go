package dedup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"os"
	"path/filepath"

	"animeface/dataset"
	"animeface/internal/atomicfile"
	"animeface/internal/montage"
)

// ReportName is the file, in the output folder, that lists the groups of
// duplicates; SheetName is their contact sheet; InputName records the input
// dataset, so that a rerun into the same folder resumes.
const (
	ReportName = "dedup.json"
	SheetName  = "dedup.png"
	InputName  = "dedup-input.txt"
)

// Sheet limits: the contact sheet shows the largest groups, one row each.
const (
	sheetGroups  = 16
	sheetMembers = 12
)

// ErrOutNotEmpty reports an output folder that already holds shards of
// something else than a dedup of the same input.
var ErrOutNotEmpty = errors.New("output folder already holds shards")

// Config sets a whole deduplication run.
type Config struct {
	Options
	// Workers decoding faces; 0 means one per core.
	Decoders int
	// Stage, when not nil, is called at the start of each long step with
	// its name and total units (-1 when unknown) and returns the functions
	// that count progress and end the step.
	Stage func(what string, total int64) (add func(int64), done func())
}

// Summary is what a run did.
type Summary struct {
	Faces, Kept, Dropped, Groups int
	ExactPairs, NearPairs        int
	Refused                      int
	// Bad counts samples that could not be read; they are left out of the
	// output.
	Bad int
}

// Report is the content of dedup.json.
type Report struct {
	// Groups of two or more duplicates, largest first; the first member
	// of each group is the face kept in the output.
	Groups [][]Member `json:"groups"`
}

// Member is one face of a group in dedup.json.
type Member struct {
	Key    string `json:"key"`
	Source string `json:"source"`
}

// Run reads the dataset in, finds its duplicates, and writes into out a
// dataset of the faces kept, dedup.json and the contact sheet dedup.png.
//
// A run killed or interrupted while writing leaves whole shards in out;
// running again with the same input and out writes the rest, so the output
// holds every kept face once. Run refuses an out that holds other shards.
func Run(ctx context.Context, in *dataset.Dataset, out string,
	cfg Config) (*Summary, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if err := checkOut(in.Dir, out); err != nil {
		return nil, err
	}

	f, shards, bad, err := readFaces(ctx, in, cfg)
	if err != nil {
		return nil, err
	}
	if f.Len() == 0 {
		return nil, fmt.Errorf("dataset %s holds no readable face", in.Dir)
	}

	add, done := cfg.stage("faces searched", int64(chunks*f.Len()))
	res := f.Find(func(n int) { add(int64(n)) })
	done()

	// The kept faces, the report and the sheet come from one more pass
	// over the shards, which keeps only the sheet's faces in memory.
	sheet, err := writeKept(ctx, in, out, res, shards, cfg)
	if err != nil {
		return nil, err
	}
	if err := writeReport(filepath.Join(out, ReportName), res); err != nil {
		return nil, err
	}
	if err := montage.WritePNG(filepath.Join(out, SheetName), sheet); err != nil {
		return nil, err
	}
	return summarize(res, bad), nil
}

func (c Config) stage(what string, total int64) (func(int64), func()) {
	if c.Stage == nil {
		return func(int64) {}, func() {}
	}
	return c.Stage(what, total)
}

// checkOut refuses to write into the input or over another dataset, and
// records the input in out, before anything else is written there. A
// folder that already names the same input is the output of an earlier,
// unfinished run and is resumed.
func checkOut(in, out string) error {
	ai, err1 := filepath.Abs(in)
	ao, err2 := filepath.Abs(out)
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	if ai == ao {
		return fmt.Errorf("--out %s is the input dataset: choose another folder", out)
	}
	marker := filepath.Join(out, InputName)
	prev, err := os.ReadFile(marker)
	if err == nil && string(prev) == ai+"\n" {
		return nil
	}
	tars, _ := filepath.Glob(filepath.Join(out, "*.tar"))
	if len(tars) > 0 {
		return fmt.Errorf("%w: %s (%d shards, not a dedup of %s): choose an empty folder",
			ErrOutNotEmpty, out, len(tars), in)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(marker, []byte(ai+"\n"), 0o644)
}

// keptRecord is the journal record of a sample written to the output: the
// place it was read from, so a rerun skips it.
type keptRecord struct {
	Shard string `json:"shard"`
	Key   string `json:"key"`
}

// readFaces adds every readable face of in to a finder and returns, by
// face number, the shard it came from.
func readFaces(ctx context.Context, in *dataset.Dataset, cfg Config) (
	*Finder, []string, int, error) {
	f := NewFinder(cfg.Options)
	var shards []string
	bad := 0
	add, done := cfg.stage("faces read", -1)
	defer done()
	err := dataset.DecodeImages(ctx, in, dataset.ReadOptions{Bad: func(err error) {
		bad++
		cfg.Log.Warn("skipping unreadable sample", "err", err)
	}}, cfg.Decoders, func(s dataset.Sample, img *image.NRGBA) error {
		f.Add(Face{Key: s.Key, Source: s.Meta.Source, SourceSHA256: s.Meta.SourceSHA256,
			Crop: s.Meta.Crop, Box: s.Meta.Box}, img)
		shards = append(shards, s.Shard)
		add(1)
		return nil
	})
	if err != nil {
		return nil, nil, 0, fmt.Errorf("read %s: %w", in.Dir, err)
	}
	return f, shards, bad, nil
}

// writeKept copies the kept samples, unchanged, into a dataset in out, and
// returns the contact sheet of the largest groups. Only samples read whole
// in the first pass can be kept: a damaged one is not copied.
func writeKept(ctx context.Context, in *dataset.Dataset, out string, res *Result,
	shards []string, cfg Config) (image.Image, error) {
	type place struct{ shard, key string }
	keep := map[place]bool{}
	for i, d := range res.Dropped() {
		if !d {
			keep[place{shards[i], res.Faces[i].Key}] = true
		}
	}
	cells := sheetCells(res)
	want := map[place]int{}
	for i, id := range cells {
		if id >= 0 {
			want[place{shards[id], res.Faces[id].Key}] = i
		}
	}

	w, err := dataset.NewWriter(out, dataset.WriterOptions{Log: cfg.Log})
	if err != nil {
		return nil, err
	}

	// Samples an earlier run of this dedup committed are not written again.
	for _, raw := range w.Committed() {
		var r keptRecord
		if json.Unmarshal(raw, &r) == nil {
			delete(keep, place{r.Shard, r.Key})
		}
	}
	faces := make([]image.Image, len(cells))
	add, done := cfg.stage("faces written", int64(len(shards)))
	defer done()
	skip := dataset.ReadOptions{Bad: func(error) {}}
	err = in.Each(ctx, skip, func(s dataset.Sample) error {
		p := place{s.Shard, s.Key}
		if i, ok := want[p]; ok {
			if img, err := dataset.DecodePNG(s.PNG); err == nil {
				faces[i] = img
			}
		}
		add(1)
		if !keep[p] {
			return nil
		}
		return w.AddGroup([]dataset.Sample{s}, keptRecord{s.Shard, s.Key})
	})
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", out, err)
	}
	return montage.Grid(faces, sheetColumns(res), 2), nil
}

// sheetColumns is the width of the sheet: the largest group, up to
// sheetMembers.
func sheetColumns(res *Result) int {
	if len(res.Groups) == 0 {
		return 1
	}
	return min(sheetMembers, len(res.Groups[0]))
}

// sheetCells lays out the contact sheet: one row per group, the largest
// first, kept face at the left; -1 is an empty cell. Groups larger than a
// row show their first members.
func sheetCells(res *Result) []int {
	var cells []int
	for _, g := range res.Groups[:min(len(res.Groups), sheetGroups)] {
		for c := range sheetColumns(res) {
			if c < len(g) {
				cells = append(cells, g[c])
			} else {
				cells = append(cells, -1)
			}
		}
	}
	return cells
}

func writeReport(path string, res *Result) error {
	rep := Report{Groups: make([][]Member, 0, len(res.Groups))}
	for _, g := range res.Groups {
		ms := make([]Member, len(g))
		for i, id := range g {
			ms[i] = Member{Key: res.Faces[id].Key, Source: res.Faces[id].Source}
		}
		rep.Groups = append(rep.Groups, ms)
	}
	data, err := json.MarshalIndent(rep, "", " ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(data, '\n'), 0o644)
}

func summarize(res *Result, bad int) *Summary {
	s := &Summary{Faces: len(res.Faces), Groups: len(res.Groups), Bad: bad,
		ExactPairs: res.ExactPairs, NearPairs: res.NearPairs, Refused: res.Refused}
	for _, d := range res.Dropped() {
		if d {
			s.Dropped++
		}
	}
	s.Kept = s.Faces - s.Dropped
	return s
}
