package dedup

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"golang.org/x/image/draw"

	"animeface/internal/testdata"
)

// family is a face of faces-mlds-96 at the dataset's size with its altered
// copies.
type family struct {
	original *image.NRGBA
	copies   []*image.NRGBA
}

// alterations are the ways a duplicate reaches a dataset, applied at the
// source's 96×96 before the face is scaled to 64×64 like an import would.
var alterations = []struct {
	name  string
	apply func(src *image.NRGBA, i int) *image.NRGBA
}{
	{"jpeg70", func(src *image.NRGBA, _ int) *image.NRGBA { return reencode(src, 70) }},
	{"down-up", func(src *image.NRGBA, _ int) *image.NRGBA {
		b := src.Bounds()
		return scale(scale(src, b.Dx()/2, b.Dy()/2), b.Dx(), b.Dy())
	}},
	{"brighter", func(src *image.NRGBA, _ int) *image.NRGBA { return brighten(src, 12) }},
	{"crop4", func(src *image.NRGBA, i int) *image.NRGBA {
		// Take 4 pixels off, split between the sides differently per face.
		b := src.Bounds()
		x, y := i%5, (i/5)%5
		sub := src.SubImage(image.Rect(x, y, b.Dx()-4+x, b.Dy()-4+y))
		return scale(sub, b.Dx(), b.Dy())
	}},
}

// loadFamilies reads the first n faces of faces-mlds-96 and makes one copy
// per alteration.
func loadFamilies(t testing.TB, n int) []family {
	t.Helper()
	dir := testdata.Path(t, "data", "faces-mlds-96")
	out := make([]family, n)
	for i := range out {
		src := readFace(t, filepath.Join(dir, fmt.Sprintf("%d.jpg", i)))
		out[i].original = scale(src, 64, 64)
		for _, a := range alterations {
			out[i].copies = append(out[i].copies, scale(a.apply(src, i), 64, 64))
		}
	}
	return out
}

// TestHashSeparation measures how well pHash and dHash separate altered
// copies from different faces: for a few radii, the share of copies within
// the radius of their original (recall before union-find and confirmation)
// and the share of pairs of different faces within it (the candidates the
// pixel confirmation must refuse).
func TestHashSeparation(t *testing.T) {
	fams := testFamilies(t)
	radii := []int{8, 10, 12, 14}
	type score struct{ copies, others []float64 }
	scores := map[string]score{}
	for _, h := range []struct {
		name string
		fn   func(image.Image) Hash
	}{{"pHash", func(i image.Image) Hash { return PHash(i) }},
		{"dHash", func(i image.Image) Hash { return DHash(i) }}} {
		var dup, other []int
		var originals []Hash
		for _, fa := range fams {
			o := h.fn(fa.original)
			originals = append(originals, o)
			for _, c := range fa.copies {
				dup = append(dup, Distance(o, h.fn(c)))
			}
		}
		for i := range originals {
			for j := i + 1; j < len(originals); j++ {
				other = append(other, Distance(originals[i], originals[j]))
			}
		}
		var sc score
		for _, r := range radii {
			sc.copies = append(sc.copies, shareWithin(dup, r))
			sc.others = append(sc.others, shareWithin(other, r))
			t.Logf("%s radius %2d: copies within %.4f, different faces within %.6f",
				h.name, r, sc.copies[len(sc.copies)-1], sc.others[len(sc.others)-1])
		}
		scores[h.name] = sc
	}
	// At the default radius the hash dedup uses must keep more copies, and
	// let through few enough different faces for the confirmation.
	p, d := scores["pHash"], scores["dHash"]
	i := slices.Index(radii, DefaultThreshold)
	if d.copies[i] <= p.copies[i] {
		t.Errorf("radius %d: dHash keeps %.4f of copies, pHash %.4f",
			DefaultThreshold, d.copies[i], p.copies[i])
	}
	if d.others[i] > 1e-4 {
		t.Errorf("radius %d: dHash lets %.6f of different faces through",
			DefaultThreshold, d.others[i])
	}
}

func shareWithin(ds []int, r int) float64 {
	n := 0
	for _, d := range ds {
		if d <= r {
			n++
		}
	}
	return float64(n) / float64(len(ds))
}

// testFamilies returns the first 1,000 faces of faces-mlds-96 less the two
// that duplicate an earlier face of the set (391 is 170 and 491 is 363,
// checked by eye), with their altered copies.
// They are made once per test binary and shared read-only.
func testFamilies(t testing.TB) []family {
	familiesOnce.Do(func() {
		fams := loadFamilies(t, 1000)
		fams = slices.Delete(fams, 491, 492)
		families = slices.Delete(fams, 391, 392)
	})
	if families == nil {
		t.Fatal("test faces failed to load")
	}
	return families
}

var (
	familiesOnce sync.Once
	families     []family
)

// TestFindAlteredCopies runs the whole search on originals and altered
// copies and scores the pairs it groups against the true families.
func TestFindAlteredCopies(t *testing.T) {
	fams := testFamilies(t)
	for _, c := range []struct {
		name string
		opts Options
	}{
		{"dhash+pixels", Options{Threshold: DefaultThreshold, ConfirmMSE: DefaultConfirmMSE}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := NewFinder(c.opts)
			var fam []int
			for i, fa := range fams {
				for j, img := range append([]*image.NRGBA{fa.original}, fa.copies...) {
					f.Add(Face{Key: fmt.Sprintf("%d-%d", i, j)}, img)
					fam = append(fam, i)
				}
			}
			res := f.Find(nil)
			truePairs := 0
			for _, fa := range fams {
				n := 1 + len(fa.copies)
				truePairs += n * (n - 1) / 2
			}
			found, correct := 0, 0
			for _, g := range res.Groups {
				for a := range g {
					for b := a + 1; b < len(g); b++ {
						found++
						if fam[g[a]] == fam[g[b]] {
							correct++
						}
					}
				}
			}
			precision := float64(correct) / float64(max(found, 1))
			recall := float64(correct) / float64(truePairs)
			t.Logf("%d faces, %d groups, %d pairs grouped, %d true: "+
				"precision %.4f recall %.4f (refused %d)", f.Len(), len(res.Groups),
				found, truePairs, precision, recall, res.Refused)
			if precision < 0.95 || recall < 0.95 {
				t.Errorf("precision %.4f, recall %.4f: want both >= 0.95", precision, recall)
			}
		})
	}
}

func readFace(t testing.TB, path string) *image.NRGBA {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	return toNRGBA(img)
}

func toNRGBA(img image.Image) *image.NRGBA {
	b := img.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Bounds(), img, b.Min, draw.Src)
	return out
}

func scale(src image.Image, w, h int) *image.NRGBA {
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(out, out.Bounds(), src, src.Bounds(), draw.Src, nil)
	return out
}

func reencode(src *image.NRGBA, quality int) *image.NRGBA {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: quality}); err != nil {
		panic(err)
	}
	img, err := jpeg.Decode(&buf)
	if err != nil {
		panic(err)
	}
	return toNRGBA(img)
}

func brighten(src *image.NRGBA, delta int) *image.NRGBA {
	out := image.NewNRGBA(src.Bounds())
	for i, v := range src.Pix {
		if i%4 == 3 {
			out.Pix[i] = v
			continue
		}
		out.Pix[i] = uint8(min(255, int(v)+delta))
	}
	return out
}
