package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// FollowPoll is how often Follow looks for new lines, rotation and
// truncation once it has read to the end.
const FollowPoll = 50 * time.Millisecond

// FlushEvery is the longest Follow holds entries before emitting them.
const FlushEvery = 100 * time.Millisecond

// goneFor is how long the path may be missing before Follow says so:
// rotation leaves it missing for a moment.
const goneFor = 2 * time.Second

// Follow reads path (a plain file) to the end, then keeps following it like
// tail -F: appends, rotation (the file replaced by a new one at the same
// path: the old one is read to its end first, then the new one from its
// start) and truncation (size shrank below what was read: start again from
// 0). A line not yet ended by '\n' waits for the rest. Entries are emitted
// in batches of at most BatchSize, at least every FlushEvery while lines
// arrive; emit owns each batch. Errors it meets (unreadable, vanished for
// a while) are reported through onErr (may be nil) in words, each once
// until things change, and it keeps trying. It returns ctx.Err() when ctx
// is done, and at once an error if path is "-" or a folder.
//
// Like tail -F, it cannot see a truncation (copytruncate) that is followed,
// before its next poll, by more bytes than it had read.
func Follow(ctx context.Context, path string, emit func([]Entry), onErr func(error)) error {
	if path == "-" {
		return errors.New("audit: cannot follow stdin; read it")
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("audit: %s is a folder: follow the live file in it", path)
	}
	f := &follower{path: path, emit: emit, onErr: onErr}
	defer f.closeFile()
	return f.run(ctx)
}

type follower struct {
	path  string
	emit  func([]Entry)
	onErr func(error)

	f      *os.File
	fi     os.FileInfo
	lr     *lineReader
	p      parser
	batch  []Entry
	since  time.Time // when the oldest entry in batch was read
	goneAt time.Time // when path was first seen missing, while f is open
	said   string    // the last error reported
}

func (f *follower) report(err error) {
	if msg := err.Error(); msg != f.said {
		f.said = msg
		if f.onErr != nil {
			f.onErr(err)
		}
	}
}

func (f *follower) run(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			f.flush()
			return ctx.Err()
		case <-timer.C:
		}
		if f.f == nil {
			f.openFile()
		}
		if f.f != nil {
			f.readToEnd(ctx)
			f.flush()
			f.check()
		}
		timer.Reset(FollowPoll)
	}
}

func (f *follower) openFile() {
	fh, err := os.Open(f.path)
	if err != nil {
		f.report(fmt.Errorf("audit log %s: cannot open: %w (still trying)", f.path, why(err)))
		return
	}
	fi, err := fh.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = errors.New("not a plain file")
	}
	if err != nil {
		fh.Close()
		f.report(fmt.Errorf("audit log %s: %w (still trying)", f.path, err))
		return
	}
	f.f, f.fi, f.lr, f.goneAt, f.said = fh, fi, newLineReader(fh), time.Time{}, ""
}

func (f *follower) closeFile() {
	if f.f != nil {
		f.f.Close()
	}
	f.f, f.fi, f.lr = nil, nil, nil
}

// readToEnd reads every whole line there is, flushing on the way when the
// batch is full or old.
func (f *follower) readToEnd(ctx context.Context) {
	for n := 0; ; n++ {
		if n%1024 == 1023 && ctx.Err() != nil {
			return
		}
		line, tooLong, err := f.lr.next()
		if err == io.EOF {
			return
		}
		if err != nil {
			f.report(fmt.Errorf("audit log %s: read: %w (reopening)", f.path, err))
			f.closeFile()
			return
		}
		if !tooLong {
			if e, ok, err := f.p.parse(line); err == nil && ok {
				if len(f.batch) == 0 {
					f.since = time.Now()
				}
				f.batch = append(f.batch, e)
			}
		}
		if len(f.batch) >= BatchSize || (n%64 == 63 && len(f.batch) > 0 && time.Since(f.since) >= FlushEvery) {
			f.flush()
		}
	}
}

func (f *follower) flush() {
	if len(f.batch) > 0 {
		f.emit(f.batch)
		f.batch = nil
	}
}

// check looks at the path once the file is read to its end: replaced
// (rotation), shrunk (truncation) or gone.
func (f *follower) check() {
	fi, err := os.Stat(f.path)
	if err != nil {
		if f.goneAt.IsZero() {
			f.goneAt = time.Now()
		} else if time.Since(f.goneAt) >= goneFor {
			f.report(fmt.Errorf("audit log %s is gone: %w (waiting for it to come back)", f.path, why(err)))
		}
		return
	}
	f.goneAt = time.Time{}
	if !os.SameFile(fi, f.fi) {
		// Rotated: what the old file got since the last read, then the
		// new one from its start. A line the old file never finished is
		// lost.
		f.readToEnd(context.Background())
		f.flush()
		f.closeFile()
		f.openFile()
		return
	}
	pos, err := f.f.Seek(0, io.SeekCurrent)
	if err == nil && fi.Size() < pos {
		// Truncated: start again from 0.
		if _, err := f.f.Seek(0, io.SeekStart); err != nil {
			f.closeFile()
			return
		}
		f.lr = newLineReader(f.f)
	}
}

// why is err without the path an *os.PathError repeats.
func why(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
