package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestPlainLines(t *testing.T) {
	old := Every
	Every = 0
	defer func() { Every = old }()

	var out bytes.Buffer
	b := New(&out, 4, "files")
	b.Describe("3 faces")
	b.Add(1)
	b.Add(1)
	b.Finish()

	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2:\n%s", len(lines), out.String())
	}
	if !strings.HasPrefix(lines[1], "2/4 files (50.0%)") ||
		!strings.HasSuffix(lines[1], "3 faces") {
		t.Errorf("line = %q", lines[1])
	}
}

func TestThrottled(t *testing.T) {
	old := Every
	Every = time.Hour
	defer func() { Every = old }()

	var out bytes.Buffer
	b := New(&out, -1, "steps")
	for range 100 {
		b.Add(1)
	}
	if out.Len() != 0 {
		t.Errorf("wrote %q before the interval passed", out.String())
	}
}

func TestNilBarIsQuiet(t *testing.T) {
	var b *Bar
	b.Add(1)
	b.Describe("x")
	b.Finish()
}
