// Package montage lays faces out in a grid, the picture people look at to
// judge a dataset, a training run or an overfitting report.
package montage

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"

	"animeface/internal/atomicfile"
)

// Background is the colour of the gaps and of empty cells.
var Background = color.NRGBA{R: 255, G: 255, B: 255, A: 255}

// Grid places images row by row, cols to a row, each in a cell as large as
// the largest image, with gap pixels between cells and around the edge.
// A nil image leaves its cell empty. Grid panics if cols < 1.
func Grid(images []image.Image, cols, gap int) *image.NRGBA {
	if cols < 1 {
		panic("montage: cols < 1")
	}
	cw, ch := cellSize(images)
	rows := (len(images) + cols - 1) / cols
	if len(images) < cols {
		cols = max(len(images), 1)
	}
	out := image.NewNRGBA(image.Rect(0, 0,
		gap+cols*(cw+gap), gap+max(rows, 1)*(ch+gap)))
	draw.Draw(out, out.Bounds(), image.NewUniform(Background), image.Point{}, draw.Src)
	for i, img := range images {
		if img == nil {
			continue
		}
		x := gap + (i%cols)*(cw+gap)
		y := gap + (i/cols)*(ch+gap)
		b := img.Bounds()
		draw.Draw(out, image.Rect(x, y, x+b.Dx(), y+b.Dy()), img, b.Min, draw.Src)
	}
	return out
}

func cellSize(images []image.Image) (w, h int) {
	for _, img := range images {
		if img == nil {
			continue
		}
		b := img.Bounds()
		w = max(w, b.Dx())
		h = max(h, b.Dy())
	}
	return max(w, 1), max(h, 1)
}

// WritePNG encodes img as PNG and writes it to path atomically.
func WritePNG(path string, img image.Image) error {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, buf.Bytes(), 0o644)
}
