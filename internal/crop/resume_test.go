package crop

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"animeface/internal/imagefile/imagefiletest"
	"animeface/internal/testdata"
)

// childEnv holds, in a child test process, the JSON Options to run.
const childEnv = "CROP_TEST_CHILD_OPTIONS"

// TestMain lets a test start Run in a child process it can kill.
func TestMain(m *testing.M) {
	if raw := os.Getenv(childEnv); raw != "" {
		os.Exit(runChild(raw))
	}
	os.Exit(m.Run())
}

func runChild(raw string) int {
	var o Options
	if err := json.Unmarshal([]byte(raw), &o); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	sum, err := Run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	json.NewEncoder(os.Stdout).Encode(sum)
	return 0
}

// faceFolder links a few illustrations with faces, and a
// few without, into a new folder: 20 faces at the default settings.
func faceFolder(t *testing.T) string {
	dir := t.TempDir()
	files := []string{
		renpy + "/demo/game/images/concert1.png",
		renpy + "/demo/game/images/concert2.png",
		renpy + "/demo/game/images/eileen happy.png",
		renpy + "/demo/game/images/lucy happy.png",
		renpy + "/demo/game/images/bg washington.jpg",
		renpy + "/launcher/skin/skin_background.jpg",
		testdata.Path(t, "data", "illustrations", "grapeot", "112032.jpg"),
		testdata.Path(t, "data", "illustrations", "grapeot", "164032.jpg"),
		testdata.Path(t, "data", "illustrations", "grapeot", "57032.jpg"),
	}
	matches, err := filepath.Glob(renpy + "/the_question/game/images/sylvie*.png")
	if err != nil || len(matches) < 8 {
		t.Fatalf("renpy sprites: %v %v", matches, err)
	}
	for _, f := range append(files, matches...) {
		if err := os.Symlink(f, filepath.Join(dir, filepath.Base(f))); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// startChild runs Run(o) in a child process.
func startChild(t *testing.T, o Options) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	raw, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childEnv+"="+string(raw))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &out
}

// waitForShards waits until the journal in dir records n shards.
func waitForShards(t *testing.T, dir string, n int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if countShardLines(dir) >= n {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no %d shards committed in %s within a minute", n, dir)
}

func countShardLines(dir string) int {
	f, err := os.Open(filepath.Join(dir, "faces.index.jsonl"))
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), `{"shard":`) {
			n++
		}
	}
	return n
}

// sameSamples fails unless two datasets hold the same keys with the same
// PNG bytes and metadata.
func sameSamples(t *testing.T, gotDir, wantDir string) {
	t.Helper()
	got, want := readDataset(t, gotDir), readDataset(t, wantDir)
	if len(got) != len(want) {
		t.Errorf("%d samples, want %d", len(got), len(want))
	}
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			t.Errorf("sample %s lost", k)
		case !bytes.Equal(g.PNG, w.PNG):
			t.Errorf("sample %s: PNG differs", k)
		case g.Meta.Source != w.Meta.Source || g.Meta.Box != w.Meta.Box ||
			g.Meta.Crop != w.Meta.Crop:
			t.Errorf("sample %s: meta %+v, want %+v", k, g.Meta, w.Meta)
		}
	}
}

func TestResumeAfterKill(t *testing.T) {
	in := faceFolder(t)
	whole := testOptions(t, in, t.TempDir())
	sum, err := Run(context.Background(), whole)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Faces != 20 {
		t.Fatalf("uninterrupted run: %d faces, want 20", sum.Faces)
	}

	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			o := testOptions(t, in, t.TempDir())
			o.ShardSize = 2
			cmd, out := startChild(t, o)
			waitForShards(t, o.Out, 2)
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			if sig == syscall.SIGINT {
				var s Summary
				if err != nil || json.Unmarshal(lastLine(out), &s) != nil || !s.Interrupted {
					t.Fatalf("after SIGINT: %v, summary %s", err, out)
				}
			} else if err == nil {
				t.Fatalf("the run finished before it was killed: %s", out)
			}

			// The rerun takes up where the first stopped.
			o.ShardSize = whole.ShardSize
			sum, err := Run(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			if sum.AlreadyDone == 0 || sum.Processed == 0 {
				t.Errorf("rerun: %+v, want some files done before and some now", sum)
			}
			sameSamples(t, o.Out, whole.Out)
		})
	}
}

func lastLine(b *bytes.Buffer) []byte {
	lines := bytes.Split(bytes.TrimSpace(b.Bytes()), []byte("\n"))
	return lines[len(lines)-1]
}

func TestDeterministicAndParts(t *testing.T) {
	in := faceFolder(t)
	whole := testOptions(t, in, t.TempDir())
	whole.Workers = 1
	if _, err := Run(context.Background(), whole); err != nil {
		t.Fatal(err)
	}

	// Worker timing must not change a byte of the shards.
	two := testOptions(t, in, t.TempDir())
	two.Workers = 2
	if _, err := Run(context.Background(), two); err != nil {
		t.Fatal(err)
	}
	a, errA := os.ReadFile(filepath.Join(whole.Out, "faces-000000.tar"))
	b, errB := os.ReadFile(filepath.Join(two.Out, "faces-000000.tar"))
	if errA != nil || errB != nil || !bytes.Equal(a, b) {
		t.Errorf("1 and 2 workers wrote different shards (%v, %v)", errA, errB)
	}

	out := t.TempDir()
	for i := range 3 {
		o := testOptions(t, in, out)
		o.Part = Part{I: i, N: 3}
		sum, err := Run(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Faces == 0 {
			t.Errorf("part %d/3 found no face: the split is lopsided", i)
		}
	}
	sameSamples(t, out, whole.Out)
}

func TestBadInputs(t *testing.T) {
	in := t.TempDir()
	bad, err := imagefiletest.WriteBad(in)
	if err != nil {
		t.Fatal(err)
	}
	good := testdata.Path(t, "data", "illustrations", "grapeot", "112032.jpg")
	if err := os.Symlink(good, filepath.Join(in, "good.jpg")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/nonexistent", filepath.Join(in, "broken.png")); err != nil {
		t.Fatal(err)
	}

	o := testOptions(t, in, t.TempDir())
	sum, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"unreadable": 1} // the broken link
	for _, b := range bad {
		if b.Reason != "" && b.Reason != "not-image" {
			want[b.Reason]++
		}
	}
	if fmt.Sprint(sum.Bad) != fmt.Sprint(want) || sum.NotImages != 1 || sum.Faces != 1 {
		t.Errorf("summary %+v: want bad %v, 1 non-image and the good file's face", sum, want)
	}

	// A rerun finds everything done, the bad files included.
	sum, err = Run(context.Background(), o)
	if err != nil || sum.Processed != 0 || sum.AlreadyDone != 6 {
		t.Errorf("rerun: %+v, %v; want all 6 files already done", sum, err)
	}

	// A rerun with another size would mix sizes in one dataset.
	o.Size = 32
	if _, err := Run(context.Background(), o); !errors.Is(err, ErrSettings) {
		t.Errorf("rerun at another size: err = %v, want ErrSettings", err)
	}
}
