package audit

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Stats counts what a source held. First and Last are the times of the
// earliest and latest lines (the first and last line of each file, and
// every lease), zero when none had a time.
type Stats struct {
	Lines, Leases, Garbage int64
	First, Last            time.Time
}

func (s *Stats) see(t time.Time) {
	if t.IsZero() {
		return
	}
	if s.First.IsZero() || t.Before(s.First) {
		s.First = t
	}
	if t.After(s.Last) {
		s.Last = t
	}
}

// BatchSize bounds the entries in one emitted batch.
const BatchSize = 4096

// Read reads path once to the end: a file, a gzip file (known by its
// magic bytes, whatever its name), a folder (every regular file in it,
// rotated files like vault_audit.log.1 and .gz included), or "-" for stdin.
// Entries are delivered to emit in batches of at most BatchSize, in time
// order across files: the files of a folder (several Vault nodes' logs, or
// one node's rotated files) are merged by time, each opened only when the
// merge reaches its first line. Within one file, entries come in the
// file's order. emit owns each batch it is given.
//
// Files that cannot be read are skipped and reported in the returned
// error, joined; the Stats cover what was read. A cancelled ctx stops
// Read at once with ctx.Err().
func Read(ctx context.Context, path string, stdin io.Reader, emit func([]Entry)) (Stats, error) {
	var st Stats
	b := batcher{emit: emit}
	if path == "-" {
		src := &source{name: "stdin", open: func() (io.ReadCloser, error) { return io.NopCloser(stdin), nil }}
		err := readMerged(ctx, []*source{src}, &st, &b)
		return st, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return st, err
	}
	var srcs []*source
	var errs []error
	if fi.IsDir() {
		des, err := os.ReadDir(path)
		if err != nil {
			return st, err
		}
		for _, de := range des {
			p := filepath.Join(path, de.Name())
			fi, err := os.Stat(p) // follows symbolic links
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if fi.Mode().IsRegular() {
				srcs = append(srcs, fileSource(p))
			}
		}
	} else if fi.Mode().IsRegular() || fi.Mode()&os.ModeNamedPipe != 0 {
		srcs = append(srcs, fileSource(path))
	} else {
		return st, fmt.Errorf("%s: not a file or folder", path)
	}
	// The time each file starts at, to open them oldest first.
	var ok []*source
	for _, s := range srcs {
		if err := s.peekFirst(); err != nil {
			errs = append(errs, err)
			continue
		}
		ok = append(ok, s)
	}
	slices.SortStableFunc(ok, func(a, b *source) int { return a.first.Compare(b.first) })
	if err := readMerged(ctx, ok, &st, &b); err != nil {
		if ctx.Err() != nil {
			return st, err
		}
		errs = append(errs, err)
	}
	return st, errors.Join(errs...)
}

func fileSource(p string) *source {
	return &source{name: p, open: func() (io.ReadCloser, error) { return os.Open(p) }}
}

// source is one file in a merge.
type source struct {
	name  string
	open  func() (io.ReadCloser, error)
	first time.Time // of its first line with a time

	f      io.ReadCloser
	z      io.Closer
	lr     *lineReader
	last   []byte // the last good line, for Stats.Last
	head   Entry  // the next entry to deliver, when has
	has    bool
	done   bool
	idx    int
	stats  *Stats
	broken error
	ctx    context.Context
	p      parser
	lines  int
	seen   bool // a good line was read
}

// peekFirst learns the time of the file's first line with one.
func (s *source) peekFirst() error {
	if err := s.start(); err != nil {
		return err
	}
	defer s.close()
	for range 100 {
		line, tooLong, err := s.lr.next()
		if err == io.EOF {
			line, tooLong = s.lr.rest()
		} else if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		if !tooLong {
			if t := lineTime(line); !t.IsZero() {
				s.first = t
				return nil
			}
		}
		if err == io.EOF {
			return nil
		}
	}
	return nil
}

func (s *source) start() error {
	f, err := s.open()
	if err != nil {
		return err
	}
	r, z, err := maybeGunzip(f)
	if err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", s.name, err)
	}
	s.f, s.z, s.lr = f, z, newLineReader(r)
	return nil
}

