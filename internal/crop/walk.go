package crop

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"syscall"
)

// Source is one file found under the input folder.
type Source struct {
	Rel  string // path relative to the input folder, with forward slashes
	Path string // path to open
}

// Walk lists the regular files under root, in a fixed order (each folder's
// entries sorted by name). It follows symbolic links but enters every real
// folder once, so links that loop back, or that point to a folder already
// seen, end the descent there. Unreadable folders are reported through
// skipped and passed over.
func Walk(root string, skipped func(rel string, err error)) ([]Source, error) {
	st, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("input folder: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("input folder %s: not a folder", root)
	}
	w := walker{seen: map[fileID]bool{}, skipped: skipped}
	w.dir(root, "", st)
	return w.sources, nil
}

type fileID struct{ dev, ino uint64 }

type walker struct {
	seen    map[fileID]bool
	sources []Source
	skipped func(string, error)
}

func (w *walker) dir(dirPath, rel string, st fs.FileInfo) {
	if id, ok := idOf(st); ok {
		if w.seen[id] {
			return
		}
		w.seen[id] = true
	}
	entries, err := os.ReadDir(dirPath)
	if err != nil {
		w.skipped(rel, err)
		return
	}
	for _, e := range entries {
		p := filepath.Join(dirPath, e.Name())
		r := path.Join(rel, e.Name())

		// Stat follows links: a link counts as what it points to.
		st, err := os.Stat(p)
		if err != nil {
			w.skipped(r, err)
			continue
		}
		switch {
		case st.IsDir():
			w.dir(p, r, st)
		case st.Mode().IsRegular():
			w.sources = append(w.sources, Source{Rel: r, Path: p})
		}
	}
}

func idOf(st fs.FileInfo) (fileID, bool) {
	s, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{uint64(s.Dev), uint64(s.Ino)}, true
}
