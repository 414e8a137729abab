package imagefile

import "bytes"

// SniffLen is how many leading bytes Sniff needs.
const SniffLen = 16

// Sniff returns the format whose signature starts head ("jpeg", "png",
// "gif", "webp", "bmp", "tiff"), or "" when none does. It lets a caller
// pass over files that are not images without reading them whole.
func Sniff(head []byte) string {
	has := func(sig string) bool { return bytes.HasPrefix(head, []byte(sig)) }
	switch {
	case has("\xff\xd8\xff"):
		return "jpeg"
	case has("\x89PNG\r\n\x1a\n"):
		return "png"
	case has("GIF87a"), has("GIF89a"):
		return "gif"
	case has("RIFF") && len(head) >= 12 && string(head[8:12]) == "WEBP":
		return "webp"
	case has("BM"):
		return "bmp"
	case has("II*\x00"), has("MM\x00*"):
		return "tiff"
	}
	return ""
}
