package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestUsage(t *testing.T) {
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
