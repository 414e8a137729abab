package dataset

import (
	"archive/tar"
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"animeface/internal/atomicfile"
)

// DefaultShardSize is the number of samples per shard when none is given.
const DefaultShardSize = 10000

// ErrLocked reports that another writer holds the same journal.
var ErrLocked = errors.New("another writer is using this folder and prefix")

// WriterOptions configure a Writer. The zero value is usable.
type WriterOptions struct {
	// Prefix starts every shard name: PREFIX-000000.tar. Default "faces".
	Prefix string
	// ShardSize is the number of samples after which a shard is closed.
	// A group is never split, so a shard may hold a little more.
	ShardSize int
	// Log receives one line per committed shard; nil discards.
	Log *slog.Logger
}

// Writer adds samples to shards in a folder, committing each shard only when
// it is whole. It is not safe for concurrent use.
type Writer struct {
	dir, prefix string
	size        int
	log         *slog.Logger

	journal   *os.File
	committed []json.RawMessage
	next      int // number of the next shard to open

	// The shard being written, if any.
	tmp     *os.File
	buf     *bufio.Writer
	tw      *tar.Writer
	name    string
	count   int
	records []json.RawMessage

	// Records of work that produced no sample, waiting for the journal.
	notes     []json.RawMessage
	notedAt   time.Time
	samplesIn int
}

// journalLine is one line of the journal: a committed shard with the records
// of its samples, or (Shard empty) records that produced no sample.
type journalLine struct {
	Shard   string            `json:"shard,omitempty"`
	Samples int               `json:"samples,omitempty"`
	Records []json.RawMessage `json:"records"`
}

// NewWriter opens dir (creating it) for writing shards with opts.Prefix. It
// finishes or discards whatever an earlier, interrupted writer left, so
// Committed then lists exactly the records of whole shards.
func NewWriter(dir string, opts WriterOptions) (*Writer, error) {
	w := &Writer{dir: dir, prefix: opts.Prefix, size: opts.ShardSize, log: opts.Log}
	if w.prefix == "" {
		w.prefix = "faces"
	}
	if strings.ContainsAny(w.prefix, "./\\") {
		return nil, fmt.Errorf("shard prefix %q: must not hold a dot or slash", w.prefix)
	}
	if w.size <= 0 {
		w.size = DefaultShardSize
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create dataset folder: %w", err)
	}
	if err := w.openJournal(); err != nil {
		return nil, err
	}
	if err := w.recover(); err != nil {
		w.journal.Close()
		return nil, err
	}
	w.notedAt = time.Now()
	return w, nil
}

// JournalName is the journal's file name for a shard prefix.
func JournalName(prefix string) string { return prefix + ".index.jsonl" }

func (w *Writer) openJournal() error {
	path := filepath.Join(w.dir, JournalName(w.prefix))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("open journal: %w", err)
	}

	// Two writers appending to one journal would corrupt it.
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, ErrLocked)
	}
	w.journal = f
	return nil
}

// recover reads the journal, drops a torn last line, completes the rename of
// shards that were recorded but not yet renamed, and removes temporary
// shards that were never recorded.
func (w *Writer) recover() error {
	data, err := io.ReadAll(w.journal)
	if err != nil {
		return fmt.Errorf("read journal: %w", err)
	}

	// A kill during an append leaves a partial line; cut it off so the next
	// append starts on a fresh line.
	whole := bytes.LastIndexByte(data, '\n') + 1
	if whole < len(data) {
		if err := w.journal.Truncate(int64(whole)); err != nil {
			return fmt.Errorf("truncate journal: %w", err)
		}
	}
	if _, err := w.journal.Seek(int64(whole), io.SeekStart); err != nil {
		return fmt.Errorf("seek journal: %w", err)
	}

	recorded := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data[:whole]))
	sc.Buffer(nil, 1<<30)
	for sc.Scan() {
		var line journalLine
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			return fmt.Errorf("journal %s: %w", JournalName(w.prefix), err)
		}
		if line.Shard != "" {
			w.next = max(w.next, w.shardNumber(line.Shard)+1)
			ok, err := w.finishRename(line.Shard)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			recorded[line.Shard] = true
		}
		w.committed = append(w.committed, line.Records...)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read journal: %w", err)
	}
	return w.removeStrays(recorded)
}

