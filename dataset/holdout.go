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
	u := float64(mix(h.Sum64())>>11) / (1 << 53)
	return u < fraction
}

// mix spreads every bit of x over the high bits (the finaliser of
// MurmurHash3). FNV-1a alone leaves the high bits of short keys such as
// "0".."4999" so uneven that a fraction of 0.25 held out 36% of them.
func mix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}
