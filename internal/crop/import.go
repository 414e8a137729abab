package crop

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"

	"animeface/dataset"
	"animeface/internal/face"
	"animeface/internal/imagefile"
)

// ImportOptions configure Import.
type ImportOptions struct {
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
	// Progress receives a progress bar; nil shows none.
	Progress io.Writer
}

// ImportPrefix starts the names of the shards Import writes, so imported
// faces and cropped ones can share a folder without sharing a journal.
const ImportPrefix = "imported"

// Import writes every picture under opts.In, taken to be a face already,
// into shards in opts.Out: composited onto white, padded to a square when
// it is not one, resized to opts.Size. Bad files are refused and counted
// as Run does; reruns and interrupts behave as Run's.
func Import(ctx context.Context, opts ImportOptions) (Summary, error) {
	if opts.In == "" || opts.Out == "" || opts.Size < 1 || opts.ShardSize < 1 {
		return Summary{}, fmt.Errorf("import options: need folders, a size and a shard size")
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.NumCPU()
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	face.SetOpenCVThreads(1)
	mk := func() (process, func(), error) {
		return func(src Source) outcome { return importOne(src, opts) }, func() {}, nil
	}
	return runAll(ctx, opts.In, opts.Out, opts.Part.Prefix(ImportPrefix), opts.Part,
		opts.ShardSize, opts.Workers, mk, opts.Log, opts.Progress)
}

// importOne reads one face picture and resizes it.
func importOne(src Source, opts ImportOptions) outcome {
	data, sha, err := readSource(src)
	if err != nil {
		return refused(src, sha, err)
	}
	img, _, err := imagefile.Decode(data, opts.MaxPixels)
	if err != nil {
		return refused(src, sha, err)
	}
	m, err := face.FromNRGBA(img)
	if err != nil {
		return refused(src, sha, err)
	}
	defer m.Close()

	// The whole picture is the face; a non-square one is padded, not cut.
	box := img.Rect
	region := face.Square(box, 0, box)
	small, err := face.CutMat(m, region, opts.Size)
	if err != nil {
		return refused(src, sha, err)
	}
	enc, err := encodePNG(small)
	if err != nil {
		return refused(src, sha, err)
	}
	s := dataset.Sample{Key: Key(src.Rel, 0), PNG: enc, Meta: dataset.Meta{
		Source: src.Rel, SourceSHA256: sha, Box: rect4(box),
		Crop: rect4(region), Size: opts.Size}}
	return outcome{samples: []dataset.Sample{s},
		record: Record{Source: src.Rel, SHA256: sha, Faces: 1}}
}

