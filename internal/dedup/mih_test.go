package dedup

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestPairsMatchesScan compares the index with a plain scan over every pair,
// on random hashes with planted neighbours at every distance up to the
// radius and beyond.
func TestPairsMatchesScan(t *testing.T) {
	for _, radius := range []int{0, 1, 3, 4, 7, 10, 13} {
		t.Run(fmt.Sprint("radius", radius), func(t *testing.T) {
			hashes := plantedHashes(2000, uint64(radius))
			got := NewIndex(hashes).Pairs(radius, 2, nil)
			want := scanPairs(hashes, radius)
			sortPairs(got)
			if !slices.Equal(got, want) {
				t.Fatalf("index found %d pairs, scan %d", len(got), len(want))
			}
			if len(want) < 100 && radius > 0 {
				t.Fatalf("only %d pairs planted within radius %d", len(want), radius)
			}
		})
	}
}

func TestChunkRadiiCoverRadius(t *testing.T) {
	for r := 0; r <= 40; r++ {
		radii := chunkRadii(r)
		// The smallest distance that escapes every table must exceed r.
		escape := 0
		for _, q := range radii {
			escape += q + 1
		}
		if escape != r+1 {
			t.Errorf("radius %d: radii %v let a pair at distance %d escape", r, radii, escape)
		}
	}
}

// plantedHashes returns n random hashes where every other one is a copy of
// its predecessor with d random bits flipped, d cycling from 0 to 2r+1.
func plantedHashes(n int, seed uint64) []Hash {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]Hash, n)
	maxFlip := 2*int(seed) + 2
	for i := range out {
		if i%2 == 1 {
			h := out[i-1]
			for _, b := range rng.Perm(64)[:i/2%maxFlip] {
				h ^= 1 << uint(b)
			}
			out[i] = h
			continue
		}
		out[i] = Hash(rng.Uint64())
	}
	return out
}

func scanPairs(hashes []Hash, radius int) []Pair {
	var out []Pair
	for i := range hashes {
		for j := i + 1; j < len(hashes); j++ {
			if d := Distance(hashes[i], hashes[j]); d <= radius {
				out = append(out, Pair{int32(i), int32(j), int8(d)})
			}
		}
	}
	return out
}

func sortPairs(p []Pair) {
	slices.SortFunc(p, func(a, b Pair) int {
		if a.I != b.I {
			return int(a.I - b.I)
		}
		return int(a.J - b.J)
	})
}

// BenchmarkPairsMillion searches a million hashes at the default radius:
// uniform random hashes, and hashes clustered like a dataset with many
// near duplicates (groups of 8 within a few bits of a random centre).
func BenchmarkPairsMillion(b *testing.B) {
	const n = 1_000_000
	rng := rand.New(rand.NewPCG(1, 2))
	uniform := make([]Hash, n)
	clustered := make([]Hash, n)
	for i := range uniform {
		uniform[i] = Hash(rng.Uint64())
		if i%8 == 0 {
			clustered[i] = Hash(rng.Uint64())
			continue
		}
		h := clustered[i-i%8]
		for range rng.IntN(6) {
			h ^= 1 << uint(rng.IntN(64))
		}
		clustered[i] = h
	}
	for _, c := range []struct {
		name   string
		hashes []Hash
	}{{"uniform", uniform}, {"clustered", clustered}} {
		for _, radius := range []int{10, 12} {
			b.Run(fmt.Sprintf("%s-r%d", c.name, radius), func(b *testing.B) {
				var pairs int
				for b.Loop() {
					pairs = len(NewIndex(c.hashes).Pairs(radius, 0, nil))
				}
				b.ReportMetric(float64(pairs), "pairs")
			})
		}
	}
}
