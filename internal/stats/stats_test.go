package stats

import (
	"context"
	"image"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"animeface/dataset"
	"animeface/internal/testdata"
	"animeface/internal/testshards"
)

func TestCollect(t *testing.T) {
	dir := t.TempDir()
	files := testshards.Files(t, testdata.Path(t, "data", "faces-getchu-64"), 30)
	testshards.Write(t, dir, files, 64)

	// Three more faces cut from one source by a detector, 32×32.
	w, err := dataset.NewWriter(dir, dataset.WriterOptions{Prefix: "detected"})
	if err != nil {
		t.Fatal(err)
	}
	det := &dataset.Detector{Name: "animeface", ScaleFactor: 1.1, MinNeighbors: 5, MinFace: 24}
	var group []dataset.Sample
	for i, key := range []string{"scene-0", "scene-1", "scene-2"} {
		s, err := testshards.Sample(image.NewNRGBA(image.Rect(0, 0, 10+i, 10)), 32)
		if err != nil {
			t.Fatal(err)
		}
		s.Key = key
		s.Meta.Source, s.Meta.SourceSHA256, s.Meta.Detector = "scene.png", "abc", det
		group = append(group, s)
	}
	if err := w.AddGroup(group, nil); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	dedupJSON := `{"groups": [[{"key":"a","source":"x"},{"key":"b","source":"y"},` +
		`{"key":"c","source":"z"}], [{"key":"d","source":"x"},{"key":"e","source":"w"}]]}`
	err = os.WriteFile(filepath.Join(dir, "dedup.json"), []byte(dedupJSON), 0o644)
	if err != nil {
		t.Fatal(err)
	}

	d, err := dataset.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := Collect(context.Background(), d, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{Samples: 33, Sources: 31, Imported: 30,
		Sizes: map[int]int{64: 30, 32: 3}}
	if st.Samples != want.Samples || st.Sources != want.Sources ||
		st.Imported != want.Imported || st.Sizes[64] != 30 || st.Sizes[32] != 3 {
		t.Errorf("got %+v", st)
	}
	if len(st.Shards) != 2 || st.Shards[0].Samples != 3 || st.Shards[1].Samples != 30 {
		t.Errorf("shards %+v", st.Shards)
	}
	if st.FacesPerSource.Max != 3 || st.TopSources[0] != (SourceCount{"scene.png", 3}) {
		t.Errorf("faces per source %+v, top %+v", st.FacesPerSource, st.TopSources)
	}
	if len(st.Detectors) != 1 || st.Detectors[0].Detector != *det ||
		st.Detectors[0].Faces != 3 {
		t.Errorf("detectors %+v", st.Detectors)
	}
	if st.Dedup == nil || *st.Dedup != (Dedup{Groups: 2, Dropped: 3, Largest: 3}) {
		t.Errorf("dedup %+v", st.Dedup)
	}
}

func TestPick(t *testing.T) {
	dir := t.TempDir()
	files := testshards.Files(t, testdata.Path(t, "data", "faces-getchu-64"), 50)
	testshards.Write(t, dir, files, 64)
	d, err := dataset.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	pick := func(n int, seed uint64, first bool) []image.Image {
		faces, err := Pick(context.Background(), d, n, seed, first, Hooks{})
		if err != nil {
			t.Fatal(err)
		}
		return faces
	}
	same := func(a, b []image.Image) bool {
		return slices.EqualFunc(a, b, func(x, y image.Image) bool {
			return slices.Equal(x.(*image.NRGBA).Pix, y.(*image.NRGBA).Pix)
		})
	}
	if got := pick(10, 1, false); len(got) != 10 || !same(got, pick(10, 1, false)) {
		t.Error("the same seed drew a different sample")
	}
	if same(pick(10, 1, false), pick(10, 2, false)) {
		t.Error("two seeds drew the same sample")
	}
	all := pick(50, 0, true)
	if !same(pick(7, 0, true), all[:7]) {
		t.Error("--first is not the first faces in reading order")
	}
	if got := pick(80, 1, false); len(got) != 50 {
		t.Errorf("asked 80 of 50 faces, got %d", len(got))
	}
}