func (s *source) close() {
	if s.z != nil {
		s.z.Close()
	}
	if s.f != nil {
		s.f.Close()
	}
	s.f, s.z, s.lr = nil, nil, nil
}

// advance reads up to the next lease entry, counting lines as it goes.
func (s *source) advance() {
	s.has = false
	for !s.done {
		if s.lines++; s.lines%8192 == 0 && s.ctx.Err() != nil {
			s.finish()
			return
		}
		line, tooLong, err := s.lr.next()
		final := false
		switch {
		case err == io.EOF:
			line, tooLong = s.lr.rest()
			final = true
			if len(line) == 0 && !tooLong {
				s.finish()
				return
			}
		case err != nil:
			s.broken = fmt.Errorf("%s: %w", s.name, err)
			s.finish()
			return
		}
		s.stats.Lines++
		if tooLong {
			s.stats.Garbage++
		} else {
			e, ok, err := s.p.parse(line)
			if err == nil && !s.seen {
				s.seen = true
				if s.first.IsZero() {
					s.first = lineTime(line)
				}
			}
			switch {
			case err != nil:
				s.stats.Garbage++
			case ok:
				s.last = append(s.last[:0], line...)
				s.stats.Leases++
				s.stats.see(e.Time)
				s.head, s.has = e, true
			default:
				s.last = append(s.last[:0], line...)
			}
		}
		if final {
			s.finish()
		}
		if s.has {
			return
		}
	}
}

func (s *source) finish() {
	if s.done {
		return
	}
	s.done = true
	s.stats.see(s.first)
	if len(s.last) > 0 {
		s.stats.see(lineTime(s.last))
	}
	s.last = nil
	s.close()
}

// readMerged delivers the entries of srcs (sorted by first time) in time
// order, opening each source when the merge reaches its start.
func readMerged(ctx context.Context, srcs []*source, st *Stats, b *batcher) error {
	var h sourceHeap
	var errs []error
	next := 0
	open := func(s *source) {
		s.stats, s.ctx = st, ctx
		s.idx = next
		if s.lr == nil {
			if err := s.start(); err != nil {
				errs = append(errs, err)
				return
			}
		}
		s.advance()
		if s.broken != nil {
			errs = append(errs, s.broken)
		}
		if s.has {
			heap.Push(&h, s)
		}
	}
	for {
		// Open every file that starts before the earliest pending entry.
		for next < len(srcs) && (h.Len() == 0 || !srcs[next].first.After(h[0].head.Time)) {
			s := srcs[next]
			open(s)
			next++
		}
		if h.Len() == 0 {
			break
		}
		if err := ctx.Err(); err != nil {
			for _, s := range h {
				s.close()
			}
			return err
		}
		s := h[0]
		b.add(s.head)
		s.advance()
		if s.broken != nil {
			errs = append(errs, s.broken)
			s.broken = nil
		}
		if s.has {
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h)
		}
	}
	b.flush()
	return errors.Join(errs...)
}

type sourceHeap []*source

func (h sourceHeap) Len() int { return len(h) }
func (h sourceHeap) Less(i, j int) bool {
	if c := h[i].head.Time.Compare(h[j].head.Time); c != 0 {
		return c < 0
	}
	return h[i].idx < h[j].idx
}
func (h sourceHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *sourceHeap) Push(x any)   { *h = append(*h, x.(*source)) }
func (h *sourceHeap) Pop() any {
	old := *h
	s := old[len(old)-1]
	*h = old[:len(old)-1]
	return s
}

// batcher groups entries into batches of at most BatchSize.
type batcher struct {
	emit  func([]Entry)
	batch []Entry
}

func (b *batcher) add(e Entry) {
	if b.batch == nil {
		b.batch = make([]Entry, 0, 256)
	}
	b.batch = append(b.batch, e)
	if len(b.batch) >= BatchSize {
		b.flush()
	}
}

func (b *batcher) flush() {
	if len(b.batch) > 0 {
		b.emit(b.batch)
		b.batch = nil
	}
}
