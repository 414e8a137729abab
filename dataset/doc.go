// Package dataset reads and writes face datasets as WebDataset shards.
//
// A dataset is a folder of tar files ("shards"). Each sample in a shard is
// two adjacent members that share a key: KEY.png, the face, and KEY.json,
// its Meta. The key is the member name up to its first dot, so a key never
// holds a dot (nor a slash, to keep every sample at the top of the tar).
// Python's webdataset and tarfile read the shards as they are.
//
// Shards are written under a temporary name, synced, recorded in a journal
// (PREFIX.index.jsonl) and only then renamed, so a run killed at any moment
// leaves every shard either whole or absent, and the journal says which
// records (for example, which source images) the whole shards hold. A
// rerun opens the same journal and learns what is already done.
//
// Readers take every *.tar in the folder in name order, so several writers
// with distinct prefixes (one per machine) make up one dataset.
package dataset
