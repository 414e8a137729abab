// Package testshards writes small datasets of real faces for tests: image
// files from the shared test data, scaled to a face size and stored with
// the dataset writer as an import would.
package testshards

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	_ "image/jpeg" // the shared faces are JPEG
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/draw"

	"animeface/dataset"
)

// Write stores the faces in files (any format the image package decodes,
// JPEG and PNG registered) as a dataset in dir, each scaled to size×size,
// keyed by its file name without extension, with its path as source. It
// returns the keys in order.
func Write(t testing.TB, dir string, files []string, size int) []string {
	t.Helper()
	w, err := dataset.NewWriter(dir, dataset.WriterOptions{ShardSize: 500})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		img, _, err := image.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("decode %s: %v", f, err)
		}
		s, err := Sample(img, size)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		b := img.Bounds()
		s.Key = strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))
		s.Meta.Source = filepath.Base(f)
		s.Meta.SourceSHA256 = hex.EncodeToString(sum[:])
		s.Meta.Box = [4]int{0, 0, b.Dx(), b.Dy()}
		s.Meta.Crop = s.Meta.Box
		if err := w.AddGroup([]dataset.Sample{s}, nil); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, s.Key)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return keys
}

// Sample returns img scaled to size×size as a sample with its PNG and size
// set.
func Sample(img image.Image, size int) (dataset.Sample, error) {
	face := Scale(img, size)
	var buf bytes.Buffer
	if err := png.Encode(&buf, face); err != nil {
		return dataset.Sample{}, fmt.Errorf("encode face: %w", err)
	}
	return dataset.Sample{PNG: buf.Bytes(), Meta: dataset.Meta{Size: size}}, nil
}

// Scale returns img scaled to size×size with Catmull-Rom.
func Scale(img image.Image, size int) *image.NRGBA {
	out := image.NewNRGBA(image.Rect(0, 0, size, size))
	draw.CatmullRom.Scale(out, out.Bounds(), img, img.Bounds(), draw.Src, nil)
	return out
}

// Files returns the paths of the first n files (all when n <= 0) of a
// folder of the shared data, in name order.
func Files(t testing.TB, dir string, n int) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if !e.IsDir() {
			out = append(out, filepath.Join(dir, e.Name()))
		}
		if n > 0 && len(out) == n {
			break
		}
	}
	return out
}

// AddBroken adds to the dataset in dir a shard of its own holding one sample,
// keyed "broken", whose PNG is cut short after its signature: a face that
// every reader must count and skip.
func AddBroken(t testing.TB, dir string) {
	t.Helper()
	w, err := dataset.NewWriter(dir, dataset.WriterOptions{Prefix: "damaged"})
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
}
