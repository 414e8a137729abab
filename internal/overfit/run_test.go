package overfit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"animeface/dataset"
	"animeface/internal/testdata"
	"animeface/internal/testshards"
)

// trainingSet writes the first n faces of a folder of the shared data
// (faces-getchu-64 or faces-mlds-96) as a dataset of 64×64 faces and returns
// it with its faces as stored, by key.
func trainingSet(t *testing.T, folder string, n int) (*dataset.Dataset, []string,
	map[string]*image.NRGBA) {
	t.Helper()
	dir := t.TempDir()
	files := testshards.Files(t, testdata.Path(t, "data", folder), n)
	keys := testshards.Write(t, dir, files, 64)
	ds, err := dataset.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	faces := map[string]*image.NRGBA{}
	err = dataset.DecodeImages(context.Background(), ds, dataset.ReadOptions{}, 0,
		func(s dataset.Sample, img *image.NRGBA) error {
			faces[s.Key] = img
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	return ds, keys, faces
}

// TestPlantedFacesRankFirst plants training faces among generated ones,
// exact, JPEG re-encoded and shifted a pixel, and checks each comes back
// with its original at rank 1, and that the files are written.
func TestPlantedFacesRankFirst(t *testing.T) {
	ds, keys, faces := trainingSet(t, "faces-getchu-64", 500)
	mlds := testshards.Files(t, testdata.Path(t, "data", "faces-mlds-96"), 4)

	var gen []Query
	for i, f := range mlds {
		img := readImage(t, f)
		gen = append(gen, Query{Name: fmt.Sprintf("fresh-%d", i),
			Image: testshards.Scale(img, 64)})
	}
	planted := map[string]string{}
	for _, p := range []struct {
		key   string
		alter func(*image.NRGBA) *image.NRGBA
		name  string
	}{
		{keys[17], func(m *image.NRGBA) *image.NRGBA { return m }, "exact"},
		{keys[250], jpegCopy, "jpeg"},
		{keys[444], shiftRight, "shifted"},
		{keys[499], shiftRight, "shifted-last"},
	} {
		name := p.name + "-" + p.key
		planted[name] = p.key
		gen = append(gen, Query{Name: name, Image: p.alter(faces[p.key])})
	}

	rep, err := Run(context.Background(), Config{Train: ds, Generated: gen, K: 5})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Training != len(keys) {
		t.Errorf("searched %d training faces, want %d", rep.Training, len(keys))
	}
	for _, q := range rep.Queries {
		if len(q.Neighbours) != 5 {
			t.Fatalf("%s: %d neighbours, want 5", q.Name, len(q.Neighbours))
		}
		for i := 1; i < len(q.Neighbours); i++ {
			if q.Neighbours[i].MSE < q.Neighbours[i-1].MSE {
				t.Errorf("%s: neighbours not nearest first", q.Name)
			}
		}
		if key, ok := planted[q.Name]; ok && q.Neighbours[0].Key != key {
			t.Errorf("%s: rank 1 is %s (MSE %.4f), want %s", q.Name,
				q.Neighbours[0].Key, q.Neighbours[0].MSE, key)
		}
		if q.Neighbours[0].Image == nil || q.Neighbours[0].Source == "" {
			t.Errorf("%s: rank 1 lacks its image or source", q.Name)
		}
	}

	out := t.TempDir()
	if err := Write(out, rep); err != nil {
		t.Fatal(err)
	}
	var js struct {
		Queries []struct {
			Image      string `json:"image"`
			Neighbours []struct {
				Key    string  `json:"key"`
				Source string  `json:"source"`
				MSE    float64 `json:"mse"`
			} `json:"neighbours"`
		} `json:"queries"`
	}
	data, err := os.ReadFile(filepath.Join(out, JSONName))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&js); err != nil {
		t.Fatalf("report.json: %v", err)
	}
	if len(js.Queries) != len(gen) || js.Queries[4].Neighbours[0].Key != keys[17] {
		t.Errorf("report.json does not match the report")
	}
	m := Montage(rep)
	if want := 2 + len(gen)*66; m.Rect.Dx() != want || m.Rect.Dy() != 2+6*66 {
		t.Errorf("montage is %v, want %dx%d", m.Rect.Size(), want, 2+6*66)
	}
	for _, f := range []string{MontageName, HTMLName} {
		if fi, err := os.Stat(filepath.Join(out, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s not written: %v", f, err)
		}
	}
}

// TestHoldoutStatistics holds a quarter of the faces out and checks both
// statistics on a copying generator (JPEG copies of training faces) against
// new faces of the same kind. It uses faces-mlds-96, nearly free of
// duplicates: in faces-getchu-64 a fifth of the faces have a duplicate, so
// many held-out faces have an exact copy among the training faces, the 1%
// quantile of their distances is 0, and no generated face can be closer.
func TestHoldoutStatistics(t *testing.T) {
	ds, keys, faces := trainingSet(t, "faces-mlds-96", 800)
	const frac = 0.25
	var copies, fresh []Query
	for _, k := range keys {
		if !dataset.Holdout(k, frac) && len(copies) < 60 {
			copies = append(copies, Query{Name: k, Image: jpegCopy(faces[k])})
		}
	}
	unseen := testshards.Files(t, testdata.Path(t, "data", "faces-mlds-96"), 0)[1900:1960]
	for _, f := range unseen {
		fresh = append(fresh, Query{Name: filepath.Base(f),
			Image: testshards.Scale(readImage(t, f), 64)})
	}

	results := map[string]*HoldoutResult{}
	// A generator that copies a third of its faces.
	mixed := append(slices.Clone(copies[:20]), fresh[:40]...)
	for name, gen := range map[string][]Query{"copies": copies, "fresh": fresh,
		"mixed": mixed} {
		rep, err := Run(context.Background(), Config{Train: ds, Generated: gen, K: 1,
			HoldoutFraction: frac, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		h := rep.Holdout
		if h == nil || !h.CTOK {
			t.Fatalf("%s: no hold-out statistics: %+v", name, h)
		}
		t.Logf("%s: %d training, %d held out: closer share %.3f, C_T %.2f",
			name, rep.Training, h.HeldOut, h.CloserShare, h.CT)
		if h.CloserNote != "" {
			t.Errorf("%s: duplicate note on a set nearly free of duplicates", name)
		}
		if rep.Training+h.HeldOut != len(keys) {
			t.Errorf("%s: %d training + %d held out != %d faces", name,
				rep.Training, h.HeldOut, len(keys))
		}
		results[name] = h
	}
	if c := results["copies"]; c.CloserShare < 0.9 || c.CT > -3 {
		t.Errorf("copies: closer share %.3f, C_T %.2f: want > 0.9 and < -3",
			c.CloserShare, c.CT)
	}
	if f := results["fresh"]; f.CloserShare > 0.2 || f.CT < -3 {
		t.Errorf("fresh faces: closer share %.3f, C_T %.2f: want < 0.2 and > -3",
			f.CloserShare, f.CT)
	}
	c, f, m := results["copies"], results["fresh"], results["mixed"]
	if m.CloserShare < 0.25 || m.CT >= f.CT || m.CT <= c.CT {
		t.Errorf("a third copied: closer share %.3f, C_T %.2f: want > 0.25 and "+
			"C_T between the copies' and the fresh faces'", m.CloserShare, m.CT)
	}
}

func TestRunRefusesOtherSizes(t *testing.T) {
	ds, _, _ := trainingSet(t, "faces-getchu-64", 20)
	small := image.NewNRGBA(image.Rect(0, 0, 32, 32))
	_, err := Run(context.Background(), Config{Train: ds, K: 5,
		Generated: []Query{{Name: "small.png", Image: small}}})
	if !errors.Is(err, ErrSize) {
		t.Fatalf("32x32 against 64x64 faces: got %v, want ErrSize", err)
	}
}

func readImage(t *testing.T, path string) image.Image {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func jpegCopy(m *image.NRGBA) *image.NRGBA {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 75}); err != nil {
		panic(err)
	}
	img, err := jpeg.Decode(&buf)
	if err != nil {
		panic(err)
	}
	return dataset.ToNRGBA(img)
}

// shiftRight moves the face one pixel right, repeating its left column.
func shiftRight(m *image.NRGBA) *image.NRGBA {
	out := image.NewNRGBA(m.Rect)
	for y := 0; y < m.Rect.Dy(); y++ {
		for x := 0; x < m.Rect.Dx(); x++ {
			out.Set(x, y, m.At(max(x-1, 0), y))
		}
	}
	return out
}

// TestRunSkipsDamagedFaces adds a training sample whose PNG is damaged:
// the report counts it and goes on.
func TestRunSkipsDamagedFaces(t *testing.T) {
	ds, keys, faces := trainingSet(t, "faces-getchu-64", 20)
	testshards.AddBroken(t, ds.Dir)
	ds, err := dataset.Open(ds.Dir)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), Config{Train: ds, K: 3,
		Generated: []Query{{Name: "copy", Image: faces[keys[5]]}}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Bad != 1 || rep.Training != 20 || rep.Queries[0].Neighbours[0].Key != keys[5] {
		t.Errorf("bad %d, training %d, rank 1 %s: want 1, 20, %s", rep.Bad,
			rep.Training, rep.Queries[0].Neighbours[0].Key, keys[5])
	}
}

// TestHoldoutDuplicatesNote holds out a quarter of faces-getchu-64, where a
// fifth of the faces have a duplicate: the report must warn that the 1%
// threshold is meaningless.
func TestHoldoutDuplicatesNote(t *testing.T) {
	ds, keys, faces := trainingSet(t, "faces-getchu-64", 800)
	rep, err := Run(context.Background(), Config{Train: ds, K: 1, HoldoutFraction: 0.25,
		Generated: []Query{{Name: "g", Image: faces[keys[0]]}}})
	if err != nil {
		t.Fatal(err)
	}
	if h := rep.Holdout; h == nil || h.CloserNote == "" || h.Threshold >= duplicateMSE {
		t.Errorf("no duplicate note: %+v", h)
	}
}
