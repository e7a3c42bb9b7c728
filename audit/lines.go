package audit

import (
	"bufio"
	"compress/gzip"
	"errors"
	"io"
	"time"
)

const bufSize = 256 << 10

// lineReader splits a stream into lines of at most MaxLine bytes. A line
// not yet ended by '\n' when the stream runs dry is kept for the next call,
// so a file being written can be read again later.
type lineReader struct {
	br         *bufio.Reader
	acc        []byte // the start of a line longer than the buffer, or cut by EOF
	discarding bool   // the current line is over MaxLine: drop it up to '\n'
	n          int64  // bytes consumed from br
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, bufSize)}
}

// next returns the next whole line without its '\n' (valid until the next
// call), or tooLong for a line over MaxLine that it skipped, or io.EOF
// when no whole line is left.
func (r *lineReader) next() (line []byte, tooLong bool, err error) {
	for {
		frag, err := r.br.ReadSlice('\n')
		r.n += int64(len(frag))
		switch err {
		case nil:
			if r.discarding {
				r.discarding = false
				return nil, true, nil
			}
			if len(r.acc) == 0 {
				return frag[:len(frag)-1], false, nil
			}
			if len(r.acc)+len(frag)-1 > MaxLine {
				r.reset()
				return nil, true, nil
			}
			line := append(r.acc, frag[:len(frag)-1]...)
			r.acc = line[:0]
			if cap(line) > 4*bufSize {
				r.acc = nil // keep no 16 MiB buffer for ever
			}
			return line, false, nil
		case bufio.ErrBufferFull, io.EOF:
			if !r.discarding {
				if len(r.acc)+len(frag) > MaxLine {
					r.discarding = true
					r.acc = r.acc[:0]
				} else {
					r.acc = append(r.acc, frag...)
				}
			}
			if err == io.EOF {
				return nil, false, io.EOF
			}
		default:
			return nil, false, err
		}
	}
}

// rest returns what is left of a line with no '\n' at the very end of a
// stream, and whether it was too long.
func (r *lineReader) rest() (line []byte, tooLong bool) {
	line, tooLong = r.acc, r.discarding
	r.reset()
	return line, tooLong
}

// pending reports whether part of a line is waiting for its '\n'.
func (r *lineReader) pending() bool { return len(r.acc) > 0 || r.discarding }

func (r *lineReader) reset() {
	r.acc, r.discarding = nil, false
}

// maybeGunzip returns r, or a reader of its decompressed contents when it
// starts with gzip's magic bytes (rotated logs are often .gz whatever their
// name).
func maybeGunzip(r io.Reader) (io.Reader, io.Closer, error) {
	br := bufio.NewReaderSize(r, bufSize)
	magic, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, err
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, err
		}
		return gz, gz, nil
	}
	return br, io.NopCloser(nil), nil
}

// lineTime is the top-level "time" of an audit line, or zero.
func lineTime(line []byte) time.Time {
	s := scanner{b: trimLine(line)}
	var ts []byte
	err := s.object(func(key []byte) error {
		if string(key) == "time" {
			return s.str(&ts)
		}
		return s.skip()
	})
	if err != nil || len(ts) == 0 {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, string(ts))
	if err != nil {
		return time.Time{}
	}
	return t
}
