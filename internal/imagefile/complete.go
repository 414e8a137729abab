package imagefile

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// checkComplete looks for the end of the image data where a format makes
// that possible without decoding. OpenCV's JPEG reader, for one, fills a
// truncated file's missing rows with grey and reports success.
func checkComplete(format string, data []byte) error {
	var ok bool
	switch format {
	case "jpeg":
		ok = jpegComplete(data)
	case "png":
		ok = pngComplete(data)
	case "webp":
		ok = riffComplete(data)
	case "bmp":
		ok = bmpComplete(data)
	default:
		return nil
	}
	if !ok {
		return fmt.Errorf("%w: %s data ends early (%d bytes)",
			ErrTruncated, format, len(data))
	}
	return nil
}

// jpegComplete reports whether an end-of-image marker follows the first
// start-of-scan marker. The segments before the scan are walked by their
// lengths, so an EXIF thumbnail's end marker does not count.
func jpegComplete(data []byte) bool {
	i := 2 // after SOI
	for i+4 <= len(data) {
		if data[i] != 0xff {
			return false
		}
		marker := data[i+1]
		switch {
		case marker == 0xff: // fill byte
			i++
			continue
		case marker == 0xd8 || marker >= 0xd0 && marker <= 0xd7 || marker == 0x01:
			i += 2
			continue
		case marker == 0xd9:
			return false // end of image before any scan
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if marker == 0xda {
			scan := i + 2 + n
			return scan <= len(data) &&
				bytes.LastIndex(data[scan:], []byte{0xff, 0xd9}) >= 0
		}
		i += 2 + n
	}
	return false
}

// pngComplete walks the chunks by their lengths and reports whether an
// IEND chunk is reached inside the data.
func pngComplete(data []byte) bool {
	i := 8 // after the signature
	for i+12 <= len(data) {
		n := int(binary.BigEndian.Uint32(data[i:]))
		if n < 0 || n > len(data) {
			return false
		}
		if string(data[i+4:i+8]) == "IEND" {
			return true
		}
		i += 12 + n
	}
	return false
}

// riffComplete reports whether a RIFF container (WebP) holds all the bytes
// its header announces.
func riffComplete(data []byte) bool {
	if len(data) < 12 {
		return false
	}
	n := int64(binary.LittleEndian.Uint32(data[4:]))
	return int64(len(data)) >= 8+n
}

// bmpComplete reports whether an uncompressed BMP holds every pixel row its
// header announces; compressed BMPs are left to the decoder.
func bmpComplete(data []byte) bool {
	if len(data) < 54 {
		return false
	}
	offset := int64(binary.LittleEndian.Uint32(data[10:]))
	headerSize := binary.LittleEndian.Uint32(data[14:])
	if headerSize < 40 {
		return true // OS/2 header: left to the decoder
	}
	w := int64(int32(binary.LittleEndian.Uint32(data[18:])))
	h := int64(int32(binary.LittleEndian.Uint32(data[22:])))
	bpp := int64(binary.LittleEndian.Uint16(data[28:]))
	compression := binary.LittleEndian.Uint32(data[30:])
	if compression != 0 && compression != 3 {
		return true
	}
	if h < 0 {
		h = -h
	}
	row := (w*bpp + 31) / 32 * 4
	return int64(len(data)) >= offset+row*h
}

// DropPNGChunks returns data without the PNG chunks of the given type, or
// data itself when it is not a PNG or holds none; data is not modified.
// libpng warns on stderr about some colour profiles (iCCP) that OpenCV
// never applies: dropping them keeps the output readable and leaves the
// pixels as they are.
func DropPNGChunks(data []byte, typ string) []byte {
	if !bytes.HasPrefix(data, []byte(pngSignature)) {
		return data
	}
	out := data[:8:8] // the first append copies
	dropped := false
	i := 8
	for i+12 <= len(data) {
		end := i + 12 + int(binary.BigEndian.Uint32(data[i:]))
		if end > len(data) {
			break
		}
		if string(data[i+4:i+8]) == typ {
			dropped = true
		} else {
			out = append(out, data[i:end]...)
		}
		i = end
	}
	if !dropped {
		return data
	}
	return append(out, data[i:]...) // whatever could not be parsed, as it was
}

const pngSignature = "\x89PNG\r\n\x1a\n"
