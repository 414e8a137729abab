package gan

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"animeface/dataset"
	"animeface/internal/testdata"
	"animeface/internal/testshards"
)

// writeFaces writes the first n faces of the shared 64×64 getchu set as a
// shard folder and returns it. Each of extra becomes one more sample with
// those bytes as its PNG, in a shard of its own, for damaged-input cases.
func writeFaces(t testing.TB, n int, extra ...[]byte) string {
	t.Helper()
	dir := t.TempDir()
	testshards.Write(t, dir,
		testshards.Files(t, testdata.Path(t, "data", "faces-getchu-64"), n), 64)
	if len(extra) == 0 {
		return dir
	}

	w, err := dataset.NewWriter(dir, dataset.WriterOptions{Prefix: "damaged"})
	if err != nil {
		t.Fatal(err)
	}
	for i, data := range extra {
		s := dataset.Sample{Key: fmt.Sprintf("damaged%d", i), PNG: data,
			Meta: dataset.Meta{Source: "damaged.png", Size: 64}}
		if err := w.AddGroup([]dataset.Sample{s}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
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
