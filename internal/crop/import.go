package crop

import (
	"context"
	"fmt"

	"animeface/dataset"
	"animeface/internal/face"
	"animeface/internal/imagefile"
)

// ImportPrefix starts the names of the shards Import writes, so imported
// faces and cropped ones can share a folder without sharing a journal.
const ImportPrefix = "imported"

// Import writes every picture under job.In, taken to be a face already,
// into shards in job.Out: composited onto white, padded to a square when
// it is not one, resized to job.Size. Bad files are refused and counted
// as Run does; reruns and interrupts behave as Run's.
func Import(ctx context.Context, job Job) (Summary, error) {
	job, err := job.check()
	if err != nil {
		return Summary{}, err
	}
	face.SetOpenCVThreads(1)
	mk := func() (process, func(), error) {
		p := func(src Source) outcome { return importOne(src, job.Size, job.MaxPixels) }
		return p, func() {}, nil
	}
	settings := fmt.Sprintf("size=%d", job.Size)
	return runAll(ctx, job, job.Part.Prefix(ImportPrefix), settings, mk)
}

// importOne reads one face picture and resizes it.
func importOne(src Source, size, maxPixels int) outcome {
	data, sha, err := readSource(src)
	if err != nil {
		return refused(src, sha, err)
	}
	img, _, err := imagefile.Decode(data, maxPixels)
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
	small, err := face.CutMat(m, region, size)
	if err != nil {
		return refused(src, sha, err)
	}
	enc, err := encodePNG(small)
	if err != nil {
		return refused(src, sha, err)
	}
	// Keys of their own, so a cropped and an imported file with the same
	// path can share a dataset.
	key := Key(ImportPrefix+"/"+src.Rel, 0)
	s := dataset.Sample{Key: key, PNG: enc, Meta: dataset.Meta{
		Source: src.Rel, SourceSHA256: sha, Box: rect4(box),
		Crop: rect4(region), Size: size}}
	return outcome{samples: []dataset.Sample{s},
		record: Record{Source: src.Rel, SHA256: sha, Faces: 1}}
}
