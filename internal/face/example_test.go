package face_test

import (
	"fmt"
	"image"

	"animeface/internal/face"
)

// A face near the top edge of a 640×480 illustration: the square grows by
// the margin, then shifts down to stay inside rather than shrink.
func ExampleSquare() {
	box := image.Rect(300, 10, 400, 110) // x, y, then x+w, y+h
	bounds := image.Rect(0, 0, 640, 480)
	fmt.Println(face.Square(box, 0.2, bounds))

	// In a 120-pixel-high banner the 140-pixel square cannot fit: it covers
	// the whole height and the rest is padded.
	fmt.Println(face.Square(box, 0.2, image.Rect(0, 0, 640, 120)))
	// Output:
	// (280,0)-(420,140)
	// (280,-10)-(420,130)
}
