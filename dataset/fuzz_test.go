package dataset

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReader feeds arbitrary bytes to the reader as a shard and decodes
// what it yields: it may report damage but must never panic, hang or
// allocate without bound.
func FuzzReader(f *testing.F) {
	dir := f.TempDir()
	writeGroups(f, dir, WriterOptions{}, realFaces(f, 2), 1)
	valid, err := os.ReadFile(filepath.Join(dir, "faces-000000.tar"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, data []byte) {
		bad := func(error) {}
		readTar(context.Background(), "fuzz.tar", bytes.NewReader(data), bad,
			func(s Sample) error {
				if img, err := DecodePNG(s.PNG); err == nil {
					checkSample(s, img, map[string]string{})
				}
				return nil
			})
	})
}
