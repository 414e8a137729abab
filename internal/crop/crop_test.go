package crop

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"animeface/dataset"
	"animeface/internal/testdata"
)

// renpy is where Debian's renpy-demo and renpy-thequestion install their
// illustrations (.ci/setup installs them).
const renpy = "/usr/share/games/renpy"

func testOptions(t *testing.T, in, out string) Options {
	t.Helper()
	t.Setenv("ANIMEFACE_CASCADES", testdata.Path(t, "cascades"))
	o := DefaultOptions()
	o.In, o.Out = in, out
	return o
}

// readDataset returns every sample of the dataset in dir by key.
func readDataset(t *testing.T, dir string) map[string]dataset.Sample {
	t.Helper()
	d, err := dataset.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]dataset.Sample{}
	err = d.Each(context.Background(), dataset.ReadOptions{}, func(s dataset.Sample) error {
		if _, dup := got[s.Key]; dup {
			t.Errorf("sample %s written twice", s.Key)
		}
		got[s.Key] = s
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestRenpyMatchesReference crops the renpy illustrations at --min-face 24
// and compares every box with those of the reference Python pipeline
// (cv2.imread, equalizeHist, detectMultiScale(1.1, 5, 24×24); made by
// crop/bench/pyloop.py --boxes): 30 faces in 24 files.
func TestRenpyMatchesReference(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "renpy-reference-boxes.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref map[string][][4]int
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}

	o := testOptions(t, renpy, t.TempDir())
	o.MinFace = 24
	sum, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Faces != 30 || sum.WithFaces != 24 || len(sum.Bad) != 0 {
		t.Errorf("summary %+v, want 30 faces from 24 files and no bad file", sum)
	}

	got := map[string][][4]int{}
	for _, s := range readDataset(t, o.Out) {
		got[s.Meta.Source] = append(got[s.Meta.Source], s.Meta.Box)
	}
	for src, boxes := range ref {
		slices.SortFunc(boxes, cmpBox)
		g := got[src]
		slices.SortFunc(g, cmpBox)
		if !slices.Equal(g, boxes) {
			t.Errorf("%s: boxes %v, reference %v", src, g, boxes)
		}
	}
	for src := range got {
		if ref[src] == nil {
			t.Errorf("%s: faces %v where the reference finds none", src, got[src])
		}
	}
}

func cmpBox(a, b [4]int) int { return slices.Compare(a[:], b[:]) }
