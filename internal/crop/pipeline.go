package crop

import (
	"context"
	"fmt"
	"log/slog"
	"path"
	"strings"
	"sync"

	"animeface/dataset"
	"animeface/internal/imagefile"
	"animeface/internal/progress"
)

// Record is the journal entry of one source: what became of it. A rerun
// skips every source that has a committed record.
type Record struct {
	Source string `json:"source"`
	SHA256 string `json:"sha256,omitempty"`
	Faces  int    `json:"faces"`
	// Skipped says why the source gave nothing: one of imagefile.Reason's
	// words ("not-image", "truncated", ...).
	Skipped string `json:"skipped,omitempty"`
	// Error is the reader's message for a skipped source.
	Error string `json:"error,omitempty"`
	// Rejected are the faces found but not written, with why.
	Rejected []Rejected `json:"rejected,omitempty"`
	// Settings are those that shape the faces (detector, margin, size).
	Settings string `json:"settings,omitempty"`
}

// Rejected is a face found but not written.
type Rejected struct {
	Box    [4]int `json:"box"` // as detected: [x, y, w, h] in source pixels
	Reason string `json:"reason"`
}

// TooSmall is the reason for a face narrower or shorter than the min face.
const TooSmall = "too-small"

// Summary counts what a run did.
type Summary struct {
	Files       int            // files found (in this part)
	AlreadyDone int            // files committed by earlier runs, not redone
	Processed   int            // files processed by this run
	WithFaces   int            // processed files that gave at least one face
	Faces       int            // faces written by this run
	Rejected    map[string]int // faces found but not written, by reason
	NotImages   int            // processed files that are not images
	Bad         map[string]int // processed image files refused, by reason
	Interrupted bool           // the run stopped before the last file
	Prefix      string         // shard prefix written
	MinFace     int            // smallest face kept (crop only)
}

// outcome is what processing one source gave.
type outcome struct {
	samples []dataset.Sample
	record  Record
}

// process turns one source into samples. Each worker has its own.
type process func(Source) outcome

// newProcess makes a worker's process and the function that frees it.
type newProcess func() (process, func(), error)

// window is how many sources per worker may be under way or waiting to be
// written. A worker stops when the source at the head of the queue is this
// far behind it. Simulated on the renpy folder's file times with 2 workers
// (crop/bench/window.py), 4 a worker takes 11% longer than no limit, 16
// takes 2%, 64 1%. Waiting outcomes are small (a few faces of a few KB).
const window = 64

type job struct {
	i   int
	src Source
}

type result struct {
	i int
	o outcome
}

// runPipeline processes sources on workers goroutines and hands the
// outcomes to the writer in source order, whatever order they finish in,
// so that a run's shards do not depend on timing. At most window sources
// per worker are ahead of the last one written, which bounds memory. When ctx is done, no
// new source starts; those under way finish and are written.
func runPipeline(ctx context.Context, sources []Source, workers int, mk newProcess,
	w *dataset.Writer, log *slog.Logger, bar *progress.Bar, sum *Summary,
	settings string) error {
	procs := make([]process, workers)
	for i := range procs {
		p, free, err := mk()
		if err != nil {
			return err
		}
		defer free()
		procs[i] = p
	}

	// A write error must stop the workers too.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	slots := make(chan struct{}, window*workers)
	jobs := make(chan job)
	// Buffered, so that workers go on while the writer syncs a shard.
	results := make(chan result, window*workers)
	go feed(ctx, sources, slots, jobs)
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				results <- result{j.i, safely(p, j.src)}
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()

	pending := map[int]outcome{}
	next := 0
	var werr error
	for r := range results {
		pending[r.i] = r.o
		for o, ok := pending[next]; ok && werr == nil; o, ok = pending[next] {
			delete(pending, next)
			next++
			o.record.Settings = settings
			werr = write(w, o, log, sum)
			bar.Add(1)
			bar.Describe(fmt.Sprintf("%d faces", sum.Faces))
			<-slots
		}
		if werr != nil {
			cancel()
		}
	}
	sum.Interrupted = next < len(sources)
	return werr
}

// feed sends the sources in order, each once a slot is free.
func feed(ctx context.Context, sources []Source, slots chan struct{}, jobs chan<- job) {
	defer close(jobs)
	for i, s := range sources {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		select {
		case jobs <- job{i, s}:
		case <-ctx.Done():
			return
		}
	}
}

// safely runs p, turning a decoder's panic on hostile bytes into a
// refused file rather than a crashed run.
func safely(p process, src Source) (o outcome) {
	defer func() {
		if r := recover(); r != nil {
			o = outcome{record: Record{Source: src.Rel, Skipped: "corrupt",
				Error: fmt.Sprintf("decoder panic: %v", r)}}
		}
	}()
	return p(src)
}

// write commits one source's outcome and counts it.
func write(w *dataset.Writer, o outcome, log *slog.Logger, sum *Summary) error {
	rec := o.record
	sum.Processed++
	switch {
	case rec.Skipped == "not-image":
		sum.NotImages++
		if looksLikeImage(rec.Source) {
			log.Warn("skipped", "file", rec.Source, "reason", rec.Skipped)
		}
	case rec.Skipped != "":
		sum.Bad[rec.Skipped]++
		log.Warn("skipped", "file", rec.Source, "reason", rec.Skipped, "error", rec.Error)
	case rec.Faces > 0:
		sum.WithFaces++
		sum.Faces += rec.Faces
	}
	for _, r := range rec.Rejected {
		sum.Rejected[r.Reason]++
	}
	if err := w.AddGroup(o.samples, rec); err != nil {
		return fmt.Errorf("write %s: %w", rec.Source, err)
	}
	return nil
}

// looksLikeImage reports whether a file's name promises an image, so a
// non-image there deserves a warning, while the other files (scripts,
// fonts, sound) are only counted.
func looksLikeImage(rel string) bool {
	switch strings.ToLower(path.Ext(rel)) {
	case ".jpg", ".jpeg", ".jpe", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff":
		return true
	}
	return false
}

// refused returns the outcome of a source that could not be read.
func refused(src Source, sha string, err error) outcome {
	return outcome{record: Record{Source: src.Rel, SHA256: sha,
		Skipped: imagefile.Reason(err), Error: err.Error()}}
}
