// Package dedup finds exact and near-duplicate faces in a dataset and
// writes the dataset again without them.
//
// Exact duplicates share their decoded pixels, or the same crop of the same
// source bytes. Near duplicates have 64-bit difference hashes (DHash) within
// a Hamming radius, found with a multi-index hash table (Index) rather than
// by comparing every pair, and optionally confirmed by the mean squared
// error of small colour thumbnails. Duplicates are grouped with union-find,
// so a chain of near duplicates makes one group, and one face per group is
// kept (see Finder).
package dedup
