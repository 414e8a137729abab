package dataset

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReader feeds arbitrary bytes to the reader as a shard: it may report
// damage but must never panic, hang or allocate without bound.
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
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "x.tar"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		d, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		Verify(context.Background(), d, 1)
	})
}
