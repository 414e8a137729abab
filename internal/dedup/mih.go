package dedup

import (
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
)

// chunks is the number of 16-bit substrings a Hash is cut into for
// multi-index hashing: 2^16 buckets per table keep the bucket offsets in
// the CPU cache, and a million hashes leave about 15 per bucket.
const chunks = 4

// Index finds all pairs of hashes within a Hamming radius by multi-index
// hashing (Norouzi, Punjani and Fleet, 2012): each hash is cut into four
// 16-bit substrings, each substring indexes its own table, and two hashes
// within radius r = 4q + a agree within q bits on one of the first a+1
// substrings or within q-1 bits on one of the others. Only the buckets of
// those few substring variants are read, never the whole set.
//
// An Index is immutable after NewIndex and safe for concurrent use.
type Index struct {
	hashes []Hash
	tables [chunks]table
}

// table holds the hashes sorted by one substring: bucket s is
// entries[start[s]:start[s+1]].
type table struct {
	start   []int32
	entries []entry
}

// entry keeps an id next to its hash so a bucket is read in one sweep.
type entry struct {
	h  Hash
	id int32
}

// NewIndex builds the index of hashes; the id of a hash is its position.
func NewIndex(hashes []Hash) *Index {
	ix := &Index{hashes: hashes}
	for c := range ix.tables {
		ix.tables[c] = buildTable(hashes, c)
	}
	return ix
}

func buildTable(hashes []Hash, c int) table {
	// Counting sort by substring keeps ids ascending inside each bucket.
	t := table{
		start:   make([]int32, 1<<16+1),
		entries: make([]entry, len(hashes)),
	}
	for _, h := range hashes {
		t.start[substring(h, c)+1]++
	}
	for s := 1; s < len(t.start); s++ {
		t.start[s] += t.start[s-1]
	}
	next := append([]int32(nil), t.start[:1<<16]...)
	for id, h := range hashes {
		s := substring(h, c)
		t.entries[next[s]] = entry{h, int32(id)}
		next[s]++
	}
	return t
}

func substring(h Hash, c int) uint32 { return uint32(h>>(16*uint(c))) & 0xffff }

// Pair is two ids whose hashes lie within the search radius, I < J.
type Pair struct {
	I, J int32
	D    int8
}

// Work returns the total that Pairs reports to its progress function.
func (ix *Index) Work() int { return chunks * len(ix.hashes) }

// Pairs returns every pair of hashes at Hamming distance at most radius,
// each once, searching on workers goroutines (0 means GOMAXPROCS). Pairs are
// in no particular order. Progress, when not nil, is called from any worker
// with the work done since its last call; the calls add up to Work().
//
// The search runs table by table and bucket by bucket: all the hashes of
// bucket s are the queries whose substring is s, and they share the same
// few neighbouring buckets s^mask, which stay in the CPU cache while every
// query of the bucket is checked against them. Going query by query instead
// reads each neighbouring bucket from memory once per query, which measured
// three times slower on a million random hashes (50 s against 16 s).
func (ix *Index) Pairs(radius, workers int, progress func(int)) []Pair {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	radii := chunkRadii(radius)
	masks := masksUpTo(max(radii[0], 0))

	// Hand out buckets in batches so workers finish together.
	const batch = 256
	var (
		mu  sync.Mutex
		out []Pair
		wg  sync.WaitGroup
	)
	for c := range ix.tables {
		if radii[c] < 0 {
			if progress != nil {
				progress(len(ix.hashes))
			}
			continue
		}
		var next atomic.Int32
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var local []Pair
				for {
					lo := int(next.Add(batch)) - batch
					if lo >= 1<<16 {
						break
					}
					hi := min(lo+batch, 1<<16)
					for s := lo; s < hi; s++ {
						local = ix.bucketPairs(local, c, uint32(s), radius, radii,
							masks[:countUpTo(radii[c])])
					}
					t := &ix.tables[c]
					if progress != nil {
						progress(int(t.start[hi] - t.start[lo]))
					}
				}
				mu.Lock()
				out = append(out, local...)
				mu.Unlock()
			}()
		}
		wg.Wait()
	}
	return out
}

// bucketPairs appends the pairs between the hashes of bucket s of table c
// and those of the buckets within its radius, each pair once: the smaller
// id is the query, and a pair that qualifies in an earlier table was
// reported there.
func (ix *Index) bucketPairs(out []Pair, c int, s uint32, radius int,
	radii [chunks]int, masks []uint32) []Pair {
	t := &ix.tables[c]
	queries := t.entries[t.start[s]:t.start[s+1]]
	if len(queries) == 0 {
		return out
	}
	for _, m := range masks {
		u := s ^ m
		// Both buckets are in ascending id order, so the queries with a
		// smaller id than e are a prefix that grows with e.
		p := 0
		for _, e := range t.entries[t.start[u]:t.start[u+1]] {
			for p < len(queries) && queries[p].id < e.id {
				p++
			}
			for _, q := range queries[:p] {
				d := Distance(q.h, e.h)
				if d > radius || foundEarlier(q.h, e.h, c, radii) {
					continue
				}
				out = append(out, Pair{q.id, e.id, int8(d)})
			}
		}
	}
	return out
}

// foundEarlier tells whether the pair also qualifies in a table before c,
// where it was reported already.
func foundEarlier(a, b Hash, c int, radii [chunks]int) bool {
	for e := 0; e < c; e++ {
		if bits.OnesCount32(substring(a, e)^substring(b, e)) <= radii[e] {
			return true
		}
	}
	return false
}

// chunkRadii splits radius r = 4q + a into the per-table search radii: q
// for the first a+1 tables and q-1 for the rest (-1 means skip the table).
// If every substring differed by more, the whole hash would differ by at
// least (a+1)(q+1) + (3-a)q = r+1 bits.
func chunkRadii(r int) [chunks]int {
	q, a := r/chunks, r%chunks
	var radii [chunks]int
	for c := range radii {
		radii[c] = q
		if c > a {
			radii[c] = q - 1
		}
	}
	return radii
}

// masksUpTo returns every 16-bit mask with at most r bits set, ordered by
// the number of bits, so the masks within radius d are a prefix.
func masksUpTo(r int) []uint32 {
	var out []uint32
	for d := 0; d <= r; d++ {
		for m := uint32(0); m < 1<<16; m++ {
			if bits.OnesCount32(m) == d {
				out = append(out, m)
			}
		}
	}
	return out
}

// countUpTo returns how many 16-bit masks have at most r bits set.
func countUpTo(r int) int {
	n, c := 0, 1
	for d := 0; d <= r && d <= 16; d++ {
		n += c
		c = c * (16 - d) / (d + 1)
	}
	return n
}
