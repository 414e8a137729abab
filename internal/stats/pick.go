package stats

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"image"
	"math/rand/v2"
	"slices"

	"animeface/dataset"
)

// Pick returns n faces of d for a contact sheet: the first n in reading
// order when first is set, else a uniform random sample drawn with seed
// (reservoir sampling, one pass, n faces in memory), in reading order.
// Unreadable samples are skipped.
func Pick(ctx context.Context, d *dataset.Dataset, n int, seed uint64, first bool,
	h Hooks) ([]image.Image, error) {
	rng := rand.New(rand.NewPCG(seed, 0x6d6f6e74616765))
	type picked struct {
		order int
		s     dataset.Sample
	}
	var res []picked
	seen := 0
	errStop := errors.New("enough faces")
	err := d.Each(ctx, dataset.ReadOptions{Bad: h.bad}, func(s dataset.Sample) error {
		h.read()
		seen++
		switch {
		case len(res) < n:
			res = append(res, picked{seen, s})
		case first:
			return errStop
		default:
			if j := rng.IntN(seen); j < n {
				res[j] = picked{seen, s}
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, fmt.Errorf("read %s: %w", d.Dir, err)
	}

	// Back to reading order, then decode; a face that does not decode
	// leaves the sheet one face shorter.
	slices.SortFunc(res, func(a, b picked) int { return cmp.Compare(a.order, b.order) })
	out := make([]image.Image, 0, len(res))
	for _, p := range res {
		img, err := dataset.DecodePNG(p.s.PNG)
		if err != nil {
			h.bad(&dataset.SampleError{Shard: p.s.Shard, Key: p.s.Key, Err: err})
			continue
		}
		out = append(out, img)
	}
	return out, nil
}
