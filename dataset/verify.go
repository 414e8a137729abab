package dataset

import (
	"context"
	"errors"
	"fmt"
	"image"
)

// VerifyReport is what Verify found.
type VerifyReport struct {
	Shards   int
	Samples  int // samples that passed every check
	Problems []*SampleError
}

// Verify reads every member of every shard, decodes every face and checks
// its metadata: a source, a size matching the image, a key seen only once.
// It returns an error only when it could not do the reading at all; damage
// is listed in the report.
func Verify(ctx context.Context, d *Dataset, workers int) (*VerifyReport, error) {
	r := &VerifyReport{Shards: len(d.Shards)}
	seen := make(map[string]string) // key -> shard
	bad := func(err error) {
		var se *SampleError
		if !errors.As(err, &se) {
			se = &SampleError{Err: err}
		}
		r.Problems = append(r.Problems, se)
	}
	err := DecodeImages(ctx, d, ReadOptions{Bad: bad}, workers,
		func(s Sample, img *image.NRGBA) error {
			if err := checkSample(s, img, seen); err != nil {
				bad(&SampleError{Shard: s.Shard, Key: s.Key, Err: err})
				return nil
			}
			seen[s.Key] = s.Shard
			r.Samples++
			return nil
		})
	return r, err
}

func checkSample(s Sample, img *image.NRGBA, seen map[string]string) error {
	if shard, dup := seen[s.Key]; dup {
		return fmt.Errorf("key also in %s", shard)
	}
	if err := ValidKey(s.Key); err != nil {
		return err
	}
	m := s.Meta
	switch {
	case m.Source == "":
		return errors.New("metadata: no source")
	case m.Size <= 0:
		return fmt.Errorf("metadata: size %d", m.Size)
	case img.Rect.Dx() != m.Size || img.Rect.Dy() != m.Size:
		return fmt.Errorf("image is %dx%d, metadata says size %d",
			img.Rect.Dx(), img.Rect.Dy(), m.Size)
	}
	return nil
}
