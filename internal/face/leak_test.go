//go:build matprofile

package face

import (
	"image"
	"os"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"
)

// TestNoMatLeak opens, detects and cuts an illustration with transparency
// and checks that every Mat is closed. Run it with -tags matprofile.
func TestNoMatLeak(t *testing.T) {
	path := filepath.Join("/usr/share/games/renpy/the_question/game/images",
		"sylvie green smile.png")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDetector(animeFace(t), DefaultSettings)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	before := gocv.MatProfile.Count()
	for i := 0; i < 3; i++ {
		p, err := Open(data, 0)
		if err != nil {
			t.Fatal(err)
		}
		boxes, err := d.Detect(p.Pixels)
		if err != nil || len(boxes) != 1 {
			t.Fatalf("Detect = %v, %v", boxes, err)
		}
		b := image.Rect(0, 0, p.Pixels.Cols(), p.Pixels.Rows())
		if _, err := p.Cut([]image.Rectangle{Square(boxes[0], 0.2, b)}, 64); err != nil {
			t.Fatal(err)
		}
		p.Close()
	}
	if n := gocv.MatProfile.Count() - before; n != 0 {
		t.Errorf("%d Mats left open", n)
	}
}
