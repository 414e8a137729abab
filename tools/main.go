// Command tools gathers the dataset and model tools that surround crop and
// train: import, dedup, overfit-report, sample, montage, stats and verify.
//
// Usage:
//
//	tools <command> [flags]
//	tools <command> -h
//
// Every command prints its results on stdout and its progress and warnings on
// stderr. Exit status: 0 on success, 1 on failure, 2 on a usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"

	"animeface/internal/cli"
)

// command is one subcommand of tools.
type command struct {
	Name  string
	Short string // one line for the command list
	// Usage is the help text after the flag list's header: a usage line,
	// what the command does, and an example.
	Usage string
	// Flags declares the command's flags on fs and returns the function
	// that runs the command once they are parsed.
	Flags func(fs *flag.FlagSet) func(ctx context.Context, args []string) error
}

var commands = map[string]command{}

// register adds a subcommand; each command's file calls it from init.
func register(c command) {
	if _, dup := commands[c.Name]; dup {
		panic("tools: command registered twice: " + c.Name)
	}
	commands[c.Name] = c
}

// errUsage marks errors that are the caller's misuse, exit status 2.
var errUsage = errors.New("usage")

// usageError returns an error that makes tools exit 2 with msg.
func usageError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errUsage}, args...)...)
}

// logger is the diagnostics logger handed to the libraries: warnings and
// errors on stderr, without timestamps, for people to read.
func logger() *slog.Logger {
	return cli.Logger(os.Stderr)
}

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		listCommands(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "tools: unknown command %q\n", args[0])
		listCommands(stderr)
		return 2
	}

	fs := flag.NewFlagSet("tools "+c.Name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	runCmd := c.Flags(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "%s\nFlags:\n", strings.TrimSpace(c.Usage))
		fs.PrintDefaults()
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}

	// The first interrupt asks the command to stop and finish cleanly; a
	// second one kills the process as usual.
	ctx, stop := cli.SignalContext()
	defer stop()

	err := runCmd(ctx, fs.Args())
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "tools %s: %v\n", c.Name, strings.TrimPrefix(err.Error(), "usage: "))
		return 2
	default:
		fmt.Fprintf(stderr, "tools %s: %v\n", c.Name, err)
		return 1
	}
}

func listCommands(w io.Writer) {
	fmt.Fprintln(w, "usage: tools <command> [flags]   (tools <command> -h for help)")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-15s %s\n", name, commands[name].Short)
	}
}
