package crop

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"testing"

	"animeface/dataset"
	"animeface/internal/imagefile"
	"animeface/internal/imagefile/imagefiletest"
	"animeface/internal/testdata"
)

// linkFirst links the first n files of a shared face folder into dir.
func linkFirst(t *testing.T, dir, folder string, n int) []string {
	t.Helper()
	entries, err := os.ReadDir(testdata.Path(t, "data", folder))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries[:n] {
		src := testdata.Path(t, "data", folder, e.Name())
		if err := os.Symlink(src, filepath.Join(dir, folder+"-"+e.Name())); err != nil {
			t.Fatal(err)
		}
		names = append(names, src)
	}
	return names
}

func TestImport(t *testing.T) {
	in := t.TempDir()
	getchu := linkFirst(t, in, "faces-getchu-64", 150)
	linkFirst(t, in, "faces-mlds-96", 50)
	if _, err := imagefiletest.WriteBad(in); err != nil {
		t.Fatal(err)
	}

	o := Job{In: in, Out: t.TempDir(), Size: 64, ShardSize: 64}
	sum, err := Import(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	wantBad := map[string]int{"empty": 1, "truncated": 2, "too-large": 1}
	if sum.Faces != 200 || sum.NotImages != 1 || fmt.Sprint(sum.Bad) != fmt.Sprint(wantBad) {
		t.Errorf("summary %+v: want 200 faces, 1 non-image, bad %v", sum, wantBad)
	}

	samples := readDataset(t, o.Out)
	if len(samples) != 200 {
		t.Fatalf("%d samples, want 200", len(samples))
	}
	for _, s := range samples {
		img, err := dataset.DecodePNG(s.PNG)
		if err != nil || img.Rect != image.Rect(0, 0, 64, 64) || s.Meta.Detector != nil {
			t.Fatalf("sample %s: %v, %v, detector %v", s.Key, img.Rect, err, s.Meta.Detector)
		}
	}

	// A 64-pixel face goes in unchanged: its pixels are the JPEG's.
	data, err := os.ReadFile(getchu[0])
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := imagefile.Decode(data, 0)
	if err != nil {
		t.Fatal(err)
	}
	s := samples[Key(ImportPrefix+"/faces-getchu-64-"+filepath.Base(getchu[0]), 0)]
	got, err := dataset.DecodePNG(s.PNG)
	if err != nil || !bytes.Equal(got.Pix, want.Pix) {
		t.Errorf("imported 64-pixel face differs from its source (%v)", err)
	}
}
