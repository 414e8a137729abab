// Package imagefiletest writes the bad inputs that every command reading
// illustrations must survive, for tests.
package imagefiletest

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
)

// Bad is one bad input written by WriteBad.
type Bad struct {
	Name   string // path relative to the folder
	Reason string // imagefile.Reason of the expected error, "" if no error
}

// WriteBad writes into dir: a zero-byte file, a text file named like an
// image, a truncated JPEG and PNG, a folder named x.png, a symbolic link
// looping back to dir, and a 20000×20000 PNG of zeros (about 0.5 MB on disk,
// 400 MB decoded). It returns what it wrote. Folders and links are not
// image files at all, so their Reason is "".
func WriteBad(dir string) ([]Bad, error) {
	good, err := encode(Pattern(200, 150), "jpeg")
	if err != nil {
		return nil, err
	}
	goodPNG, err := encode(Pattern(200, 150), "png")
	if err != nil {
		return nil, err
	}
	bomb, err := Bomb(20000, 20000)
	if err != nil {
		return nil, err
	}
	files := []struct {
		name, reason string
		data         []byte
	}{
		{"empty.jpg", "empty", nil},
		{"notes.png", "not-image", []byte("these are not the pixels you are looking for\n")},
		{"truncated.jpg", "truncated", good[:len(good)/2]},
		{"truncated.png", "truncated", goodPNG[:len(goodPNG)/2]},
		{"bomb.png", "too-large", bomb},
	}
	var out []Bad
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.data, 0o644); err != nil {
			return nil, err
		}
		out = append(out, Bad{f.name, f.reason})
	}
	if err := os.Mkdir(filepath.Join(dir, "x.png"), 0o755); err != nil {
		return nil, err
	}
	if err := os.Symlink("..", filepath.Join(dir, "x.png", "loop")); err != nil {
		return nil, err
	}
	return append(out, Bad{"x.png", ""}, Bad{"x.png/loop", ""}), nil
}

// Pattern returns a deterministic w×h picture of smooth gradients.
func Pattern(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetNRGBA(x, y, color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h),
				uint8((x + y) % 256), 255})
		}
	}
	return img
}

func encode(img image.Image, format string) ([]byte, error) {
	var buf bytes.Buffer
	var err error
	if format == "jpeg" {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90})
	} else {
		err = png.Encode(&buf, img)
	}
	return buf.Bytes(), err
}

// Bomb returns a valid grayscale PNG of w×h zero pixels, built row by row
// so that making it costs little memory.
func Bomb(w, h int) ([]byte, error) {
	var idat bytes.Buffer
	zw, err := zlib.NewWriterLevel(&idat, zlib.BestCompression)
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(zw, 1<<16)
	row := make([]byte, w+1) // filter byte + pixels
	for y := 0; y < h; y++ {
		if _, err := bw.Write(row); err != nil {
			return nil, err
		}
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}

	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8] = 8 // bit depth; colour type 0 (gray), no interlace
	chunk(&out, "IHDR", ihdr)
	chunk(&out, "IDAT", idat.Bytes())
	chunk(&out, "IEND", nil)
	return out.Bytes(), nil
}

func chunk(out *bytes.Buffer, typ string, data []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	out.Write(n[:])
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	out.WriteString(typ)
	out.Write(data)
	binary.BigEndian.PutUint32(n[:], crc.Sum32())
	out.Write(n[:])
}