// finishRename makes sure a recorded shard is in place, reporting false when
// neither it nor its temporary file exists (it was lost before its sync).
func (w *Writer) finishRename(shard string) (bool, error) {
	final := filepath.Join(w.dir, shard)
	if _, err := os.Stat(final); err == nil {
		return true, nil
	}
	tmp := filepath.Join(w.dir, tmpName(shard))
	if _, err := os.Stat(tmp); err != nil {
		w.log.Warn("journal names a missing shard; its records are redone",
			"shard", shard)
		return false, nil
	}
	if err := os.Rename(tmp, final); err != nil {
		return false, fmt.Errorf("finish shard %s: %w", shard, err)
	}
	return true, atomicfile.SyncDir(w.dir)
}

// removeStrays deletes temporary shards of this prefix that no journal line
// records, and moves next past every shard number already on disk.
func (w *Writer) removeStrays(recorded map[string]bool) error {
	entries, err := os.ReadDir(w.dir)
	if err != nil {
		return fmt.Errorf("list dataset folder: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		shard, isTmp := strings.CutSuffix(strings.TrimPrefix(name, "."), ".tmp")
		if !strings.HasPrefix(shard, w.prefix+"-") || !strings.HasSuffix(shard, ".tar") {
			continue
		}
		w.next = max(w.next, w.shardNumber(shard)+1)
		if isTmp && strings.HasPrefix(name, ".") && !recorded[shard] {
			if err := os.Remove(filepath.Join(w.dir, name)); err != nil {
				return fmt.Errorf("remove unfinished shard: %w", err)
			}
		}
	}
	return nil
}

// shardNumber parses PREFIX-NNNNNN.tar, returning -1 for other names.
func (w *Writer) shardNumber(shard string) int {
	s := strings.TrimSuffix(strings.TrimPrefix(shard, w.prefix+"-"), ".tar")
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

func tmpName(shard string) string { return "." + shard + ".tmp" }

// Committed returns the records of work committed by earlier writers, in
// the order they were committed.
func (w *Writer) Committed() []json.RawMessage { return w.committed }

// AddGroup writes samples into one shard, never splitting them, and commits
// record (any JSON-encodable value, or nil) with that shard.
func (w *Writer) AddGroup(samples []Sample, record any) error {
	raw, err := encodeRecord(record)
	if err != nil {
		return err
	}
	if len(samples) == 0 {
		return w.Note(record)
	}
	if w.tw != nil && w.count > 0 && w.count+len(samples) > w.size {
		if err := w.commit(); err != nil {
			return err
		}
	}
	if w.tw == nil {
		if err := w.openShard(); err != nil {
			return err
		}
	}
	for _, s := range samples {
		if err := w.writeSample(s); err != nil {
			return err
		}
	}
	if raw != nil {
		w.records = append(w.records, raw)
	}
	if w.count >= w.size {
		return w.commit()
	}
	return nil
}

// Note commits record with no sample, for work that produced none (a source
// without faces, a bad file), so a rerun knows it is done.
func (w *Writer) Note(record any) error {
	raw, err := encodeRecord(record)
	if err != nil || raw == nil {
		return err
	}
	w.notes = append(w.notes, raw)

	// Batch notes: one synced append per note would be slow on large
	// folders, and a lost note only means redoing cheap work.
	if len(w.notes) >= 256 || time.Since(w.notedAt) > 2*time.Second {
		return w.flushNotes()
	}
	return nil
}

func encodeRecord(record any) (json.RawMessage, error) {
	if record == nil {
		return nil, nil
	}
	raw, err := json.Marshal(record)
	if err != nil {
		return nil, fmt.Errorf("encode journal record: %w", err)
	}
	return raw, nil
}

func (w *Writer) openShard() error {
	w.name = fmt.Sprintf("%s-%06d.tar", w.prefix, w.next)
	w.next++
	f, err := os.OpenFile(filepath.Join(w.dir, tmpName(w.name)),
		os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("create shard %s: %w", w.name, err)
	}
	w.tmp, w.buf = f, bufio.NewWriterSize(f, 1<<16)
	w.tw, w.count, w.records = tar.NewWriter(w.buf), 0, nil
	return nil
}

// memberTime is the modification time of every member, fixed so that the
// same samples always make the same bytes.
var memberTime = time.Unix(0, 0).UTC()

func (w *Writer) writeSample(s Sample) error {
	if err := ValidKey(s.Key); err != nil {
		return err
	}
	meta, err := json.Marshal(s.Meta)
	if err != nil {
		return fmt.Errorf("encode metadata of %s: %w", s.Key, err)
	}
	for _, m := range []struct {
		ext  string
		data []byte
	}{{".png", s.PNG}, {".json", meta}} {
		hdr := &tar.Header{
			Name:     s.Key + m.ext,
			Mode:     0o644,
			Size:     int64(len(m.data)),
			ModTime:  memberTime,
			Typeflag: tar.TypeReg,
			Format:   tar.FormatUSTAR,
		}
		if err := w.tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("shard %s: %w", w.name, err)
		}
		if _, err := w.tw.Write(m.data); err != nil {
			return fmt.Errorf("shard %s: %w", w.name, err)
		}
	}
	w.count++
	w.samplesIn++
	return nil
}

// commit makes the open shard durable: sync it, record it in the journal,
// then rename it into place. A crash between the journal and the rename is
// finished by the next NewWriter.
func (w *Writer) commit() error {
	if err := w.closeTar(); err != nil {
		return err
	}
	line := journalLine{Shard: w.name, Samples: w.count, Records: w.records}
	if err := w.appendJournal(line); err != nil {
		return err
	}
	final := filepath.Join(w.dir, w.name)
	if err := os.Rename(filepath.Join(w.dir, tmpName(w.name)), final); err != nil {
		return fmt.Errorf("commit shard %s: %w", w.name, err)
	}
	if err := atomicfile.SyncDir(w.dir); err != nil {
		return err
	}
	w.log.Info("shard committed", "shard", w.name, "samples", w.count)
	w.tmp, w.tw, w.records = nil, nil, nil
	return nil
}

func (w *Writer) closeTar() error {
	err := w.tw.Close()
	if err == nil {
		err = w.buf.Flush()
	}
	if err == nil {
		err = w.tmp.Sync()
	}
	if cerr := w.tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write shard %s: %w", w.name, err)
	}
	return nil
}

func (w *Writer) flushNotes() error {
	w.notedAt = time.Now()
	if len(w.notes) == 0 {
		return nil
	}
	err := w.appendJournal(journalLine{Records: w.notes})
	w.notes = nil
	return err
}

func (w *Writer) appendJournal(line journalLine) error {
	if line.Records == nil {
		line.Records = []json.RawMessage{}
	}
	data, err := json.Marshal(line)
	if err != nil {
		return fmt.Errorf("encode journal line: %w", err)
	}
	data = append(data, '\n')
	if _, err := w.journal.Write(data); err != nil {
		return fmt.Errorf("append journal: %w", err)
	}
	if err := w.journal.Sync(); err != nil {
		return fmt.Errorf("sync journal: %w", err)
	}
	return nil
}

// Close commits the open shard, even if not full, and pending notes, then
// releases the journal. The Writer must not be used afterwards.
func (w *Writer) Close() error {
	var err error
	if w.tw != nil {
		err = w.commit()
	}
	if ferr := w.flushNotes(); err == nil {
		err = ferr
	}
	if cerr := w.journal.Close(); err == nil {
		err = cerr
	}
	return err
}

// Samples returns how many samples this Writer has written.
func (w *Writer) Samples() int { return w.samplesIn }
