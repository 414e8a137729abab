package dataset

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"animeface/internal/testdata"
)

// realFaces encodes the first n faces of the shared getchu set as samples.
func realFaces(t testing.TB, n int) []Sample {
	t.Helper()
	dir := testdata.Path(t, "data", "faces-getchu-64")
	names, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []Sample
	for _, e := range names[:n] {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		img, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		key := strings.ReplaceAll(strings.TrimSuffix(e.Name(), ".jpg"), ".", "_")
		out = append(out, Sample{Key: key, PNG: buf.Bytes(), Meta: Meta{
			Source: e.Name(), Size: img.Bounds().Dx(),
			Box: [4]int{0, 0, 64, 64}, Crop: [4]int{0, 0, 64, 64},
		}})
	}
	return out
}

// writeGroups writes samples in groups of groupSize, one record per group.
func writeGroups(t testing.TB, dir string, opts WriterOptions, samples []Sample,
	groupSize int) {
	t.Helper()
	w, err := NewWriter(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(samples); i += groupSize {
		g := samples[i:min(i+groupSize, len(samples))]
		if err := w.AddGroup(g, g[0].Meta.Source); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func readAll(t testing.TB, dir string, opts ReadOptions) []Sample {
	t.Helper()
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []Sample
	if err := d.Each(context.Background(), opts, func(s Sample) error {
		got = append(got, s)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return got
}

func keys(samples []Sample) []string {
	var k []string
	for _, s := range samples {
		k = append(k, s.Key)
	}
	return k
}

func TestRoundTrip(t *testing.T) {
	samples := realFaces(t, 25)
	dir := t.TempDir()
	writeGroups(t, dir, WriterOptions{ShardSize: 10}, samples, 3)

	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	// A group of 3 is never split: a shard closes when the next group would
	// take it past 10, so the shards hold 9, 9 and 7 faces.
	want := []string{"faces-000000.tar", "faces-000001.tar", "faces-000002.tar"}
	if !slices.Equal(d.Shards, want) {
		t.Fatalf("shards = %v, want %v", d.Shards, want)
	}
	for i, n := range []int{9, 9, 7} {
		if got := countMembers(t, filepath.Join(dir, want[i])) / 2; got != n {
			t.Errorf("%s holds %d samples, want %d", want[i], got, n)
		}
	}
	got := readAll(t, dir, ReadOptions{})
	if !slices.Equal(keys(got), keys(samples)) {
		t.Fatalf("keys = %v, want %v", keys(got), keys(samples))
	}
	for i := range got {
		if !bytes.Equal(got[i].PNG, samples[i].PNG) || got[i].Meta != samples[i].Meta {
			t.Errorf("sample %s differs after the round trip", got[i].Key)
		}
	}
}

func countMembers(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	tr := tar.NewReader(f)
	for {
		if _, err := tr.Next(); err != nil {
			return n
		}
		n++
	}
}

// TestWebDatasetLayout checks the tar as WebDataset reads it: members of a
// sample adjacent, the key ending at the first dot, plain USTAR files.
func TestWebDatasetLayout(t *testing.T) {
	samples := realFaces(t, 4)
	dir := t.TempDir()
	writeGroups(t, dir, WriterOptions{}, samples, 1)

	f, err := os.Open(filepath.Join(dir, "faces-000000.tar"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	var names []string
	for {
		hdr, err := tr.Next()
		if err != nil {
			break
		}
		if hdr.Typeflag != tar.TypeReg || hdr.Format&tar.FormatUSTAR == 0 {
			t.Errorf("%s: type %c format %v", hdr.Name, hdr.Typeflag, hdr.Format)
		}
		names = append(names, hdr.Name)
	}
	var want []string
	for _, s := range samples {
		want = append(want, s.Key+".png", s.Key+".json")
	}
	if !slices.Equal(names, want) {
		t.Errorf("members = %v, want %v", names, want)
	}
}

func TestKeysRejected(t *testing.T) {
	for _, key := range []string{"", "a.b", "a/b", "a b", strings.Repeat("k", 201), "é"} {
		t.Run(fmt.Sprintf("%q", key), func(t *testing.T) {
			w, err := NewWriter(t.TempDir(), WriterOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			err = w.AddGroup([]Sample{{Key: key, PNG: []byte("x")}}, nil)
			if !errors.Is(err, ErrKey) {
				t.Errorf("AddGroup(%q) = %v, want ErrKey", key, err)
			}
		})
	}
}

func TestCommittedAfterReopen(t *testing.T) {
	samples := realFaces(t, 7)
	dir := t.TempDir()
	writeGroups(t, dir, WriterOptions{ShardSize: 4}, samples, 2)

	w, err := NewWriter(dir, WriterOptions{ShardSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Note("no-face.png"); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	w, err = NewWriter(dir, WriterOptions{ShardSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var got []string
	for _, raw := range w.Committed() {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	want := []string{samples[0].Meta.Source, samples[2].Meta.Source,
		samples[4].Meta.Source, samples[6].Meta.Source, "no-face.png"}
	if !slices.Equal(got, want) {
		t.Errorf("committed = %v, want %v", got, want)
	}
}

// TestRecovery plants what a writer killed at each point of a commit leaves
// behind and checks that the next writer makes it whole or drops it.
func TestRecovery(t *testing.T) {
	samples := realFaces(t, 4)
	tests := []struct {
		name          string
		damage        func(t *testing.T, dir string)
		wantShards    []string
		wantCommitted int
	}{
		{
			name: "killed before the journal line",
			damage: func(t *testing.T, dir string) {
				rename(t, dir, "faces-000001.tar", ".faces-000001.tar.tmp")
				truncateJournal(t, dir, 1)
			},
			wantShards:    []string{"faces-000000.tar"},
			wantCommitted: 2,
		},
		{
			name: "killed between the journal line and the rename",
			damage: func(t *testing.T, dir string) {
				rename(t, dir, "faces-000001.tar", ".faces-000001.tar.tmp")
			},
			wantShards:    []string{"faces-000000.tar", "faces-000001.tar"},
			wantCommitted: 4,
		},
		{
			name: "killed while appending the journal line",
			damage: func(t *testing.T, dir string) {
				rename(t, dir, "faces-000001.tar", ".faces-000001.tar.tmp")
				truncateJournal(t, dir, 1)
				appendFile(t, filepath.Join(dir, JournalName("faces")), `{"shard":"fa`)
			},
			wantShards:    []string{"faces-000000.tar"},
			wantCommitted: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeGroups(t, dir, WriterOptions{ShardSize: 2}, samples, 1)
			tt.damage(t, dir)

			w, err := NewWriter(dir, WriterOptions{ShardSize: 2})
			if err != nil {
				t.Fatal(err)
			}
			if n := len(w.Committed()); n != tt.wantCommitted {
				t.Errorf("committed %d records, want %d", n, tt.wantCommitted)
			}

			// Redo what was lost, as a rerun would, and check the whole.
			for _, s := range samples[len(w.Committed()):] {
				if err := w.AddGroup([]Sample{s}, s.Meta.Source); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			d, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(d.Shards[:len(tt.wantShards)], tt.wantShards) {
				t.Errorf("shards = %v, want prefix %v", d.Shards, tt.wantShards)
			}
			if got := keys(readAll(t, dir, ReadOptions{})); !slices.Equal(got, keys(samples)) {
				t.Errorf("keys after redo = %v, want %v", got, keys(samples))
			}
			assertNoTemporaries(t, dir)
		})
	}
}

func rename(t *testing.T, dir, from, to string) {
	t.Helper()
	if err := os.Rename(filepath.Join(dir, from), filepath.Join(dir, to)); err != nil {
		t.Fatal(err)
	}
}

// truncateJournal keeps the first n lines of the journal.
func truncateJournal(t *testing.T, dir string, n int) {
	t.Helper()
	path := filepath.Join(dir, JournalName("faces"))
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	if err := os.WriteFile(path, []byte(strings.Join(lines[:n], "")), 0o644); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

func assertNoTemporaries(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

func TestSecondWriterLocked(t *testing.T) {
	dir := t.TempDir()
	w, err := NewWriter(dir, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := NewWriter(dir, WriterOptions{}); !errors.Is(err, ErrLocked) {
		t.Errorf("second writer: %v, want ErrLocked", err)
	}
	other, err := NewWriter(dir, WriterOptions{Prefix: "faces-p1of2"})
	if err != nil {
		t.Fatalf("writer with another prefix: %v", err)
	}
	other.Close()
}

func TestShuffle(t *testing.T) {
	samples := realFaces(t, 40)
	dir := t.TempDir()
	writeGroups(t, dir, WriterOptions{ShardSize: 10}, samples, 1)

	a := keys(readAll(t, dir, ReadOptions{Shuffle: 16, Seed: 1}))
	b := keys(readAll(t, dir, ReadOptions{Shuffle: 16, Seed: 1}))
	c := keys(readAll(t, dir, ReadOptions{Shuffle: 16, Seed: 2}))
	if !slices.Equal(a, b) {
		t.Error("same seed gave different orders")
	}
	if slices.Equal(a, c) {
		t.Error("different seeds gave the same order")
	}
	if slices.Equal(a, keys(samples)) {
		t.Error("shuffled order equals the written order")
	}
	slices.Sort(a)
	want := keys(samples)
	slices.Sort(want)
	if !slices.Equal(a, want) {
		t.Error("shuffle lost or repeated samples")
	}
}

// TestDamagedShards checks that damage costs only the damaged samples.
func TestDamagedShards(t *testing.T) {
	samples := realFaces(t, 6)
	tests := []struct {
		name     string
		damage   func(t *testing.T, path string)
		wantKeys int
	}{
		{"cut in the last sample", func(t *testing.T, path string) {
			fi, _ := os.Stat(path)
			os.Truncate(path, fi.Size()-2048)
		}, 5},
		{"zero bytes", func(t *testing.T, path string) {
			os.Truncate(path, 0)
		}, 0},
		{"bad metadata", func(t *testing.T, path string) {
			replaceInFile(t, path, `"source":"`, `"source":9`)
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeGroups(t, dir, WriterOptions{}, samples, 1)
			tt.damage(t, filepath.Join(dir, "faces-000000.tar"))

			d, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			var got []Sample
			var bad []error
			err = d.Each(context.Background(), ReadOptions{
				Bad: func(err error) { bad = append(bad, err) },
			}, func(s Sample) error { got = append(got, s); return nil })
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.wantKeys {
				t.Errorf("read %d samples, want %d", len(got), tt.wantKeys)
			}
			if len(got) < len(samples) && len(bad) == 0 {
				t.Error("damage went unreported")
			}
			var se *SampleError
			for _, err := range bad {
				if !errors.As(err, &se) {
					t.Errorf("error %v is not a *SampleError", err)
				}
			}

			// Without Bad, the first damage stops the read.
			if len(bad) > 0 {
				err := d.Each(context.Background(), ReadOptions{},
					func(Sample) error { return nil })
				if !errors.As(err, &se) {
					t.Errorf("strict read: %v, want a *SampleError", err)
				}
			}
		})
	}
}

func replaceInFile(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(old)) {
		t.Fatalf("%q not in %s", old, path)
	}
	// Keep the length so the tar structure survives.
	data = bytes.ReplaceAll(data, []byte(old), []byte(new[:len(old)]))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDecodeImagesKeepsOrder(t *testing.T) {
	samples := realFaces(t, 30)
	samples[7].PNG = samples[7].PNG[:100] // a face cut short
	dir := t.TempDir()
	writeGroups(t, dir, WriterOptions{ShardSize: 8}, samples, 1)
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}

	var got []string
	var bad []error
	err = DecodeImages(context.Background(), d, ReadOptions{
		Bad: func(err error) { bad = append(bad, err) },
	}, 4, func(s Sample, img *image.NRGBA) error {
		if img.Rect.Dx() != 64 {
			t.Errorf("%s: width %d", s.Key, img.Rect.Dx())
		}
		got = append(got, s.Key)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Delete(keys(samples), 7, 8)
	if !slices.Equal(got, want) {
		t.Errorf("order = %v, want %v", got, want)
	}
	if len(bad) != 1 || !strings.Contains(bad[0].Error(), samples[7].Key) {
		t.Errorf("bad = %v, want one error naming %s", bad, samples[7].Key)
	}
}

func TestDecodeImagesStopsOnError(t *testing.T) {
	dir := t.TempDir()
	writeGroups(t, dir, WriterOptions{ShardSize: 5}, realFaces(t, 20), 1)
	d, _ := Open(dir)
	stop := errors.New("stop")
	n := 0
	err := DecodeImages(context.Background(), d, ReadOptions{}, 2,
		func(Sample, *image.NRGBA) error {
			if n++; n == 3 {
				return stop
			}
			return nil
		})
	if !errors.Is(err, stop) || n != 3 {
		t.Errorf("err = %v after %d samples, want stop after 3", err, n)
	}
}

func TestVerify(t *testing.T) {
	samples := realFaces(t, 6)
	samples[1].Meta.Size = 96
	samples[2].Meta.Source = ""
	samples[3].PNG = []byte("not a png")
	samples[5].Key = samples[0].Key
	dir := t.TempDir()
	writeGroups(t, dir, WriterOptions{}, samples, 1)
	d, _ := Open(dir)

	r, err := Verify(context.Background(), d, 2)
	if err != nil {
		t.Fatal(err)
	}
	if r.Samples != 2 || len(r.Problems) != 4 {
		t.Errorf("verified %d, problems %v; want 2 and 4", r.Samples, r.Problems)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(t.TempDir()); !errors.Is(err, ErrNoShards) {
		t.Errorf("empty folder: %v, want ErrNoShards", err)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing folder: %v, want not-exist", err)
	}
}

func TestHoldout(t *testing.T) {
	const n = 20000
	held := 0
	for i := range n {
		key := fmt.Sprintf("face%05d", i)
		if Holdout(key, 0.1) {
			held++
		}
		if Holdout(key, 0.1) != Holdout(key, 0.1) || Holdout(key, 0) {
			t.Fatal("membership not a function of the key")
		}
	}
	if share := float64(held) / n; share < 0.09 || share > 0.11 {
		t.Errorf("held out %.3f, want about 0.1", share)
	}

	// Keys that differ only in their last characters must spread too.
	held = 0
	for i := range 26 * 26 {
		key := fmt.Sprintf("face%c%c", 'a'+i/26, 'a'+i%26)
		if Holdout(key, 0.1) {
			held++
		}
	}
	if held < 40 || held > 100 {
		t.Errorf("held out %d of %d keys with a common prefix, want about 68",
			held, 26*26)
	}
}
