package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"animeface/internal/gan"
)

func TestUsage(t *testing.T) {
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"help", []string{"-h"}, 0, "Example:"},
		{"no flags", nil, 2, "--shards and --out are required"},
		{"bad size", []string{"--shards", "x", "--out", "y", "--size", "48"}, 2, "size 48"},
		{"unknown flag", []string{"--nope"}, 2, "not defined"},
		{"resume without run", []string{"--out", filepath.Join(t.TempDir(), "r"), "--resume"},
			2, "config.json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if code := run(c.args, &stderr); code != c.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, c.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), c.want) {
				t.Errorf("stderr %q lacks %q", stderr.String(), c.want)
			}
		})
	}
}

// TestResumeFlags checks that a resumed run takes its stored settings as
// defaults and the flags given over them.
func TestResumeFlags(t *testing.T) {
	dir := t.TempDir()
	stored := gan.DefaultOptions()
	stored.Shards, stored.Out, stored.Size, stored.Batch = "faces", dir, 32, 16
	data, _ := json.Marshal(gan.RunConfig{Options: stored})
	if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	o, err := parseFlags([]string{"--out", dir, "--resume", "--steps", "50"}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if o.Size != 32 || o.Batch != 16 || o.Shards != "faces" || o.Steps != 50 || !o.Resume {
		t.Errorf("resumed options %+v: want the stored ones with 50 steps", o)
	}
}
