// Package progress shows how far long work has come: a live bar when the
// output is a terminal, and a plain line every few seconds otherwise, so logs
// of batch jobs stay readable.
package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Every is how often a plain (non-terminal) progress line is written.
var Every = 10 * time.Second

// Bar reports progress towards a total. It is safe for concurrent use.
// A nil *Bar does nothing, so callers may pass nil to mean "quiet".
type Bar struct {
	mu    sync.Mutex
	w     io.Writer
	what  string
	total int64
	done  int64
	note  string
	start time.Time
	last  time.Time
	live  *progressbar.ProgressBar
}

// New starts a bar counting towards total units named what ("files",
// "steps"); a total of -1 means unknown.
func New(w io.Writer, total int64, what string) *Bar {
	b := &Bar{w: w, what: what, total: total, start: time.Now()}
	b.last = b.start
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		b.live = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetItsString(what),
			progressbar.OptionShowIts(),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionFullWidth(),
			progressbar.OptionClearOnFinish())
	}
	return b
}

// Add records n more units done.
func (b *Bar) Add(n int64) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done += n
	if b.live != nil {
		b.live.Add64(n)
		return
	}
	if now := time.Now(); now.Sub(b.last) >= Every {
		b.last = now
		fmt.Fprintln(b.w, b.line(now))
	}
}

// Describe sets a short note shown with the count, such as running totals.
func (b *Bar) Describe(note string) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.note = note
	if b.live != nil {
		b.live.Describe(note)
	}
}

// Finish ends the bar, clearing a live one so a summary can follow.
func (b *Bar) Finish() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.live != nil {
		b.live.Finish()
		b.live = nil
	}
}

// line formats a plain progress line: count, share, rate, time left, note.
func (b *Bar) line(now time.Time) string {
	elapsed := now.Sub(b.start).Seconds()
	rate := float64(b.done) / max(elapsed, 1e-9)
	s := fmt.Sprintf("%d %s", b.done, b.what)
	if b.total > 0 {
		s = fmt.Sprintf("%d/%d %s (%.1f%%)", b.done, b.total, b.what,
			100*float64(b.done)/float64(b.total))
	}
	s += fmt.Sprintf(", %.1f/s", rate)
	if b.total > 0 && rate > 0 {
		left := time.Duration(float64(b.total-b.done) / rate * float64(time.Second))
		s += ", " + left.Round(time.Second).String() + " left"
	}
	if b.note != "" {
		s += ", " + b.note
	}
	return s
}
