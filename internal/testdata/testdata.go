// Package testdata finds the shared test data (illustrations, faces and the
// anime-face cascade) that lives beside the repository, never inside it.
package testdata

import (
	"os"
	"path/filepath"
	"testing"
)

// Env names an environment variable that overrides where the shared data is.
const Env = "ANIMEFACE_SHARED"

// Shared returns the shared data folder: $ANIMEFACE_SHARED, or the first
// folder named "shared" beside the repository or one of its parents. The
// test fails when none holds the data: these tests are meant to run on it.
func Shared(t testing.TB) string {
	t.Helper()
	if dir := os.Getenv(Env); dir != "" {
		return dir
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		cand := filepath.Join(dir, "shared")
		if _, err := os.Stat(filepath.Join(cand, "data")); err == nil {
			return cand
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("shared test data not found above the working folder; " +
				"set " + Env)
		}
		dir = parent
	}
}

// Path joins elements onto the shared folder.
func Path(t testing.TB, elem ...string) string {
	t.Helper()
	return filepath.Join(append([]string{Shared(t)}, elem...)...)
}
