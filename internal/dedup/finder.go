package dedup

import (
	"cmp"
	"crypto/sha256"
	"image"
	"log/slog"
	"slices"
)

// DefaultThreshold is the Hamming radius under which two DHashes are
// near-duplicate candidates. On altered copies of real faces (see DHash) it
// keeps 97% of the copies while letting through 0.005% of the pairs of
// different faces, a load the pixel confirmation refuses cheaply; radius 12
// would keep 99% but the search reads 2.6 times more buckets and lets
// through five times more different faces.
const DefaultThreshold = 10

// thumbSide is the side of the colour thumbnails kept for the optional
// pixel confirmation: 768 bytes a face.
const thumbSide = 16

// DefaultConfirmMSE is the default largest thumbnail MSE of a confirmed
// near-duplicate pair. On the altered copies of real faces (see DHash) at
// the default radius it lifts the precision over grouped pairs from 0.63 to
// 0.995 while the recall drops from 0.958 to 0.955; 0.010 would cost 3% of
// the recall.
const DefaultConfirmMSE = 0.015

// Face is what the finder needs to know about a face besides its pixels.
type Face struct {
	Key          string
	Source       string
	SourceSHA256 string
	// Crop is the region of the source the face was taken from; two faces
	// with the same source bytes and the same crop are the same face.
	Crop [4]int
	// Box is the detected face in source pixels; the keep rule prefers the
	// largest.
	Box [4]int
}

// Options set how duplicates are found.
type Options struct {
	// Threshold is the largest Hamming distance between the DHashes of two
	// near duplicates; 0 finds exact duplicates only.
	Threshold int
	// ConfirmMSE, when above 0, confirms each near-duplicate pair found by
	// hash: the mean squared error of their 16×16 colour thumbnails, pixel
	// values in [0, 1], must not exceed it. Exact duplicates need no
	// confirmation.
	ConfirmMSE float64
	// Workers searching the index; 0 means GOMAXPROCS.
	Workers int
	// Log receives diagnostics; nil discards them.
	Log *slog.Logger
}

// Finder collects faces and groups their duplicates. Add is not safe for
// concurrent use.
//
// BUG: a finder holds about 1 KB per face (hash, keys and, with
// confirmation, the thumbnail), 1 GB for a million faces; beyond that the
// thumbnails would have to live on disk.
type Finder struct {
	opts    Options
	hash    func(image.Image) Hash
	faces   []Face
	hashes  []Hash
	thumbs  []uint8
	exact   []Pair
	pixels  map[[sha256.Size]byte]int32
	sources map[sourceCrop]int32
}

type sourceCrop struct {
	sha  string
	crop [4]int
}

// NewFinder returns an empty finder.
func NewFinder(opts Options) *Finder {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Finder{
		opts:    opts,
		hash:    DHash,
		pixels:  map[[sha256.Size]byte]int32{},
		sources: map[sourceCrop]int32{},
	}
}

// Add records a face and its decoded pixels; faces are numbered from 0 in
// the order they are added, which the keep rule uses to break ties.
func (f *Finder) Add(face Face, img *image.NRGBA) {
	id := int32(len(f.faces))
	f.faces = append(f.faces, face)
	f.hashes = append(f.hashes, f.hash(img))
	if f.opts.ConfirmMSE > 0 {
		f.thumbs = append(f.thumbs, thumbnail(img)...)
	}

	// Exact duplicates: the same decoded pixels, or the same crop of the
	// same source bytes.
	sum := pixelSum(img)
	j, samePixels := f.pixels[sum]
	if samePixels {
		f.exact = append(f.exact, Pair{I: j, J: id})
	} else {
		f.pixels[sum] = id
	}
	if face.SourceSHA256 == "" || samePixels {
		return
	}
	sc := sourceCrop{face.SourceSHA256, face.Crop}
	if j, ok := f.sources[sc]; ok {
		f.exact = append(f.exact, Pair{I: j, J: id})
	} else {
		f.sources[sc] = id
	}
}

// Len returns the number of faces added.
func (f *Finder) Len() int { return len(f.faces) }

