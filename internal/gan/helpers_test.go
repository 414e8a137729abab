package gan

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"animeface/dataset"
	"animeface/internal/testdata"
)

// writeFaces writes the first n faces of the shared 64×64 getchu set as a
// shard folder and returns it. Extra samples with these PNG bytes are added
// after them, for damaged-input cases.
func writeFaces(t testing.TB, n int, extra ...[]byte) string {
	t.Helper()
	src := testdata.Path(t, "data", "faces-getchu-64")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	if len(names) < n {
		t.Fatalf("%s has %d faces, want %d", src, len(names), n)
	}

	dir := t.TempDir()
	w, err := dataset.NewWriter(dir, dataset.WriterOptions{ShardSize: 25})
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range names[:n] {
		f, err := os.Open(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		img, err := jpeg.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		addFace(t, w, i, buf.Bytes(), img.Bounds())
	}
	for i, data := range extra {
		addFace(t, w, n+i, data, image.Rect(0, 0, 64, 64))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func addFace(t testing.TB, w *dataset.Writer, i int, data []byte, r image.Rectangle) {
	t.Helper()
	key := "face" + string(rune('a'+i/26/26%26)) + string(rune('a'+i/26%26)) +
		string(rune('a'+i%26))
	s := dataset.Sample{Key: key, PNG: data, Meta: dataset.Meta{
		Source: key + ".jpg", Box: [4]int{0, 0, r.Dx(), r.Dy()},
		Crop: [4]int{0, 0, r.Dx(), r.Dy()}, Size: r.Dx()}}
	if err := w.AddGroup([]dataset.Sample{s}, nil); err != nil {
		t.Fatal(err)
	}
}

// testOptions is a model small enough to train in a test: 32×32 faces,
// 8 channels, batches of 8.
func testOptions(shards, out string) Options {
	o := DefaultOptions()
	o.Shards, o.Out = shards, out
	o.Arch = Arch{Size: 32, Width: 8, Latent: 16}
	o.Batch = 8
	o.Steps = 6
	o.SampleEvery = 3
	o.CheckpointEvery = 3
	return o
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func mustTrain(t testing.TB, o Options) Summary {
	t.Helper()
	sum, err := Train(context.Background(), o, quietLog())
	if err != nil {
		t.Fatalf("train: %v", err)
	}
	return sum
}
