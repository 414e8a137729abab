package dedup_test

import (
	"fmt"

	"animeface/internal/dedup"
)

// Index.Pairs lists every pair of hashes within a Hamming radius, without
// comparing every pair.
func ExampleIndex_Pairs() {
	hashes := []dedup.Hash{
		0x0123456789abcdef,
		0x0123456789abcdee, // 1 bit from the first
		0xfedcba9876543210, // far from both
		0x0123456789abcd0f, // 3 bits from the first, 4 from the second
	}
	for _, p := range dedup.NewIndex(hashes).Pairs(3, 1, nil) {
		fmt.Println(p.I, p.J, p.D)
	}
	// Unordered output:
	// 0 1 1
	// 0 3 3
}
