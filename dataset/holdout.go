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

// mix spreads every input bit over the high bits (the splitmix64
// finaliser): FNV's high bits barely change with a key's last bytes, so
// keys sharing a prefix would otherwise fall in or out together.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}
