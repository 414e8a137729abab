package dedup

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
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
	var got []string
	outDS, err := dataset.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	err = outDS.Each(context.Background(), dataset.ReadOptions{}, func(s dataset.Sample) error {
		got = append(got, s.Key)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
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

	// A second run into the same folder is refused, and the input too.
	if s.Bad != 0 {
		t.Errorf("%d unreadable samples in a sound dataset", s.Bad)
	}
	if _, err := Run(context.Background(), ds, out, Config{}); !errors.Is(err, ErrOutNotEmpty) {
		t.Errorf("rerun into a full folder: got %v, want ErrOutNotEmpty", err)
	}
	if _, err := Run(context.Background(), ds, in, Config{}); err == nil {
		t.Error("writing into the input dataset was not refused")
	}
}

// TestRunSkipsDamagedFaces adds a sample whose PNG is damaged: dedup
// counts it, leaves it out of the output and keeps going.
func TestRunSkipsDamagedFaces(t *testing.T) {
	files := testshards.Files(t, testdata.Path(t, "data", "faces-getchu-64"), 20)
	in := t.TempDir()
	testshards.Write(t, in, files, 64)
	w, err := dataset.NewWriter(in, dataset.WriterOptions{Prefix: "damaged"})
	if err != nil {
		t.Fatal(err)
	}
	bad := dataset.Sample{Key: "broken", PNG: []byte("\x89PNG\r\n\x1a\n truncated"),
		Meta: dataset.Meta{Source: "broken.png", Size: 64}}
	if err := w.AddGroup([]dataset.Sample{bad}, nil); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

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
