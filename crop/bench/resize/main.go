// Command resize compares the two candidate filters for shrinking faces,
// nfnt/resize's Lanczos3 and OpenCV's INTER_AREA (face.CutMat), on quality
// and speed. It cuts 36 tiles of 384×384 from the shared hysts/input.jpg,
// shrinks each to 64 and 128 pixels with both, enlarges the results back to
// 384 with the same bicubic filter and reports the mean PSNR against the
// tile (more detail kept, higher PSNR) and the mean time per shrink. It
// writes one tile's two 64-pixel results, enlarged, to OUT/lanczos.png and
// OUT/area.png to look at.
//
// usage: go run ./crop/bench/resize SHARED OUT
package main

import (
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/nfnt/resize"

	"animeface/internal/face"
	"animeface/internal/imagefile"
	"animeface/internal/montage"
)

const tile = 384

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: go run ./crop/bench/resize SHARED OUT")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "resize:", err)
		os.Exit(1)
	}
}

func run(shared, out string) error {
	data, err := os.ReadFile(filepath.Join(shared, "data", "illustrations", "hysts",
		"input.jpg"))
	if err != nil {
		return err
	}
	grid, _, err := imagefile.Decode(data, 0)
	if err != nil {
		return err
	}
	var tiles []*image.NRGBA
	for y := 0; y < 6; y++ {
		for x := 0; x < 6; x++ {
			r := image.Rect(x*512, y*512, x*512+tile, y*512+tile)
			tiles = append(tiles, imagefile.OnWhite(grid.SubImage(r)))
		}
	}

	for _, size := range []int{64, 128} {
		var psnrL, psnrA float64
		var timeL, timeA time.Duration
		for i, t := range tiles {
			start := time.Now()
			l := imagefile.OnWhite(resize.Resize(uint(size), uint(size), t, resize.Lanczos3))
			timeL += time.Since(start)

			start = time.Now()
			a, err := cut(t, size)
			if err != nil {
				return err
			}
			timeA += time.Since(start)

			upL, err := cut(l, tile)
			if err != nil {
				return err
			}
			upA, err := cut(a, tile)
			if err != nil {
				return err
			}
			psnrL += psnr(upL, t)
			psnrA += psnr(upA, t)
			if i == 7 && size == 64 {
				if err := save(out, upL, upA); err != nil {
					return err
				}
			}
		}
		n := float64(len(tiles))
		fmt.Printf("%d->%d: round-trip PSNR lanczos3 %.2f dB, area %.2f dB; "+
			"time per face lanczos3 %v, area %v\n", tile, size, psnrL/n, psnrA/n,
			timeL/time.Duration(n), timeA/time.Duration(n))
	}
	return nil
}

// cut resizes img to size×size the way crop does.
func cut(img *image.NRGBA, size int) (*image.NRGBA, error) {
	m, err := face.FromNRGBA(img)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	return face.CutMat(m, img.Rect, size)
}

func psnr(a, b *image.NRGBA) float64 {
	var se float64
	n := 0
	for i := range a.Pix {
		if i%4 == 3 {
			continue
		}
		d := float64(a.Pix[i]) - float64(b.Pix[i])
		se += d * d
		n++
	}
	return 10 * math.Log10(255*255/(se/float64(n)))
}

func save(out string, lanczos, area *image.NRGBA) error {
	if err := montage.WritePNG(filepath.Join(out, "lanczos.png"), lanczos); err != nil {
		return err
	}
	return montage.WritePNG(filepath.Join(out, "area.png"), area)
}
