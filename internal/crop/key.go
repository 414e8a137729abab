package crop

import (
	"fmt"
	"hash/fnv"
	"strings"
)

// Key returns the sample key of face number n of the source at rel: the
// tail of the path with every character but letters, digits, '-' and '_'
// turned into '_', then a hash of the whole path (so paths that clean up
// alike stay apart), then n. The same path always gives the same key, and
// a key never holds a dot, as WebDataset requires.
func Key(rel string, n int) string {
	const tail = 40
	var b strings.Builder
	for _, r := range rel {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9',
			r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := b.String()
	if len(s) > tail {
		s = s[len(s)-tail:]
	}
	return fmt.Sprintf("%s-%010x-%d", s, hashPath(rel)>>24, n)
}

func hashPath(rel string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(rel))
	return h.Sum64()
}

// Part is a share of the sources for one of several machines: number I of
// N, counting from 0. The zero value means all sources.
type Part struct{ I, N int }

// ParsePart parses "i/n" with 0 <= i < n.
func ParsePart(s string) (Part, error) {
	var p Part
	if _, err := fmt.Sscanf(s, "%d/%d", &p.I, &p.N); err != nil ||
		p.N < 1 || p.I < 0 || p.I >= p.N || fmt.Sprintf("%d/%d", p.I, p.N) != s {
		return Part{}, fmt.Errorf("part %q: want i/n with 0 <= i < n, such as 0/4", s)
	}
	return p, nil
}

// Has reports whether the source at rel belongs to the part, by a hash of
// rel: every machine given the same folder agrees on the split.
func (p Part) Has(rel string) bool {
	return p.N <= 1 || hashPath(rel)%uint64(p.N) == uint64(p.I)
}

// Prefix returns the shard prefix for the part: base for the whole,
// "BASE-partI-ofN" for a part, so parts never write the same shard name.
func (p Part) Prefix(base string) string {
	if p.N <= 1 {
		return base
	}
	return fmt.Sprintf("%s-part%d-of%d", base, p.I, p.N)
}
