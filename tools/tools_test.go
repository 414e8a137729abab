package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"animeface/internal/gan"
	"animeface/internal/overfit"
	"animeface/internal/testdata"
	"animeface/internal/testshards"
)

// faces writes n faces of faces-getchu-64 as a dataset and returns its
// folder.
func faces(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	files := testshards.Files(t, testdata.Path(t, "data", "faces-getchu-64"), n)
	testshards.Write(t, dir, files, 64)
	return dir
}

// TestCommandsBadInput checks that bad input gets exit status 2 (misuse)
// or 1 (failure) and one clear line on stderr, never a crash.
func TestCommandsBadInput(t *testing.T) {
	ds := faces(t, 30)
	empty := t.TempDir()
	missing := filepath.Join(t.TempDir(), "nope")
	small := t.TempDir()
	writePNG(t, filepath.Join(small, "g.png"), image.NewNRGBA(image.Rect(0, 0, 32, 32)))
	junk := t.TempDir()
	os.WriteFile(filepath.Join(junk, "a.png"), []byte("not a png"), 0o644)
	os.WriteFile(filepath.Join(junk, "bomb.png"), pngHeader(20000, 20000), 0o644)
	out := t.TempDir()

	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no command", nil, 2, "usage"},
		{"unknown command", []string{"frobnicate"}, 2, "unknown command"},
		{"dedup missing flags", []string{"dedup"}, 2, "--shards and --out are required"},
		{"dedup missing folder", []string{"dedup", "--shards", missing, "--out", out},
			1, "no such file"},
		{"dedup empty dataset", []string{"dedup", "--shards", empty, "--out", out},
			1, "no shards"},
		{"dedup into input", []string{"dedup", "--shards", ds, "--out", ds},
			1, "is the input dataset"},
		{"dedup bad threshold", []string{"dedup", "--shards", ds, "--out", out,
			"--threshold", "40"}, 2, "--threshold"},
		{"overfit both sources", []string{"overfit-report", "--shards", ds, "--out", out,
			"--run", "r", "--generated", "g"}, 2, "exactly one of"},
		{"overfit missing run", []string{"overfit-report", "--out", out, "--run", missing},
			1, "config.json: no such file"},
		{"overfit other size", []string{"overfit-report", "--shards", ds, "--out", out,
			"--generated", small}, 1, "32x32"},
		{"overfit empty dataset", []string{"overfit-report", "--shards", empty, "--out", out,
			"--generated", small}, 1, "no shards"},
		{"overfit no images", []string{"overfit-report", "--shards", ds, "--out", out,
			"--generated", junk}, 1, "no readable PNG or JPEG"},
		{"overfit missing generated", []string{"overfit-report", "--shards", ds, "--out", out,
			"--generated", missing}, 1, "no such file"},
		{"overfit holdout fraction", []string{"overfit-report", "--shards", ds, "--out", out,
			"--generated", small, "--holdout", "1.5"}, 2, "--holdout"},
		{"montage missing folder", []string{"montage", "--shards", missing,
			"--out", "x.png"}, 1, "no such file"},
		{"montage bad n", []string{"montage", "--shards", ds, "--out", "x.png",
			"--n", "0"}, 2, "--n"},
		{"stats empty dataset", []string{"stats", "--shards", empty}, 1, "no shards"},
		{"verify missing flag", []string{"verify"}, 2, "--shards is required"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stderr bytes.Buffer
			code := run(c.args, &stderr)
			if code != c.code || !strings.Contains(stderr.String(), c.want) {
				t.Errorf("exit %d, stderr %q: want exit %d and %q", code, stderr.String(),
					c.code, c.want)
			}
		})
	}
}

// TestHelpShowsExample checks that every command's -h exits 0 and shows an
// example.
func TestHelpShowsExample(t *testing.T) {
	for name := range commands {
		var stderr bytes.Buffer
		if code := run([]string{name, "-h"}, &stderr); code != 0 ||
			!strings.Contains(stderr.String(), "Example") {
			t.Errorf("%s -h: exit %d, output %q", name, code, stderr.String())
		}
	}
}

// TestVerifyCorruptShard truncates a shard and expects exit 1 with the
// damage listed.
func TestVerifyCorruptShard(t *testing.T) {
	ds := faces(t, 40)
	var stderr bytes.Buffer
	if code := run([]string{"verify", "--shards", ds}, &stderr); code != 0 {
		t.Fatalf("verify of a sound dataset: exit %d, %s", code, stderr.String())
	}
	shard := filepath.Join(ds, "faces-000000.tar")
	data, err := os.ReadFile(shard)
	if err != nil {
		t.Fatal(err)
	}
	// Damage a face's bytes in the middle of the shard.
	for i := len(data) / 2; i < len(data)/2+200; i++ {
		data[i] ^= 0x5a
	}
	if err := os.WriteFile(shard, data, 0o644); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	if code := run([]string{"verify", "--shards", ds}, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "damaged") {
		t.Errorf("verify of a damaged shard: exit %d, stderr %q", code, stderr.String())
	}
}

