package gan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"log/slog"
	"math/rand/v2"

	"animeface/dataset"

	"github.com/nfnt/resize"
)

// ErrNoFaces is returned when the shards hold no face to train on.
var ErrNoFaces = errors.New("no faces to train on")

// faces holds the training images at the model's size as planar RGB bytes,
// small enough to keep in memory: 12 KiB per 64×64 face.
//
// TODO: at 128×128 a face takes 48 KiB, 1 GB for 20,000 faces. Larger
// datasets would need streaming through dataset.Each with a shuffle buffer,
// and a checkpoint that records the position in the epoch's stream.
type faces struct {
	size int
	pix  [][]uint8 // per face: 3 planes of size×size
}

// loadFaces decodes every face of the shards, keeps those not held out and
// brings them to size. Unreadable members are skipped and counted.
func loadFaces(ctx context.Context, o Options,
	log *slog.Logger) (*faces, DatasetInfo, error) {
	var info DatasetInfo
	ds, err := dataset.Open(o.Shards)
	if err != nil {
		return nil, info, fmt.Errorf("open shards: %w", err)
	}
	if len(ds.Shards) == 0 {
		return nil, info, fmt.Errorf("%s: %w: the folder has no shards", o.Shards, ErrNoFaces)
	}

	fs := &faces{size: o.Size}
	hash := sha256.New()
	bad := func(err error) {
		info.Skipped++
		log.Warn("skipping unreadable face", "err", err)
	}
	err = dataset.DecodeImages(ctx, ds, dataset.ReadOptions{Bad: bad}, o.Workers,
		func(s dataset.Sample, img *image.NRGBA) error {
			hash.Write([]byte(s.Key))
			hash.Write(s.PNG)
			if dataset.Holdout(s.Key, o.Holdout) {
				info.HeldOut++
				return nil
			}
			if b := img.Bounds(); b.Dx() != o.Size || b.Dy() != o.Size {
				img = resizeTo(img, o.Size)
				info.Resized++
			}
			fs.pix = append(fs.pix, planar(img))
			return nil
		})
	if err != nil {
		return nil, info, fmt.Errorf("read shards: %w", err)
	}

	info.Faces = len(fs.pix)
	info.Fingerprint = hex.EncodeToString(hash.Sum(nil))
	if info.Faces == 0 {
		return nil, info, fmt.Errorf("%s: %w (%d held out, %d unreadable)",
			o.Shards, ErrNoFaces, info.HeldOut, info.Skipped)
	}
	if info.Resized > 0 {
		log.Info("resized faces to the model's size", "faces", info.Resized, "size", o.Size)
	}
	return fs, info, nil
}

func resizeTo(img *image.NRGBA, size int) *image.NRGBA {
	r := resize.Resize(uint(size), uint(size), img, resize.Bilinear)
	out := image.NewNRGBA(image.Rect(0, 0, size, size))
	draw.Draw(out, out.Rect, r, r.Bounds().Min, draw.Src)
	return out
}

// planar reorders an image's pixels into red, green and blue planes.
func planar(img *image.NRGBA) []uint8 {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	out := make([]uint8, 3*w*h)
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride:]
		for x := 0; x < w; x++ {
			for c := 0; c < 3; c++ {
				out[c*w*h+y*w+x] = row[4*x+c]
			}
		}
	}
	return out
}

// epochOrder is the order faces are visited in an epoch: a permutation
// that depends only on the seed and the epoch, so a resumed run sees the
// same batches.
func epochOrder(seed uint64, epoch, n int) []int {
	rng := rand.New(rand.NewPCG(seed, 0x0e90c4<<32|uint64(epoch)))
	return rng.Perm(n)
}

// fillBatch writes the faces idx into dst (len(idx), 3, size, size) scaled
// to [-1, 1], mirroring those whose flip is set.
func (fs *faces) fillBatch(dst []float32, idx []int, flip []bool) {
	s := fs.size
	plane := s * s
	for i, k := range idx {
		src := fs.pix[k]
		out := dst[i*3*plane : (i+1)*3*plane]
		for c := 0; c < 3; c++ {
			for y := 0; y < s; y++ {
				row := src[c*plane+y*s : c*plane+(y+1)*s]
				o := out[c*plane+y*s : c*plane+(y+1)*s]
				for x := range row {
					xs := x
					if flip[i] {
						xs = s - 1 - x
					}
					o[x] = float32(row[xs])/127.5 - 1
				}
			}
		}
	}
}
