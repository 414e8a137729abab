// Package crop turns a folder of illustrations into a face dataset: it
// walks the folder, detects faces with a cascade, cuts each face out as a
// square picture and writes the faces to WebDataset shards (package
// dataset), in source order and resumably. Import does the same for
// pictures that already are faces.
package crop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"math"
	"os"
	"runtime"

	"animeface/cascades"
	"animeface/dataset"
	"animeface/internal/face"
	"animeface/internal/progress"
)

// Job is what Run and Import share: where to read and write, and how.
type Job struct {
	In, Out string
	// Size is the side of the faces written, in pixels.
	Size int
	// ShardSize is the number of faces per shard.
	ShardSize int
	// Workers is the number of files processed at once; 0 means one per
	// core.
	Workers int
	// Part selects a share of the sources; the zero value takes all.
	Part Part
	// MaxPixels refuses larger images; 0 means imagefile.DefaultMaxPixels.
	MaxPixels int
	// Log receives one warning per refused file; nil discards.
	Log *slog.Logger
	// Progress receives a progress bar (files, faces, rate, time left);
	// nil shows none.
	Progress io.Writer
}

// check validates j and fills in the values that default to zero.
func (j Job) check() (Job, error) {
	if j.In == "" || j.Out == "" {
		return j, fmt.Errorf("options: an input and an output folder are needed")
	}
	if st, err := os.Stat(j.In); err != nil || !st.IsDir() {
		return j, fmt.Errorf("input folder %s: missing or not a folder", j.In)
	}
	if j.Size < 1 || j.ShardSize < 1 {
		return j, fmt.Errorf("options: size %d and shard size %d must be positive",
			j.Size, j.ShardSize)
	}
	if j.Workers <= 0 {
		j.Workers = runtime.NumCPU()
	}
	if j.Log == nil {
		j.Log = slog.New(slog.DiscardHandler)
	}
	return j, nil
}

// Options configure Run. Start from DefaultOptions.
type Options struct {
	Job
	// Cascade is a cascade name or path (see package cascades).
	Cascade string
	// ScaleFactor and MinNeighbors are the detector's settings.
	ScaleFactor  float64
	MinNeighbors int
	// MinFace is the side of the smallest face kept, in source pixels;
	// 0 means AutoMinFace(Size, Margin).
	MinFace int
	// SearchMin is the side of the smallest face searched for, at most
	// MinFace; 0 means the cascade's window (24 pixels for the anime face
	// cascade). Faces found below MinFace are not written but recorded in
	// the index as rejected (see face.Detector.DetectAtLeast); the faces
	// kept are the same whatever SearchMin is. Searching the smaller
	// windows costs time: on the renpy illustrations at the defaults,
	// starting at 24 pixels rather than 46 takes 1.7 times the CPU.
	// SearchMin equal to MinFace searches only for the faces kept.
	SearchMin int
	// Margin is the fraction of the face's side added on each side.
	Margin float64
}

// DefaultOptions returns the defaults: the anime face cascade with its
// recommended settings (scale factor 1.1, 5 neighbours), 64-pixel faces
// with DefaultMargin, the smallest face AutoMinFace, 10000 faces a shard.
func DefaultOptions() Options {
	return Options{
		Job:          Job{Size: 64, ShardSize: dataset.DefaultShardSize},
		Cascade:      cascades.Default,
		ScaleFactor:  face.DefaultSettings.ScaleFactor,
		MinNeighbors: face.DefaultSettings.MinNeighbors,
		Margin:       DefaultMargin,
	}
}

// DefaultMargin is the default margin: the cascade's box runs from the
// eyebrows to the chin, and a fifth of its side on every side brings in
// the hair and the top of the head, as the faces GANs are trained on show.
const DefaultMargin = 0.2

// AutoMinFace returns the smallest face whose crop, margin included, is at
// least size pixels wide: smaller faces would be enlarged, and a
// generator trained on enlarged faces learns their blur. With the
// defaults (64 pixels, margin 0.2) it is 46.
func AutoMinFace(size int, margin float64) int {
	return max(1, int(math.Ceil(float64(size)/(1+2*margin))))
}

// check validates o and fills in the values that default to zero.
func (o Options) check() (Options, error) {
	var err error
	if o.Job, err = o.Job.check(); err != nil {
		return o, err
	}
	if o.Margin < 0 || o.MinFace < 0 || o.SearchMin < 0 {
		return o, fmt.Errorf("options: margin %v, min face %d and search min %d "+
			"must not be negative", o.Margin, o.MinFace, o.SearchMin)
	}
	if o.MinFace == 0 {
		o.MinFace = AutoMinFace(o.Size, o.Margin)
	}
	if o.SearchMin > o.MinFace {
		return o, fmt.Errorf("options: search min %d is above min face %d: "+
			"faces between them would be neither kept nor recorded",
			o.SearchMin, o.MinFace)
	}
	return o, nil
}

