package crop

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"

	"animeface/internal/imagefile"
)

// readSource reads a source whole and hashes it, after a look at its first
// bytes: a file that is not an image by content is not read further.
func readSource(src Source) (data []byte, sha string, err error) {
	f, err := os.Open(src.Path)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, "", err
	}
	if st.Size() == 0 {
		return nil, "", imagefile.ErrEmpty
	}
	head := make([]byte, imagefile.SniffLen)
	n, _ := io.ReadFull(f, head)
	if imagefile.Sniff(head[:n]) == "" {
		return nil, "", imagefile.ErrNotImage
	}

	data = make([]byte, 0, st.Size())
	data = append(data, head[:n]...)
	buf := bytes.NewBuffer(data)
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, "", fmt.Errorf("read: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return buf.Bytes(), hex.EncodeToString(sum[:]), nil
}

// encodePNG encodes a face; the same pixels always give the same bytes.
func encodePNG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// rect4 converts a rectangle to the [x, y, w, h] of the sample metadata.
func rect4(r image.Rectangle) [4]int {
	return [4]int{r.Min.X, r.Min.Y, r.Dx(), r.Dy()}
}
