package dedup

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"animeface/internal/testdata"
)

// TestGetchuDuplicates searches faces-getchu-64, which holds real
// duplicates, and checks that every set of byte-identical files ends up in
// one group. It logs what it finds there.
func TestGetchuDuplicates(t *testing.T) {
	dir := testdata.Path(t, "data", "faces-getchu-64")
	names, err := filepath.Glob(filepath.Join(dir, "*.jpg"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no faces in %s: %v", dir, err)
	}
	slices.Sort(names)

	f := NewFinder(Options{Threshold: DefaultThreshold, ConfirmMSE: DefaultConfirmMSE})
	byBytes := map[string][]int{}
	for i, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		sha := hex.EncodeToString(sum[:])
		byBytes[sha] = append(byBytes[sha], i)
		f.Add(Face{Key: filepath.Base(name), Source: name, SourceSHA256: sha},
			readFace(t, name))
	}
	res := f.Find(nil)

	group := make([]int, len(names))
	for i := range group {
		group[i] = -1
	}
	grouped, biggest := 0, 0
	for g, members := range res.Groups {
		grouped += len(members)
		biggest = max(biggest, len(members))
		for _, i := range members {
			group[i] = g
		}
	}
	identical := 0
	for _, ids := range byBytes {
		if len(ids) < 2 {
			continue
		}
		identical++
		for _, i := range ids[1:] {
			if group[i] < 0 || group[i] != group[ids[0]] {
				t.Errorf("byte-identical %s and %s not grouped",
					filepath.Base(names[ids[0]]), filepath.Base(names[i]))
			}
		}
	}
	t.Logf("%d faces: %d sets of byte-identical files; %d groups holding %d faces "+
		"(largest %d), %d would be dropped; pairs: %d exact, %d near, %d refused",
		len(names), identical, len(res.Groups), grouped, biggest,
		grouped-len(res.Groups), res.ExactPairs, res.NearPairs, res.Refused)
	if identical == 0 {
		t.Error("found no byte-identical files, yet the set is known to hold some")
	}
}
