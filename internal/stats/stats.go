// Package stats describes a dataset: how many faces, in which shards, of
// which sizes, from how many sources, found with which detector settings,
// and how many duplicates a dedup run removed. It also draws the faces of
// a contact sheet.
package stats

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"animeface/dataset"
)

// Stats describes a dataset. Its JSON form is the output of tools stats
// --json.
type Stats struct {
	Dir     string  `json:"dir"`
	Samples int     `json:"samples"`
	Shards  []Shard `json:"shards"`
	// Sizes counts faces per side in pixels, from the PNG headers.
	Sizes map[int]int `json:"sizes"`
	// Sources is the number of distinct source images.
	Sources int `json:"sources"`
	// FacesPerSource summarises how many faces each source gave.
	FacesPerSource Spread `json:"faces_per_source"`
	// TopSources are the sources that gave the most faces, most first.
	TopSources []SourceCount `json:"top_sources"`
	// Detectors counts faces per detector setting; imported faces have
	// none and are counted as Imported.
	Detectors []DetectorCount `json:"detectors"`
	Imported  int             `json:"imported"`
	// Dedup is set when the folder holds the dedup.json of a dedup run.
	Dedup *Dedup `json:"dedup,omitempty"`
	// Bad counts samples that could not be read.
	Bad int `json:"bad"`
}

// Shard is one shard and its sample count.
type Shard struct {
	Name    string `json:"name"`
	Samples int    `json:"samples"`
}

// Spread is the minimum, median, mean and maximum of a count.
type Spread struct {
	Min    int     `json:"min"`
	Median int     `json:"median"`
	Mean   float64 `json:"mean"`
	Max    int     `json:"max"`
}

// SourceCount is a source and its faces.
type SourceCount struct {
	Source string `json:"source"`
	Faces  int    `json:"faces"`
}

// DetectorCount is a detector setting and its faces.
type DetectorCount struct {
	dataset.Detector
	Faces int `json:"faces"`
}

// Dedup is what dedup.json says about the duplicates removed.
type Dedup struct {
	Groups  int `json:"groups"`
	Dropped int `json:"dropped"`
	Largest int `json:"largest_group"`
}

// topSources is how many sources TopSources lists.
const topSources = 5

// Hooks let a caller watch a long read: Bad receives each unreadable
// sample and Read is called after each sample; nil hooks are skipped.
type Hooks struct {
	Bad  func(error)
	Read func()
}

func (h Hooks) bad(err error) {
	if h.Bad != nil {
		h.Bad(err)
	}
}

func (h Hooks) read() {
	if h.Read != nil {
		h.Read()
	}
}

// Collect reads every sample of d (without decoding the faces) and
// describes it. Unreadable samples are counted in Bad.
func Collect(ctx context.Context, d *dataset.Dataset, h Hooks) (*Stats, error) {
	st := &Stats{Dir: d.Dir, Sizes: map[int]int{}}
	perShard := map[string]int{}
	perSource := map[string]int{}
	detectors := map[dataset.Detector]int{}
	err := d.Each(ctx, dataset.ReadOptions{Bad: func(err error) {
		st.Bad++
		h.bad(err)
	}}, func(s dataset.Sample) error {
		h.read()
		cfg, err := png.DecodeConfig(bytes.NewReader(s.PNG))
		if err != nil {
			st.Bad++
			h.bad(&dataset.SampleError{Shard: s.Shard, Key: s.Key,
				Err: fmt.Errorf("png header: %w", err)})
			return nil
		}
		st.Samples++
		perShard[s.Shard]++
		st.Sizes[max(cfg.Width, cfg.Height)]++
		perSource[s.Meta.SourceSHA256+"\x00"+s.Meta.Source]++
		if s.Meta.Detector == nil {
			st.Imported++
		} else {
			detectors[*s.Meta.Detector]++
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", d.Dir, err)
	}

	for _, name := range d.Shards {
		st.Shards = append(st.Shards, Shard{Name: name, Samples: perShard[name]})
	}
	st.Sources = len(perSource)
	st.FacesPerSource, st.TopSources = sourceSpread(perSource)
	for det, n := range detectors {
		st.Detectors = append(st.Detectors, DetectorCount{Detector: det, Faces: n})
	}
	slices.SortFunc(st.Detectors, func(a, b DetectorCount) int {
		return cmp.Compare(b.Faces, a.Faces)
	})
	st.Dedup, err = readDedup(filepath.Join(d.Dir, "dedup.json"))
	return st, err
}

func sourceSpread(perSource map[string]int) (Spread, []SourceCount) {
	var counts []SourceCount
	for k, n := range perSource {
		_, name, _ := cutNul(k)
		counts = append(counts, SourceCount{Source: name, Faces: n})
	}
	if len(counts) == 0 {
		return Spread{}, nil
	}
	slices.SortFunc(counts, func(a, b SourceCount) int {
		if c := cmp.Compare(b.Faces, a.Faces); c != 0 {
			return c
		}
		return cmp.Compare(a.Source, b.Source)
	})
	total := 0
	for _, c := range counts {
		total += c.Faces
	}
	sp := Spread{Min: counts[len(counts)-1].Faces, Max: counts[0].Faces,
		Median: counts[len(counts)/2].Faces, Mean: float64(total) / float64(len(counts))}
	return sp, counts[:min(topSources, len(counts))]
}

func cutNul(s string) (string, string, bool) {
	if i := bytes.IndexByte([]byte(s), 0); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return "", s, false
}

// readDedup summarises a dedup.json; a missing file is no error.
func readDedup(path string) (*Dedup, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var rep struct {
		Groups [][]json.RawMessage `json:"groups"`
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	d := &Dedup{Groups: len(rep.Groups)}
	for i, g := range rep.Groups {
		if len(g) < 2 {
			return nil, fmt.Errorf("%s: group %d has %d members, want 2 or more",
				path, i, len(g))
		}
		d.Dropped += len(g) - 1
		d.Largest = max(d.Largest, len(g))
	}
	return d, nil
}
