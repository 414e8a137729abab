// Package cascades finds the cascade files that the face detector loads.
//
// A cascade is named either by a path to an XML file or by a name.
// The name "animeface" (the default) is nagadomi's lbpcascade_animeface.xml,
// a third-party MIT-licensed file that the project does not ship: it is
// looked for in the directory named by the ANIMEFACE_CASCADES environment
// variable, then in a cascades/ folder beside the running binary's folder
// (bin/../cascades), then in a cascades/ folder in the working directory or
// one of its parents. Its SHA-256 is checked before use. Run
// cascades/fetch.sh to obtain it. Any other name is one of the cascades
// that OpenCV installs, such as "frontalface" or "lbpcascade_profileface".
package cascades

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Default is the name of the cascade used when none is given.
const Default = "animeface"

// AnimeFaceFile is the file name of the anime face cascade.
const AnimeFaceFile = "lbpcascade_animeface.xml"

// AnimeFaceSHA256 is the SHA-256 of the upstream lbpcascade_animeface.xml
// (nagadomi/lbpcascade_animeface, commit 4433ab1).
const AnimeFaceSHA256 = "9376d30ac38db6bda2a68b88b3b76bbd7e6aa33af47f7f5c76bc88ca75f1ce30"

// EnvDir names the environment variable holding a folder to search first
// for lbpcascade_animeface.xml.
const EnvDir = "ANIMEFACE_CASCADES"

// OpenCVDirs are the folders searched for OpenCV's own cascades, in order.
// Each holds haarcascades/ and lbpcascades/ subfolders.
var OpenCVDirs = []string{"/usr/share/opencv4", "/usr/local/share/opencv4"}

// ErrNotFound is returned (wrapped) when no file matches a cascade name.
var ErrNotFound = errors.New("cascade not found")

// ErrChecksum is returned (wrapped) when lbpcascade_animeface.xml does not
// have the expected SHA-256.
var ErrChecksum = errors.New("cascade checksum mismatch")

// howToGet tells the user how to obtain the anime face cascade.
const howToGet = "run cascades/fetch.sh, or download lbpcascade_animeface.xml " +
	"from https://github.com/nagadomi/lbpcascade_animeface into cascades/ " +
	"(or set " + EnvDir + " to its folder)"

// Cascade is a cascade file found on disk.
type Cascade struct {
	// Name is the name the cascade was asked for by, or its path.
	Name string
	// Path is the file to load.
	Path string
}

// Find resolves a cascade name or path to a file. An argument that holds a
// path separator or ends in ".xml" is a path and must exist. The name
// "animeface" is searched as described in the package documentation and its
// checksum verified; other names are looked up among OpenCV's cascades.
func Find(nameOrPath string) (Cascade, error) {
	if nameOrPath == "" {
		nameOrPath = Default
	}
	if isPath(nameOrPath) {
		return findPath(nameOrPath)
	}
	if nameOrPath == Default {
		return findAnimeFace()
	}
	return findOpenCV(nameOrPath)
}

func isPath(s string) bool {
	return strings.ContainsRune(s, filepath.Separator) || strings.HasSuffix(s, ".xml")
}

func findPath(path string) (Cascade, error) {
	st, err := os.Stat(path)
	if err != nil {
		return Cascade{}, fmt.Errorf("cascade %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return Cascade{}, fmt.Errorf("cascade %s: not a regular file", path)
	}
	return Cascade{Name: path, Path: path}, nil
}

// findAnimeFace returns the first lbpcascade_animeface.xml among the
// search folders, after checking its SHA-256.
func findAnimeFace() (Cascade, error) {
	for _, dir := range animeFaceDirs() {
		path := filepath.Join(dir, AnimeFaceFile)
		if _, err := os.Stat(path); err != nil {
			continue
		}
		if err := VerifyAnimeFace(path); err != nil {
			return Cascade{}, err
		}
		return Cascade{Name: Default, Path: path}, nil
	}
	return Cascade{}, fmt.Errorf("%w: %s: %s", ErrNotFound, AnimeFaceFile, howToGet)
}

// animeFaceDirs lists the folders searched for the anime face cascade.
func animeFaceDirs() []string {
	var dirs []string
	if d := os.Getenv(EnvDir); d != "" {
		dirs = append(dirs, d)
	}

	// An installed binary lives in bin/ beside cascades/.
	if exe, err := os.Executable(); err == nil {
		if exe, err = filepath.EvalSymlinks(exe); err == nil {
			dirs = append(dirs, filepath.Join(filepath.Dir(exe), "..", "cascades"))
		}
	}

	// Tests and `go run` start somewhere inside the repository.
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			dirs = append(dirs, filepath.Join(d, "cascades"))
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return dirs
}

// VerifyAnimeFace checks that the file at path is the upstream
// lbpcascade_animeface.xml.
func VerifyAnimeFace(path string) error {
	got, err := SHA256(path)
	if err != nil {
		return err
	}
	if got != AnimeFaceSHA256 {
		return fmt.Errorf("%w: %s has SHA-256 %s, want %s: %s",
			ErrChecksum, path, got, AnimeFaceSHA256, howToGet)
	}
	return nil
}

// findOpenCV looks a name up among OpenCV's installed cascades: "NAME" may
// be a full file stem (haarcascade_eye) or the part after the prefix (eye);
// "frontalface" means haarcascade_frontalface_default.
func findOpenCV(name string) (Cascade, error) {
	var tried []string
	for _, dir := range OpenCVDirs {
		for _, rel := range openCVCandidates(name) {
			path := filepath.Join(dir, rel)
			tried = append(tried, path)
			if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() {
				return Cascade{Name: name, Path: path}, nil
			}
		}
	}
	return Cascade{}, fmt.Errorf("%w: %q (tried %s)", ErrNotFound, name,
		strings.Join(tried, ", "))
}

func openCVCandidates(name string) []string {
	return []string{
		filepath.Join("haarcascades", name+".xml"),
		filepath.Join("lbpcascades", name+".xml"),
		filepath.Join("haarcascades", "haarcascade_"+name+".xml"),
		filepath.Join("haarcascades", "haarcascade_"+name+"_default.xml"),
		filepath.Join("lbpcascades", "lbpcascade_"+name+".xml"),
	}
}

// SHA256 returns the hex SHA-256 of the file at path, to record which
// cascade found a face.
func SHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hash cascade: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash cascade %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
