package dataset

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"runtime"
	"sync"
)

// MaxFacePixels bounds the pixels of a face decoded from a shard; faces are
// small, so anything larger is damage or malice.
const MaxFacePixels = 4096 * 4096

// ErrTooLarge reports an image whose header claims more pixels than allowed.
var ErrTooLarge = errors.New("image too large")

// DecodePNG decodes a face, refusing one whose header claims more than
// MaxFacePixels before any pixel is decoded.
func DecodePNG(data []byte) (*image.NRGBA, error) {
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxFacePixels {
		return nil, fmt.Errorf("%w: %dx%d", ErrTooLarge, cfg.Width, cfg.Height)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return ToNRGBA(img), nil
}

// ToNRGBA returns img as *image.NRGBA with its origin at (0, 0), converting
// only when needed.
func ToNRGBA(img image.Image) *image.NRGBA {
	if n, ok := img.(*image.NRGBA); ok && n.Rect.Min == (image.Point{}) {
		return n
	}
	b := img.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Rect, img, b.Min, draw.Src)
	return out
}

// DecodeImages reads the dataset as Each does and decodes the faces on
// workers goroutines (0 means one per core), calling fn in reading order.
// A face that does not decode goes to opts.Bad as a *SampleError, or stops
// reading when opts.Bad is nil.
func DecodeImages(ctx context.Context, d *Dataset, opts ReadOptions, workers int,
	fn func(Sample, *image.NRGBA) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// Each job carries its own result channel; jobs are queued in reading
	// order, so the consumer gets results in order while workers decode
	// ahead of it in parallel.
	type result struct {
		img *image.NRGBA
		err error
	}
	type job struct {
		s   Sample
		out chan result
	}
	jobs := make(chan job, workers)
	queue := make(chan job, 4*workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				img, err := DecodePNG(j.s.PNG)
				j.out <- result{img, err}
			}
		}()
	}

	readErr := make(chan error, 1)
	go func() {
		defer close(queue)
		defer close(jobs)
		readErr <- d.Each(ctx, opts, func(s Sample) error {
			j := job{s, make(chan result, 1)}
			select {
			case queue <- j:
			case <-ctx.Done():
				return ctx.Err()
			}
			jobs <- j
			return nil
		})
	}()

	err := consume(queue, func(j job) error {
		r := <-j.out
		if r.err != nil {
			e := &SampleError{Shard: j.s.Shard, Key: j.s.Key,
				Err: fmt.Errorf("decode png: %w", r.err)}
			if opts.Bad == nil {
				return e
			}
			opts.Bad(e)
			return nil
		}
		return fn(j.s, r.img)
	})
	cancel()
	for range queue {
		// Drain so the reader goroutine can finish.
	}
	wg.Wait()
	if rerr := <-readErr; err == nil && !errors.Is(rerr, context.Canceled) {
		err = rerr
	}
	if err == nil {
		err = parent.Err()
	}
	return err
}

func consume[T any](queue <-chan T, fn func(T) error) error {
	for j := range queue {
		if err := fn(j); err != nil {
			return err
		}
	}
	return nil
}
