// Package atomicfile writes files so that a reader, or a rerun after a crash,
// sees either the old content or the whole new content, never a torn file.
//
// The content goes to a temporary file in the destination's folder, which is
// synced and then renamed over the destination; the folder is synced too, so
// the rename itself survives a power cut.
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// File is a file being written under a temporary name. Nothing is visible
// at the destination until Commit. It is not safe for concurrent use.
type File struct {
	*os.File
	dest string
	done bool
}

// Create starts writing dest. The caller must end with Commit or Abort;
// Abort after Commit does nothing, so `defer f.Abort()` is the usual pattern.
func Create(dest string) (*File, error) {
	dir, base := filepath.Split(dest)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", dest, err)
	}
	return &File{File: f, dest: dest}, nil
}

// Commit syncs the content, gives the file mode perm and renames it to its
// destination.
func (f *File) Commit(perm os.FileMode) error {
	if f.done {
		return fmt.Errorf("commit %s: already ended", f.dest)
	}
	f.done = true
	tmp := f.Name()

	// Sync before rename: otherwise a crash can leave the new name
	// pointing at blocks that were never written.
	err := f.Chmod(perm)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, f.dest)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", f.dest, err)
	}
	return SyncDir(filepath.Dir(f.dest))
}

// Abort discards what was written. It is safe to call after Commit.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.Close()
	os.Remove(f.Name())
}

// WriteFile writes data to path atomically with mode perm.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Commit(perm)
}

// SyncDir flushes a folder's entries, making earlier renames in it durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
