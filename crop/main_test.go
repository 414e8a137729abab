package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"animeface/internal/crop"
)

func TestUsage(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		code int
		says string
	}{
		{"help", []string{"-h"}, 0, "Examples:"},
		{"no folders", nil, 2, "--in and --out are required"},
		{"unknown flag", []string{"--in", "a", "--out", "b", "--frobnicate"}, 2, "frobnicate"},
		{"bad part", []string{"--in", "a", "--out", "b", "--part", "4/4"}, 2, "0 <= i < n"},
		{"missing input", []string{"--in", "/nonexistent", "--out", "/tmp/x"}, 1, "input folder"},
		{"search above min face", []string{"--in", dir, "--out", dir, "--search-min", "47"},
			1, "search min 47 is above min face 46"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := mainErr(tt.args, &out, &errOut); code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, errOut.String())
			}
			if !strings.Contains(errOut.String(), tt.says) {
				t.Errorf("stderr does not say %q:\n%s", tt.says, errOut.String())
			}
		})
	}
}

func TestSummaryRejected(t *testing.T) {
	s := crop.Summary{Processed: 3, Faces: 5, WithFaces: 2, MinFace: 46, Prefix: "faces",
		Rejected: map[string]int{crop.TooSmall: 12}}
	var out bytes.Buffer
	printSummary(&out, s, "faces/", time.Second)
	if !strings.Contains(out.String(), "\n12 faces smaller than min face 46 not kept") {
		t.Errorf("summary does not count the rejected faces:\n%s", out.String())
	}
}