// Run crops every face in the illustrations under opts.In into shards in
// opts.Out, skipping sources that an earlier run already committed. When
// ctx is cancelled it finishes the files under way, commits everything
// done and returns a Summary with Interrupted set and a nil error. Bad
// files are counted in the Summary, never fatal.
func Run(ctx context.Context, opts Options) (Summary, error) {
	opts, err := opts.check()
	if err != nil {
		return Summary{}, err
	}
	cascade, err := cascades.Find(opts.Cascade)
	if err != nil {
		return Summary{}, err
	}
	det, err := detectorRecord(cascade, opts)
	if err != nil {
		return Summary{}, err
	}

	// One OpenCV thread per worker: the workers already fill the cores.
	face.SetOpenCVThreads(1)

	// The search reaches below the faces kept, so that the index can say
	// which faces were left out.
	mk := func() (process, func(), error) {
		settings := face.Settings{ScaleFactor: opts.ScaleFactor,
			MinNeighbors: opts.MinNeighbors, MinSize: opts.SearchMin}
		d, err := face.NewDetector(cascade.Path, settings)
		if err != nil {
			return nil, nil, err
		}
		c := &cropper{opts: opts, det: d, record: det}
		return c.process, func() { d.Close() }, nil
	}
	// Not the search min: it changes what the index records, not the faces
	// (DetectAtLeast keeps what a search from min face would find).
	settings := fmt.Sprintf("cascade=%s scale-factor=%g min-neighbors=%d min-face=%d "+
		"margin=%g size=%d", det.CascadeSHA256[:12], opts.ScaleFactor,
		opts.MinNeighbors, opts.MinFace, opts.Margin, opts.Size)
	sum, err := runAll(ctx, opts.Job, opts.Part.Prefix("faces"), settings, mk)
	sum.MinFace = opts.MinFace
	return sum, err
}

// detectorRecord describes the detector for the samples' metadata.
func detectorRecord(c cascades.Cascade, opts Options) (*dataset.Detector, error) {
	sum, err := cascades.SHA256(c.Path)
	if err != nil {
		return nil, err
	}
	return &dataset.Detector{Name: c.Name, CascadeSHA256: sum,
		ScaleFactor: opts.ScaleFactor, MinNeighbors: opts.MinNeighbors,
		MinFace: opts.MinFace}, nil
}

// runAll is the part Run and Import share: list the sources, drop those
// already done, process the rest and commit them. settings describes what
// shapes the faces; a folder whose faces were made otherwise is refused.
func runAll(ctx context.Context, j Job, prefix, settings string,
	mk newProcess) (Summary, error) {
	sum := Summary{Bad: map[string]int{}, Rejected: map[string]int{}, Prefix: prefix}
	all, err := Walk(j.In, func(rel string, err error) {
		// A broken link or an unreadable folder: counted, not recorded, so
		// a rerun tries again.
		j.Log.Warn("skipped", "file", rel, "error", err)
		sum.Bad["unreadable"]++
	})
	if err != nil {
		return sum, err
	}
	var sources []Source
	for _, s := range all {
		if j.Part.Has(s.Rel) {
			sources = append(sources, s)
		}
	}
	sum.Files = len(sources)

	w, err := dataset.NewWriter(j.Out, dataset.WriterOptions{Prefix: sum.Prefix,
		ShardSize: j.ShardSize, Log: j.Log})
	if err != nil {
		return sum, err
	}
	todo, err := notDone(sources, w, settings)
	if err != nil {
		w.Close()
		return sum, fmt.Errorf("%s: %w", j.Out, err)
	}
	sum.AlreadyDone = len(sources) - len(todo)
	var bar *progress.Bar
	if j.Progress != nil {
		bar = progress.New(j.Progress, int64(len(todo)), "files")
	}

	err = runPipeline(ctx, todo, j.Workers, mk, w, j.Log, bar, &sum, settings)
	if cerr := w.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("commit: %w", cerr)
	}
	bar.Finish()
	return sum, err
}

// ErrSettings reports an output folder whose faces were made with other
// settings than the run's: adding to it would mix two kinds of faces.
var ErrSettings = errors.New("faces here were made with other settings")

// notDone returns the sources that have no committed record.
func notDone(sources []Source, w *dataset.Writer, settings string) ([]Source, error) {
	done := map[string]bool{}
	for _, raw := range w.Committed() {
		var r Record
		if json.Unmarshal(raw, &r) != nil {
			continue
		}
		if r.Settings != "" && r.Settings != settings {
			return nil, fmt.Errorf("%w (%s, not %s): use another output folder",
				ErrSettings, r.Settings, settings)
		}
		done[r.Source] = true
	}
	var todo []Source
	for _, s := range sources {
		if !done[s.Rel] {
			todo = append(todo, s)
		}
	}
	return todo, nil
}

// cropper is one worker's state.
type cropper struct {
	opts   Options
	det    *face.Detector
	record *dataset.Detector
}

// process reads one illustration, detects its faces and cuts them out.
func (c *cropper) process(src Source) outcome {
	data, sha, err := readSource(src)
	if err != nil {
		return refused(src, sha, err)
	}
	pic, err := face.Open(data, c.opts.MaxPixels)
	if err != nil {
		return refused(src, sha, err)
	}
	defer pic.Close()

	boxes, small, err := c.det.DetectAtLeast(pic.Pixels, c.opts.MinFace)
	if err != nil {
		return refused(src, sha, err)
	}
	bounds := image.Rect(0, 0, pic.Pixels.Cols(), pic.Pixels.Rows())
	regions := make([]image.Rectangle, len(boxes))
	for i, b := range boxes {
		regions[i] = face.Square(b, c.opts.Margin, bounds)
	}
	faces, err := pic.Cut(regions, c.opts.Size)
	if err != nil {
		return refused(src, sha, err)
	}

	o := outcome{record: Record{Source: src.Rel, SHA256: sha, Faces: len(faces)}}
	for _, b := range small {
		o.record.Rejected = append(o.record.Rejected,
			Rejected{Box: rect4(b), Reason: TooSmall})
	}
	for i, f := range faces {
		enc, err := encodePNG(f)
		if err != nil {
			return refused(src, sha, err)
		}
		o.samples = append(o.samples, dataset.Sample{Key: Key(src.Rel, i), PNG: enc,
			Meta: dataset.Meta{Source: src.Rel, SourceSHA256: sha,
				Box: rect4(boxes[i]), Crop: rect4(regions[i]), Size: c.opts.Size,
				Margin: c.opts.Margin, Detector: c.record}})
	}
	return o
}
