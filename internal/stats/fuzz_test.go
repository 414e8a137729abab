package stats

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadDedup feeds readDedup arbitrary dedup.json content: it must
// return an error or a summary whose counts agree, never panic.
func FuzzReadDedup(f *testing.F) {
	f.Add([]byte(`{"groups": [[{"key":"a","source":"x"},{"key":"b","source":"y"}]]}`))
	f.Add([]byte(`{"groups": []}`))
	f.Add([]byte(`{"groups": [[]]}`))
	f.Add([]byte(`[1, 2`))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "dedup.json")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		d, err := readDedup(path)
		if err != nil || d == nil {
			return
		}
		if d.Dropped < d.Groups || d.Largest > d.Dropped+1 ||
			d.Groups > 0 && d.Largest < 2 {
			t.Errorf("inconsistent summary %+v", d)
		}
	})
}
