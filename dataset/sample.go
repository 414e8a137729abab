package dataset

import (
	"errors"
	"fmt"
	"strings"
)

// Sample is one face and its metadata.
type Sample struct {
	// Key names the sample within the dataset; see ValidKey.
	Key string
	// Shard is the file name (no folder) of the shard the sample was read
	// from; it is ignored when writing.
	Shard string
	// PNG is the encoded face.
	PNG []byte
	// Meta describes where the face came from.
	Meta Meta
}

// Meta is the content of a sample's KEY.json member.
type Meta struct {
	// Source is the path of the source image, relative to the folder the
	// dataset was made from.
	Source string `json:"source"`
	// SourceSHA256 is the hex SHA-256 of the source file's bytes.
	SourceSHA256 string `json:"source_sha256"`
	// Box is the face [x, y, w, h] as detected, in source pixels. For faces
	// imported without detection it is the whole source image.
	Box [4]int `json:"box"`
	// Crop is the region [x, y, w, h] of the source that was resized into
	// the face; it may reach outside the source where the source was padded.
	Crop [4]int `json:"crop"`
	// Size is the side of the square face in pixels.
	Size int `json:"size"`
	// Margin is the fraction of the box added on each side before cropping.
	Margin float64 `json:"margin"`
	// Detector says how the face was found; nil for imported faces.
	Detector *Detector `json:"detector,omitempty"`
}

// Detector records the face detector and the settings that found a face.
type Detector struct {
	Name          string  `json:"name"`
	CascadeSHA256 string  `json:"cascade_sha256,omitempty"`
	ScaleFactor   float64 `json:"scale_factor"`
	MinNeighbors  int     `json:"min_neighbors"`
	MinFace       int     `json:"min_face"`
}

// ErrKey reports a key that cannot name a sample.
var ErrKey = errors.New("invalid sample key")

// ValidKey reports whether key can name a sample: not empty, at most 200
// bytes, printable ASCII without dot, slash, backslash or space.
func ValidKey(key string) error {
	if key == "" || len(key) > 200 {
		return fmt.Errorf("%w %q: empty or longer than 200 bytes", ErrKey, key)
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`./\`, c) >= 0 {
			return fmt.Errorf("%w %q: byte %q not allowed", ErrKey, key, c)
		}
	}
	return nil
}

// SampleError reports a sample that could not be read or is malformed.
type SampleError struct {
	Shard string // shard file name
	Key   string // empty when no key could be read
	Err   error
}

func (e *SampleError) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("%s: %v", e.Shard, e.Err)
	}
	return fmt.Sprintf("%s: sample %s: %v", e.Shard, e.Key, e.Err)
}

func (e *SampleError) Unwrap() error { return e.Err }
