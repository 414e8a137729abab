package dedup

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"animeface/dataset"
	"animeface/internal/testdata"
	"animeface/internal/testshards"
)

// TestRun deduplicates the first 400 faces of faces-getchu-64 (which hold
// byte-identical files) and checks the output dataset against dedup.json.
func TestRun(t *testing.T) {
	files := testshards.Files(t, testdata.Path(t, "data", "faces-getchu-64"), 400)
	in := t.TempDir()
	keys := testshards.Write(t, in, files, 64)
	out := filepath.Join(t.TempDir(), "dedup")

	ds, err := dataset.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Run(context.Background(), ds, out, Config{
		Options: Options{Threshold: DefaultThreshold, ConfirmMSE: DefaultConfirmMSE},
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.Dropped == 0 || s.Groups == 0 {
		t.Fatalf("no duplicates found among %d faces: %+v", len(keys), s)
	}

	var rep Report
	data, err := os.ReadFile(filepath.Join(out, ReportName))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	dropped := map[string]bool{}
	for _, g := range rep.Groups {
		if len(g) < 2 {
			t.Errorf("group of %d in %s", len(g), ReportName)
		}
		for _, m := range g[1:] {
			dropped[m.Key] = true
		}
	}

	// The output holds exactly the faces not dropped, in input order.
	got := outputKeys(t, out)
	var want []string
	for _, k := range keys {
		if !dropped[k] {
			want = append(want, k)
		}
	}
	if len(got) != len(want) || len(got) != s.Kept {
		t.Fatalf("output has %d faces, want %d (summary kept %d)", len(got), len(want), s.Kept)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("output face %d is %s, want %s", i, got[i], want[i])
		}
	}
	if _, err := os.Stat(filepath.Join(out, SheetName)); err != nil {
		t.Error(err)
	}

	if s.Bad != 0 {
		t.Errorf("%d unreadable samples in a sound dataset", s.Bad)
	}

	// A rerun finds the work done; another dataset and the input itself
	// are refused as outputs.
	cfg := Config{Options: Options{Threshold: DefaultThreshold,
		ConfirmMSE: DefaultConfirmMSE}}
	if _, err := Run(context.Background(), ds, out, cfg); err != nil {
		t.Errorf("rerun: %v", err)
	}
	if again := outputKeys(t, out); !slices.Equal(again, got) {
		t.Errorf("rerun changed the output: %d faces, had %d", len(again), len(got))
	}
	other := t.TempDir()
	testshards.Write(t, other, files[:3], 64)
	if _, err := Run(context.Background(), ds, other, cfg); !errors.Is(err, ErrOutNotEmpty) {
		t.Errorf("output over another dataset: got %v, want ErrOutNotEmpty", err)
	}
	if _, err := Run(context.Background(), ds, in, cfg); err == nil {
		t.Error("writing into the input dataset was not refused")
	}
}

// TestRunResumes interrupts a run while it writes the kept faces, then
// runs it again: the output must hold every kept face exactly once.
func TestRunResumes(t *testing.T) {
	files := testshards.Files(t, testdata.Path(t, "data", "faces-getchu-64"), 300)
	in := t.TempDir()
	testshards.Write(t, in, files, 64)
	ds, err := dataset.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Threshold: DefaultThreshold, ConfirmMSE: DefaultConfirmMSE}

	// Reference: one uninterrupted run.
	whole := filepath.Join(t.TempDir(), "whole")
	if _, err := Run(context.Background(), ds, whole, Config{Options: opts}); err != nil {
		t.Fatal(err)
	}
	want := outputKeys(t, whole)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	written := int64(0)
	stop := Config{Options: opts, Stage: func(what string, _ int64) (func(int64), func()) {
		if what != "faces written" {
			return func(int64) {}, func() {}
		}
		return func(n int64) {
			if written += n; written == 120 {
				cancel()
			}
		}, func() {}
	}}
	out := filepath.Join(t.TempDir(), "resumed")
	if _, err := Run(ctx, ds, out, stop); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: got %v, want context.Canceled", err)
	}
	partial := outputKeys(t, out)
	if len(partial) == 0 || len(partial) >= len(want) {
		t.Fatalf("the interrupted run wrote %d of %d faces", len(partial), len(want))
	}
	if _, err := Run(context.Background(), ds, out, Config{Options: opts}); err != nil {
		t.Fatal(err)
	}
	got := outputKeys(t, out)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("resumed output has %d faces, uninterrupted %d", len(got), len(want))
	}
}

// outputKeys returns the keys of the dataset in dir, in reading order.
func outputKeys(t *testing.T, dir string) []string {
	t.Helper()
	d, err := dataset.Open(dir)
	if errors.Is(err, dataset.ErrNoShards) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	err = d.Each(context.Background(), dataset.ReadOptions{}, func(s dataset.Sample) error {
		keys = append(keys, s.Key)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestRunSkipsDamagedFaces adds a sample whose PNG is damaged: dedup
// counts it, leaves it out of the output and keeps going.
func TestRunSkipsDamagedFaces(t *testing.T) {
	files := testshards.Files(t, testdata.Path(t, "data", "faces-getchu-64"), 20)
	in := t.TempDir()
	testshards.Write(t, in, files, 64)
	testshards.AddBroken(t, in)

	ds, err := dataset.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "dedup")
	s, err := Run(context.Background(), ds, out, Config{
		Options: Options{Threshold: DefaultThreshold, ConfirmMSE: DefaultConfirmMSE}})
	if err != nil {
		t.Fatal(err)
	}
	if s.Bad != 1 || s.Faces != 20 {
		t.Errorf("summary %+v: want 20 faces and 1 unreadable", s)
	}
	outDS, err := dataset.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = outDS.Each(context.Background(), dataset.ReadOptions{}, func(s dataset.Sample) error {
		if s.Key == "broken" {
			t.Error("the damaged sample was copied to the output")
		}
		n++
		return nil
	})
	if err != nil || n != s.Kept {
		t.Errorf("output holds %d faces (%v), want %d", n, err, s.Kept)
	}
}
