package nn

import (
	"sync"
	"testing"
)

// TestSplit checks that split covers [0, n) exactly once, in pieces of
// at least the minimum size but the last, whatever n and the minimum.
func TestSplit(t *testing.T) {
	for n := 0; n <= 70; n++ {
		for least := 1; least <= 20; least++ {
			var mu sync.Mutex
			seen := make([]int, n)
			split(n, least, func(lo, hi int) {
				mu.Lock()
				defer mu.Unlock()
				if lo > hi || hi > n {
					t.Fatalf("split(%d, %d): piece [%d, %d)", n, least, lo, hi)
				}
				for i := lo; i < hi; i++ {
					seen[i]++
				}
			})
			for i, k := range seen {
				if k != 1 {
					t.Fatalf("split(%d, %d): item %d covered %d times", n, least, i, k)
				}
			}
		}
	}
}
