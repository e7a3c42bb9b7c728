package audit

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// followed runs Follow on path in the background and collects what it
// emits and reports.
type followed struct {
	mu      sync.Mutex
	entries []Entry
	errs    []string
	batches int
	done    chan error
	cancel  context.CancelFunc
}

func follow(t *testing.T, path string) *followed {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f := &followed{done: make(chan error, 1), cancel: cancel}
	go func() {
		f.done <- Follow(ctx, path, func(es []Entry) {
			f.mu.Lock()
			f.entries = append(f.entries, es...)
			f.batches++
			f.mu.Unlock()
		}, func(err error) {
			f.mu.Lock()
			f.errs = append(f.errs, err.Error())
			f.mu.Unlock()
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-f.done:
			if err != context.Canceled {
				t.Errorf("Follow returned %v, want context.Canceled", err)
			}
		case <-time.After(time.Minute):
			t.Error("Follow did not return after cancel")
		}
	})
	return f
}

func (f *followed) ids() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for _, e := range f.entries {
		ids = append(ids, strings.TrimPrefix(e.LeaseID, "secret/a/"))
	}
	return ids
}

// waitFor polls cond with a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (f *followed) waitIDs(t *testing.T, want ...string) {
	t.Helper()
	waitFor(t, strings.Join(want, ","), func() bool { return strings.Join(f.ids(), ",") == strings.Join(want, ",") })
}

func appendTo(t *testing.T, p, text string) {
	t.Helper()
	fh, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	if _, err := fh.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

func TestFollowAppendPartialRotateTruncate(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "vault_audit.log")
	writeFile(t, p, pair("a", 0)+pair("a", 1), false)
	f := follow(t, p)
	f.waitIDs(t, "0000", "0001")

	// Append.
	appendTo(t, p, pair("a", 2))
	f.waitIDs(t, "0000", "0001", "0002")

	// A line written in two pieces: nothing until its newline.
	p3 := pair("a", 3)
	appendTo(t, p, p3[:len(p3)-300])
	// Another line after it shows the first half was not lost or dropped
	// (waiting on the half alone would need a sleep).
	appendTo(t, p, p3[len(p3)-300:]+pair("a", 4))
	f.waitIDs(t, "0000", "0001", "0002", "0003", "0004")

	// Rotation: rename, the writer adds a last line to the old file, then
	// a new file appears at the path.
	if err := os.Rename(p, p+".1"); err != nil {
		t.Fatal(err)
	}
	appendTo(t, p+".1", pair("a", 5))
	appendTo(t, p, pair("a", 6))
	f.waitIDs(t, "0000", "0001", "0002", "0003", "0004", "0005", "0006")

	appendTo(t, p, pair("a", 7)+pair("a", 8))
	f.waitIDs(t, "0000", "0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008")

	// Truncation: the file shrinks below what was read (whenever Follow
	// looks); reading starts again at 0.
	if err := os.Truncate(p, 0); err != nil {
		t.Fatal(err)
	}
	appendTo(t, p, pair("a", 9))
	f.waitIDs(t, "0000", "0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009")

	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.errs) != 0 {
		t.Errorf("errors reported: %v", f.errs)
	}
}

func TestFollowPartialLineWaits(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "vault_audit.log")
	p0 := pair("a", 0)
	writeFile(t, p, p0[:len(p0)-1], false) // the newline is missing
	f := follow(t, p)
	appendTo(t, p, "\n")
	f.waitIDs(t, "0000")
	appendTo(t, p, pair("a", 1))
	f.waitIDs(t, "0000", "0001")
}

// The mechanism under Follow, step by step: a line cut by EOF is kept
// until its newline comes, then delivered whole.
func TestLineReaderKeepsPartialLine(t *testing.T) {
	p := filepath.Join(t.TempDir(), "log")
	writeFile(t, p, "", false)
	fh, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	lr := newLineReader(fh)
	long := strings.Repeat("z", bufSize+100) // longer than the buffer too
	for _, piece := range []string{"{\"a\":", long[:bufSize/2], long[bufSize/2:], "}"} {
		appendTo(t, p, piece)
		if line, _, err := lr.next(); err == nil {
			t.Fatalf("a line before its newline: %.40q", line)
		}
		if !lr.pending() {
			t.Fatal("the partial line was dropped")
		}
	}
	appendTo(t, p, "\nnext\n")
	line, tooLong, err := lr.next()
	if err != nil || tooLong || string(line) != "{\"a\":"+long+"}" {
		t.Fatalf("whole line: %d bytes, %v %v", len(line), tooLong, err)
	}
	if line, _, err := lr.next(); err != nil || string(line) != "next" {
		t.Fatalf("next line: %q %v", line, err)
	}
}

func TestFollowMissingThenCreated(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "later.log")
	f := follow(t, p)
	waitFor(t, "a report that the file cannot be opened", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(f.errs) == 1 && strings.Contains(f.errs[0], "cannot open")
	})
	appendTo(t, p, pair("a", 0))
	f.waitIDs(t, "0000")
}

func TestFollowVanished(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "vault_audit.log")
	writeFile(t, p, pair("a", 0), false)
	f := follow(t, p)
	f.waitIDs(t, "0000")
	os.Remove(p)
	waitFor(t, "a report that the file is gone", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(f.errs) == 1 && strings.Contains(f.errs[0], "is gone")
	})
	writeFile(t, p, pair("a", 1), false)
	f.waitIDs(t, "0000", "0001")
}

func TestFollowBatchesWhileBusy(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "vault_audit.log")
	var b strings.Builder
	n := 2*BatchSize + 10
	for s := range n {
		b.WriteString(pair("a", s))
	}
	writeFile(t, p, b.String(), false)
	f := follow(t, p)
	waitFor(t, "every entry", func() bool { return len(f.ids()) == n })
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.batches < 3 {
		t.Errorf("%d batches for %d entries: batches are not bounded", f.batches, n)
	}
}

func TestFollowRefusesStdinAndFolders(t *testing.T) {
	if err := Follow(context.Background(), "-", func([]Entry) {}, nil); err == nil {
		t.Error("following stdin is no error")
	}
	if err := Follow(context.Background(), t.TempDir(), func([]Entry) {}, nil); err == nil {
		t.Error("following a folder is no error")
	}
}
