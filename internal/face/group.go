package face

/*
#include "group.h"
*/
import "C"

import "image"

// groupEps is how far apart, as a fraction of their size, two hits of the
// cascade may lie and still be one face: OpenCV's detectMultiScale uses
// 0.2.
const groupEps = 0.2

// group merges a cascade's raw hits into faces exactly as detectMultiScale
// does: hits that overlap closely form a group, a group of minNeighbors
// hits or fewer is dropped, each other group becomes the average of its
// hits, and a small group inside a larger, stronger one is dropped. gocv
// v0.31.0 wraps cv::groupRectangles, but its wrapper never frees the
// rectangles it returns.
func group(hits []image.Rectangle, minNeighbors int) []image.Rectangle {
	if len(hits) == 0 {
		return nil
	}
	buf := make([]C.int, 4*len(hits))
	for i, r := range hits {
		buf[4*i], buf[4*i+1] = C.int(r.Min.X), C.int(r.Min.Y)
		buf[4*i+2], buf[4*i+3] = C.int(r.Dx()), C.int(r.Dy())
	}
	n := int(C.face_group_rectangles(&buf[0], C.int(len(hits)), C.int(minNeighbors),
		groupEps))
	faces := make([]image.Rectangle, n)
	for i := range faces {
		x, y := int(buf[4*i]), int(buf[4*i+1])
		faces[i] = image.Rect(x, y, x+int(buf[4*i+2]), y+int(buf[4*i+3]))
	}
	return faces
}