// Result is what a search found.
type Result struct {
	// Faces as added.
	Faces []Face
	// Groups of two or more duplicates, largest first, as indexes into
	// Faces; the first member of each group is the one to keep.
	Groups [][]int
	// ExactPairs counts the pairs with the same pixels or source crop;
	// NearPairs the pairs within the hash radius that were confirmed (exact
	// duplicates among them); Refused the hash pairs that pixel
	// confirmation turned down.
	ExactPairs, NearPairs, Refused int
}

// Dropped returns, for each face, whether it duplicates a kept face.
func (r *Result) Dropped() []bool {
	drop := make([]bool, len(r.Faces))
	for _, g := range r.Groups {
		for _, i := range g[1:] {
			drop[i] = true
		}
	}
	return drop
}

// Find searches the faces added so far for near duplicates and returns the
// groups. Progress, when not nil, is called with the number of faces
// searched since its last call.
func (f *Finder) Find(progress func(int)) *Result {
	res := &Result{Faces: f.faces, ExactPairs: len(f.exact)}
	uf := newUnionFind(len(f.faces))
	for _, p := range f.exact {
		uf.union(p.I, p.J)
	}

	if f.opts.Threshold > 0 {
		pairs := NewIndex(f.hashes).Pairs(f.opts.Threshold, f.opts.Workers, progress)
		for _, p := range pairs {
			if f.opts.ConfirmMSE > 0 && f.thumbMSE(p.I, p.J) > f.opts.ConfirmMSE {
				res.Refused++
				continue
			}
			res.NearPairs++
			uf.union(p.I, p.J)
		}
	}

	for _, set := range uf.sets() {
		res.Groups = append(res.Groups, f.keepFirst(set))
	}
	slices.SortStableFunc(res.Groups, func(a, b []int) int {
		return cmp.Compare(len(b), len(a))
	})
	f.opts.Log.Debug("dedup search done", "faces", len(f.faces),
		"groups", len(res.Groups), "exact_pairs", res.ExactPairs,
		"near_pairs", res.NearPairs, "refused", res.Refused)
	return res
}

// keepFirst orders a group so the face to keep comes first. The keep rule:
// the largest detected box in source pixels (the face seen with the most
// detail before it was scaled to the dataset's size), then the face added
// first (the earliest in shard order).
func (f *Finder) keepFirst(set []int32) []int {
	g := make([]int, len(set))
	for i, id := range set {
		g[i] = int(id)
	}
	slices.SortStableFunc(g, func(a, b int) int {
		if c := cmp.Compare(boxArea(f.faces[b].Box), boxArea(f.faces[a].Box)); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	return g
}

func boxArea(b [4]int) int { return b[2] * b[3] }

func (f *Finder) thumbMSE(i, j int32) float64 {
	const n = thumbSide * thumbSide * 3
	a := f.thumbs[int(i)*n : int(i+1)*n]
	b := f.thumbs[int(j)*n : int(j+1)*n]
	var s float64
	for k := range a {
		d := float64(a[k]) - float64(b[k])
		s += d * d
	}
	return s / n / (255 * 255)
}

// pixelSum hashes the decoded pixels and the size of img.
func pixelSum(img *image.NRGBA) [sha256.Size]byte {
	h := sha256.New()
	b := img.Bounds()
	h.Write([]byte{byte(b.Dx() >> 8), byte(b.Dx()), byte(b.Dy() >> 8), byte(b.Dy())})
	for y := b.Min.Y; y < b.Max.Y; y++ {
		off := img.PixOffset(b.Min.X, y)
		h.Write(img.Pix[off : off+4*b.Dx()])
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// thumbnail returns the thumbSide² area-averaged RGB pixels of img.
func thumbnail(img *image.NRGBA) []uint8 {
	b := img.Bounds()
	xs := boxWeights(b.Dx(), thumbSide)
	ys := boxWeights(b.Dy(), thumbSide)
	out := make([]uint8, 0, thumbSide*thumbSide*3)
	for _, wy := range ys {
		for _, wx := range xs {
			var acc [3]float64
			for _, cy := range wy {
				for _, cx := range wx {
					p := img.Pix[img.PixOffset(b.Min.X+cx.i, b.Min.Y+cy.i):]
					w := cx.w * cy.w
					for c := range acc {
						acc[c] += float64(p[c]) * w
					}
				}
			}
			for _, v := range acc {
				out = append(out, uint8(v+0.5))
			}
		}
	}
	return out
}
