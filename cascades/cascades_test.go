package cascades

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"animeface/internal/testdata"
)

func TestFindAnimeFaceFromEnv(t *testing.T) {
	dir := filepath.Join(testdata.Shared(t), "cascades")
	t.Setenv(EnvDir, dir)
	c, err := Find("")
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != Default || c.Path != filepath.Join(dir, AnimeFaceFile) {
		t.Errorf("Find(\"\") = %+v, want %s in %s", c, AnimeFaceFile, dir)
	}
}

func TestFindAnimeFaceBadChecksum(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, AnimeFaceFile)
	if err := os.WriteFile(path, []byte("<opencv_storage/>"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvDir, dir)
	_, err := Find(Default)
	if !errors.Is(err, ErrChecksum) {
		t.Fatalf("Find with a wrong file: err = %v, want ErrChecksum", err)
	}
	if !strings.Contains(err.Error(), "fetch.sh") {
		t.Errorf("error %q does not say how to get the cascade", err)
	}
}

func TestFindOpenCVNames(t *testing.T) {
	tests := []struct{ name, want string }{
		{"frontalface", "haarcascades/haarcascade_frontalface_default.xml"},
		{"eye", "haarcascades/haarcascade_eye.xml"},
		{"lbpcascade_profileface", "lbpcascades/lbpcascade_profileface.xml"},
		{"frontalface_alt2", "haarcascades/haarcascade_frontalface_alt2.xml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Find(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(c.Path, tt.want) {
				t.Errorf("Find(%q).Path = %s, want …/%s", tt.name, c.Path, tt.want)
			}
		})
	}
}

func TestFindMissing(t *testing.T) {
	for _, name := range []string{"no_such_cascade", "/nonexistent/x.xml"} {
		if _, err := Find(name); err == nil {
			t.Errorf("Find(%q) succeeded", name)
		}
	}
	_, err := Find("no_such_cascade")
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("Find(no_such_cascade) err = %v, want ErrNotFound", err)
	}
}

func TestFindPath(t *testing.T) {
	path := filepath.Join(testdata.Shared(t), "cascades", AnimeFaceFile)
	c, err := Find(path)
	if err != nil || c.Path != path {
		t.Fatalf("Find(%s) = %+v, %v", path, c, err)
	}
}

func TestFindAnimeFaceMissing(t *testing.T) {
	t.Setenv(EnvDir, t.TempDir())
	t.Chdir(t.TempDir())
	_, err := Find(Default)
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("Find(animeface) with no file anywhere: err = %v, want ErrNotFound", err)
	}
	for _, says := range []string{"fetch.sh", "nagadomi/lbpcascade_animeface"} {
		if !strings.Contains(err.Error(), says) {
			t.Errorf("error %q does not mention %s", err, says)
		}
	}
}
