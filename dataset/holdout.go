package dataset

import "hash/fnv"

// Holdout reports whether the sample with this key belongs to a held-out
// share of the given fraction. Membership depends on the key alone, never on
// a seed or on the order of reading, so a trainer that holds faces out and a
// report that later compares against them agree without sharing any state.
func Holdout(key string, fraction float64) bool {
	if fraction <= 0 {
		return false
	}
	h := fnv.New64a()
	h.Write([]byte(key))
	u := float64(h.Sum64()>>11) / (1 << 53)
	return u < fraction
}
