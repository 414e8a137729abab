// Package cli holds what the commands share: the diagnostics logger and
// the interrupt handling.
package cli

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// Logger returns the diagnostics logger handed to the libraries: warnings
// and errors as one line each on w, without timestamps, for people to read.
func Logger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{
		Level: slog.LevelWarn,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
}

// SignalContext returns a context cancelled by the first SIGINT or
// SIGTERM, so that a command can finish cleanly; a second signal kills the
// process as usual. Call stop when done.
func SignalContext() (ctx context.Context, stop func()) {
	ctx, stop = signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	return ctx, stop
}
