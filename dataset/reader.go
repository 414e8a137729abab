package dataset

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ErrNoShards reports a dataset folder that holds no shard.
var ErrNoShards = errors.New("no shards (*.tar)")

// Limits on member sizes, so that a damaged header cannot make a reader
// allocate without bound.
const (
	maxImageBytes = 64 << 20
	maxMetaBytes  = 1 << 20
)

// Dataset is a folder of shards, read as one dataset.
type Dataset struct {
	Dir    string
	Shards []string // file names of the shards, in reading order
}

// Open lists the shards in dir. Temporary and hidden files are not shards.
func Open(dir string) (*Dataset, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("open dataset: %w", err)
	}
	d := &Dataset{Dir: dir}
	for _, e := range entries {
		name := e.Name()
		if e.Type().IsRegular() && strings.HasSuffix(name, ".tar") &&
			!strings.HasPrefix(name, ".") {
			d.Shards = append(d.Shards, name)
		}
	}
	if len(d.Shards) == 0 {
		return nil, fmt.Errorf("open dataset %s: %w", dir, ErrNoShards)
	}
	slices.Sort(d.Shards)
	return d, nil
}

// ReadOptions say how to read a dataset. The zero value reads every sample
// in order and stops at the first malformed one.
type ReadOptions struct {
	// Shuffle is the size of the shuffle buffer; 0 keeps shard order.
	// Shard order is shuffled too when it is above 0.
	Shuffle int
	// Seed seeds the shuffle, so a seed always gives the same order.
	Seed uint64
	// Bad, if set, receives each malformed sample or unreadable shard as a
	// *SampleError and reading goes on; if nil, reading stops with it.
	Bad func(error)
}

// Each calls fn for every sample. It stops early when fn or ctx returns an
// error, and returns that error.
func (d *Dataset) Each(ctx context.Context, opts ReadOptions, fn func(Sample) error) error {
	if opts.Shuffle <= 0 {
		return d.each(ctx, d.Shards, opts.Bad, fn)
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x5eed))
	shards := slices.Clone(d.Shards)
	rng.Shuffle(len(shards), func(i, j int) { shards[i], shards[j] = shards[j], shards[i] })

	// Keep a buffer of samples and emit a random one as each new one
	// arrives: a streaming shuffle whose memory is bounded by the buffer.
	buf := make([]Sample, 0, opts.Shuffle)
	err := d.each(ctx, shards, opts.Bad, func(s Sample) error {
		if len(buf) < opts.Shuffle {
			buf = append(buf, s)
			return nil
		}
		i := rng.IntN(len(buf))
		out := buf[i]
		buf[i] = s
		return fn(out)
	})
	if err != nil {
		return err
	}
	rng.Shuffle(len(buf), func(i, j int) { buf[i], buf[j] = buf[j], buf[i] })
	for _, s := range buf {
		if err := fn(s); err != nil {
			return err
		}
	}
	return nil
}

func (d *Dataset) each(ctx context.Context, shards []string, bad func(error),
	fn func(Sample) error) error {
	for _, shard := range shards {
		err := d.readShard(ctx, shard, bad, fn)
		var se *SampleError
		if errors.As(err, &se) && bad != nil {
			bad(err)
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// readShard delivers the whole samples of one shard. A shard that is cut
// short yields the samples before the damage, then a *SampleError.
func (d *Dataset) readShard(ctx context.Context, shard string, bad func(error),
	fn func(Sample) error) error {
	f, err := os.Open(filepath.Join(d.Dir, shard))
	if err != nil {
		return &SampleError{Shard: shard, Err: err}
	}
	defer f.Close()
	return readTar(ctx, shard, bufio.NewReaderSize(f, 1<<16), bad, fn)
}

// readTar groups the members of the tar stream r, named shard in errors,
// into samples.
func readTar(ctx context.Context, shard string, r io.Reader, bad func(error),
	fn func(Sample) error) error {
	g := grouper{shard: shard, bad: bad, fn: fn}
	tr := tar.NewReader(r)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if err == io.EOF && g.members == 0 {
			return &SampleError{Shard: shard, Err: errors.New("empty shard")}
		}
		if err == io.EOF {
			return g.flush()
		}
		if err != nil {
			return &SampleError{Shard: shard, Key: g.cur.Key, Err: err}
		}
		if err := g.member(hdr, tr); err != nil {
			return err
		}
	}
}

// grouper gathers adjacent members with one key into a sample.
type grouper struct {
	shard   string
	bad     func(error)
	fn      func(Sample) error
	cur     Sample
	png, js bool
	broken  bool // already reported; skipped at flush
	members int  // members seen in the shard
	rawMeta []byte
}

func (g *grouper) member(hdr *tar.Header, r io.Reader) error {
	g.members++
	if hdr.Typeflag != tar.TypeReg {
		return nil
	}
	key, ext, _ := strings.Cut(filepath.Base(hdr.Name), ".")
	if key != g.cur.Key {
		if err := g.flush(); err != nil {
			return err
		}
		g.cur = Sample{Key: key, Shard: g.shard}
	}
	limit := int64(0)
	switch ext {
	case "png":
		limit = maxImageBytes
	case "json":
		limit = maxMetaBytes
	default:
		return nil // other members are allowed and ignored
	}
	if (ext == "png" && g.png) || (ext == "json" && g.js) {
		g.broken = true
		return g.reject(fmt.Errorf("member %s repeated", hdr.Name))
	}
	if hdr.Size > limit {
		g.broken = true
		return g.reject(fmt.Errorf("member %s: %d bytes, more than %d",
			hdr.Name, hdr.Size, limit))
	}
	data, err := io.ReadAll(io.LimitReader(r, hdr.Size))
	if err != nil {
		return &SampleError{Shard: g.shard, Key: key, Err: err}
	}
	if ext == "png" {
		g.cur.PNG, g.png = data, true
	} else {
		g.rawMeta, g.js = data, true
	}
	return nil
}

// flush delivers the gathered sample, or reports it when it is incomplete.
func (g *grouper) flush() error {
	defer func() {
		g.cur, g.png, g.js, g.broken, g.rawMeta = Sample{}, false, false, false, nil
	}()
	if g.cur.Key == "" || g.broken {
		return nil
	}
	switch {
	case !g.png:
		return g.reject(errors.New("no .png member"))
	case !g.js:
		return g.reject(errors.New("no .json member"))
	}
	if err := json.Unmarshal(g.rawMeta, &g.cur.Meta); err != nil {
		return g.reject(fmt.Errorf("metadata: %w", err))
	}
	return g.fn(g.cur)
}

func (g *grouper) reject(err error) error {
	e := &SampleError{Shard: g.shard, Key: g.cur.Key, Err: err}
	if g.bad == nil {
		return e
	}
	g.bad(e)
	return nil
}

// Fingerprint identifies the dataset's shards by name and size, cheaply, so
// a run can record which data it saw and notice when that data changed.
func (d *Dataset) Fingerprint() (string, error) {
	h := sha256.New()
	for _, name := range d.Shards {
		fi, err := os.Stat(filepath.Join(d.Dir, name))
		if err != nil {
			return "", fmt.Errorf("fingerprint dataset: %w", err)
		}
		fmt.Fprintf(h, "%s %d\n", name, fi.Size())
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