// TestDedupThenStats runs dedup on real faces with duplicates and reads
// its output with stats and montage.
func TestDedupThenStats(t *testing.T) {
	ds := faces(t, 300)
	out := filepath.Join(t.TempDir(), "dedup")
	var stderr bytes.Buffer
	if code := run([]string{"dedup", "--shards", ds, "--out", out}, &stderr); code != 0 {
		t.Fatalf("dedup: exit %d, %s", code, stderr.String())
	}
	for _, args := range [][]string{
		{"stats", "--shards", out, "--json"},
		{"montage", "--shards", out, "--n", "16", "--out", filepath.Join(out, "m.png")},
		{"verify", "--shards", out},
	} {
		if code := run(args, &stderr); code != 0 {
			t.Errorf("%v: exit %d, %s", args, code, stderr.String())
		}
	}
}

// TestOverfitReportFromRun trains a tiny 32×32 run on 64×64 faces with
// faces held out, reports on it with --run (the faces are scaled as the
// trainer scales them), then removes its checkpoints and expects a clear
// error.
func TestOverfitReportFromRun(t *testing.T) {
	shards := t.TempDir()
	testshards.Write(t, shards, testshards.Files(t,
		testdata.Path(t, "data", "faces-getchu-64"), 60), 64)
	runDir := filepath.Join(t.TempDir(), "run")
	o := gan.DefaultOptions()
	o.Shards, o.Out = shards, runDir
	o.Arch = gan.Arch{Size: 32, Width: 8, Latent: 16}
	o.Batch, o.Steps, o.Holdout = 8, 2, 0.2
	quiet := slog.New(slog.DiscardHandler)
	if _, err := gan.Train(context.Background(), o, quiet); err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(t.TempDir(), "report")
	var stderr bytes.Buffer
	if code := run([]string{"overfit-report", "--run", runDir, "--n", "12", "--out", out},
		&stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var h overfit.HoldoutResult
	data, err := os.ReadFile(filepath.Join(out, overfit.HoldoutName))
	if err != nil {
		t.Fatalf("the run's hold-out fraction was not used: %v", err)
	}
	if err := json.Unmarshal(data, &h); err != nil {
		t.Fatal(err)
	}
	if h.Generated != 12 || h.HeldOut == 0 || h.CTOK || h.CTNote == "" {
		t.Errorf("hold-out result %+v: want 12 generated, some held out, "+
			"C_T refused with a note", h)
	}
	if m, err := os.ReadFile(filepath.Join(out, overfit.MontageName)); err != nil {
		t.Error(err)
	} else if img, err := png.Decode(bytes.NewReader(m)); err != nil ||
		img.Bounds().Dx() != 2+12*34 || img.Bounds().Dy() != 2+6*34 {
		t.Errorf("montage %v (%v): want 12 columns and 6 rows of 32x32 faces",
			img.Bounds(), err)
	}
	for _, f := range []string{"generated/face-0011.png", overfit.MontageName,
		overfit.HTMLName, overfit.JSONName} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}

	if err := os.RemoveAll(filepath.Join(runDir, "checkpoints")); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	code := run([]string{"overfit-report", "--run", runDir, "--out", out}, &stderr)
	if code != 1 ||
		!strings.Contains(stderr.String(), "no checkpoint") {
		t.Errorf("run without checkpoints: exit %d, %q", code, stderr.String())
	}
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

// TestRunShardsRelative finds a run's dataset given relative to the folder
// train ran in, from another working folder.
func TestRunShardsRelative(t *testing.T) {
	base := t.TempDir()
	if err := os.MkdirAll(filepath.Join(base, "demo", "faces"), 0o755); err != nil {
		t.Fatal(err)
	}
	var cfg gan.RunConfig
	cfg.Options.Shards, cfg.Options.Out = "demo/faces", "demo/run"
	got, err := runShards(filepath.Join(base, "demo", "run"), cfg)
	if err != nil || got != filepath.Join(base, "demo", "faces") {
		t.Errorf("got %q, %v", got, err)
	}
	cfg.Options.Shards = "demo/missing"
	if _, err := runShards(filepath.Join(base, "demo", "run"), cfg); err == nil ||
		!strings.Contains(err.Error(), "give --shards") {
		t.Errorf("missing dataset: %v", err)
	}
}

// pngHeader returns the start of a PNG that claims width×height pixels:
// enough for a decoder to read its size, nothing to decode.
func pngHeader(width, height uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, width)
	ihdr = binary.BigEndian.AppendUint32(ihdr, height)
	ihdr = append(ihdr, 8, 2, 0, 0, 0) // 8-bit RGB
	chunk := append([]byte("IHDR"), ihdr...)
	out := []byte("\x89PNG\r\n\x1a\n")
	out = binary.BigEndian.AppendUint32(out, uint32(len(ihdr)))
	out = append(out, chunk...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(chunk))
}
