package crop

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"image"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"animeface/internal/face"
	"animeface/internal/testdata"
)

// shrunkHysts writes the hysts illustration (38 faces, 88 to 384 pixels
// wide) shrunk to 768 pixels square as in/hysts768.png: its faces then
// span 22 to 96 pixels, on both sides of the default min face.
func shrunkHysts(t *testing.T, in string) string {
	t.Helper()
	src := gocv.IMRead(testdata.Path(t, "data", "illustrations", "hysts", "input.jpg"),
		gocv.IMReadColor)
	defer src.Close()
	if src.Empty() {
		t.Fatal("hysts input.jpg: OpenCV could not read it")
	}
	small := gocv.NewMat()
	defer small.Close()
	gocv.Resize(src, &small, image.Pt(768, 768), 0, 0, gocv.InterpolationArea)
	name := "hysts768.png"
	if !gocv.IMWrite(filepath.Join(in, name), small) {
		t.Fatal("write the shrunk illustration")
	}
	return name
}

// detectFile runs a detector from minSize on the file at path.
func detectFile(t *testing.T, path string, minSize int) []image.Rectangle {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pic, err := face.Open(data, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer pic.Close()
	s := face.DefaultSettings
	s.MinSize = minSize
	d, err := face.NewDetector(testdata.Path(t, "cascades", "lbpcascade_animeface.xml"), s)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	boxes, err := d.Detect(pic.Pixels)
	if err != nil {
		t.Fatal(err)
	}
	return boxes
}

// readRecords returns the index's records by source.
func readRecords(t *testing.T, dir string) map[string]Record {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "faces.index.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs := map[string]Record{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var line struct{ Records []Record }
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatal(err)
		}
		for _, r := range line.Records {
			recs[r.Source] = r
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return recs
}

// TestRejectedFaces crops an illustration with faces on both sides of the
// min face and checks the index against two plain detectors: one from the
// cascade's window (what the search finds) and one from the min face
// (what must be kept).
func TestRejectedFaces(t *testing.T) {
	in := t.TempDir()
	name := shrunkHysts(t, in)
	o := testOptions(t, in, t.TempDir())
	minFace := AutoMinFace(o.Size, o.Margin)

	all := detectFile(t, filepath.Join(in, name), 0)
	want := detectFile(t, filepath.Join(in, name), minFace)
	var wantRejected [][4]int
	for _, b := range all {
		if b.Dx() >= minFace && b.Dy() >= minFace {
			continue
		}
		// A small box centred in a kept face is that face, not another.
		c := image.Pt((b.Min.X+b.Max.X)/2, (b.Min.Y+b.Max.Y)/2)
		if !slices.ContainsFunc(want, func(k image.Rectangle) bool { return c.In(k) }) {
			wantRejected = append(wantRejected, rect4(b))
		}
	}
	if len(want) < 20 || len(wantRejected) < 3 {
		t.Fatalf("%d faces from %d and %d below: the picture does not test rejection",
			len(want), minFace, len(wantRejected))
	}

	sum, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Faces != len(want) || sum.Rejected[TooSmall] != len(wantRejected) ||
		len(sum.Rejected) != 1 {
		t.Errorf("summary: %d faces, rejected %v; want %d faces, %d %s", sum.Faces,
			sum.Rejected, len(want), len(wantRejected), TooSmall)
	}

	// The index lists the rejected boxes, in Detect's order.
	rec := readRecords(t, o.Out)[name]
	var gotRejected [][4]int
	for _, r := range rec.Rejected {
		gotRejected = append(gotRejected, r.Box)
		if r.Reason != TooSmall {
			t.Errorf("rejected %v: reason %q, want %q", r.Box, r.Reason, TooSmall)
		}
	}
	if rec.Faces != len(want) || !slices.Equal(gotRejected, wantRejected) {
		t.Errorf("record %d faces, rejected %v;\nwant %d faces, rejected %v",
			rec.Faces, gotRejected, len(want), wantRejected)
	}

	// The faces kept are numbered among themselves.
	samples := readDataset(t, o.Out)
	for i, b := range want {
		s, ok := samples[Key(name, i)]
		if !ok || s.Meta.Box != rect4(b) {
			t.Errorf("face %d: sample %v with box %v, want box %v", i, ok, s.Meta.Box,
				rect4(b))
		}
	}
	if len(samples) != len(want) {
		t.Errorf("%d samples, want %d", len(samples), len(want))
	}

	// Searching from the min face keeps the same faces and rejects none.
	fast := testOptions(t, in, t.TempDir())
	fast.SearchMin = minFace
	fsum, err := Run(context.Background(), fast)
	if err != nil {
		t.Fatal(err)
	}
	a, errA := os.ReadFile(filepath.Join(o.Out, "faces-000000.tar"))
	b, errB := os.ReadFile(filepath.Join(fast.Out, "faces-000000.tar"))
	if errA != nil || errB != nil || !bytes.Equal(a, b) {
		t.Errorf("search from %d wrote other shards (%v, %v)", minFace, errA, errB)
	}
	if len(fsum.Rejected) != 0 || readRecords(t, fast.Out)[name].Rejected != nil {
		t.Errorf("search from the min face rejected %v", fsum.Rejected)
	}

	// A rerun, with either search, finds the source done.
	for _, searchMin := range []int{0, minFace} {
		o.SearchMin = searchMin
		sum, err := Run(context.Background(), o)
		if err != nil || sum.Processed != 0 || sum.AlreadyDone != 1 {
			t.Errorf("rerun from %d: %+v, %v; want the file already done",
				searchMin, sum, err)
		}
	}

	// A search that starts above the faces kept could not list the faces
	// between.
	o.SearchMin = minFace + 1
	o.Out = filepath.Join(t.TempDir(), "never")
	_, err = Run(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "above min face") {
		t.Errorf("search min above min face: err = %v", err)
	}
	if _, serr := os.Stat(o.Out); serr == nil {
		t.Errorf("the refused run created %s", o.Out)
	}
}
