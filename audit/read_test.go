package audit

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var base = time.Date(2026, 11, 26, 14, 0, 0, 0, time.UTC)

// pair is the request and response lines of one leased read at base+sec.
func pair(node string, sec int) string {
	ts := base.Add(time.Duration(sec) * time.Second).Format(time.RFC3339Nano)
	path := "secret/" + node
	l := line{time: ts, display: "approle", entity: "e-" + node, metadata: `{"role_name":"` + node + `"}`, path: path, lease: fmt.Sprintf("%s/%04d", path, sec)}
	req := l
	req.typ = "request"
	return req.String() + "\n" + l.String() + "\n"
}

func writeFile(t *testing.T, p, text string, gz bool) {
	t.Helper()
	data := []byte(text)
	if gz {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write(data)
		w.Close()
		data = b.Bytes()
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readAll(t *testing.T, path string, stdin *strings.Reader) ([]Entry, Stats, error) {
	t.Helper()
	var got []Entry
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	st, err := Read(context.Background(), path, stdin, func(es []Entry) {
		if len(es) == 0 || len(es) > BatchSize {
			t.Errorf("batch of %d", len(es))
		}
		got = append(got, es...)
	})
	return got, st, err
}

func TestReadFolderMergesNodesByTime(t *testing.T) {
	dir := t.TempDir()
	var a1, a0, b1, b0 strings.Builder
	// Node a: seconds 0..99 rotated to vault_audit.log.1 (plain), 100..199
	// live. Node b: odd seconds, 1..99 rotated and gzipped, 101..199 live.
	for s := 0; s < 200; s += 2 {
		w := &a0
		if s < 100 {
			w = &a1
		}
		w.WriteString(pair("a", s))
		w = &b0
		if s+1 < 100 {
			w = &b1
		}
		w.WriteString(pair("b", s+1))
	}
	writeFile(t, filepath.Join(dir, "a-vault_audit.log"), a0.String(), false)
	writeFile(t, filepath.Join(dir, "a-vault_audit.log.1"), a1.String(), false)
	writeFile(t, filepath.Join(dir, "b-vault_audit.log"), b0.String(), false)
	writeFile(t, filepath.Join(dir, "b-vault_audit.log.1.gz"), b1.String()+"garbage, not JSON\n"+`{"time":"2026-11-26T14:01:39Z","type":"respo`+"\n", true)
	os.Mkdir(filepath.Join(dir, "archive"), 0o755) // folders inside are not read

	got, st, err := readAll(t, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 200 {
		t.Fatalf("%d entries, want 200", len(got))
	}
	for i, e := range got {
		want := fmt.Sprintf("secret/%s/%04d", map[bool]string{true: "a", false: "b"}[i%2 == 0], i)
		if e.LeaseID != want || !e.Time.Equal(base.Add(time.Duration(i)*time.Second)) {
			t.Fatalf("entry %d is %s at %v, want %s: not in time order", i, e.LeaseID, e.Time, want)
		}
		if e.Owner.Metadata["role_name"] != want[7:8] {
			t.Fatalf("entry %d owner %+v", i, e.Owner)
		}
	}
	if st.Lines != 402 || st.Leases != 200 || st.Garbage != 2 {
		t.Errorf("stats %+v, want 402 lines, 200 leases, 2 garbage", st)
	}
	if !st.First.Equal(base) || !st.Last.Equal(base.Add(199*time.Second)) {
		t.Errorf("stats times %v .. %v", st.First, st.Last)
	}
}

func TestReadOneFileGzipAndStdin(t *testing.T) {
	dir := t.TempDir()
	text := pair("a", 0) + pair("a", 1)
	p := filepath.Join(dir, "log")
	writeFile(t, p, text, false)
	gz := filepath.Join(dir, "log.gz")
	writeFile(t, gz, text, true)
	for _, c := range []struct{ path, stdin string }{{p, ""}, {gz, ""}, {"-", text}} {
		got, st, err := readAll(t, c.path, strings.NewReader(c.stdin))
		if err != nil || len(got) != 2 || st.Lines != 4 || st.Garbage != 0 {
			t.Errorf("%s: %d entries, %+v, %v", c.path, len(got), st, err)
		}
	}
	// A gzipped stdin too, and a last line with no newline.
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(strings.TrimSuffix(text, "\n")))
	w.Close()
	got, st, err := readAll(t, "-", strings.NewReader(b.String()))
	if err != nil || len(got) != 2 || st.Lines != 4 {
		t.Errorf("gzipped stdin: %d entries, %+v, %v", len(got), st, err)
	}
}

func TestReadEmptyAndBad(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.log")
	writeFile(t, empty, "", false)
	got, st, err := readAll(t, empty, nil)
	if err != nil || len(got) != 0 || st != (Stats{}) {
		t.Errorf("empty file: %d entries, %+v, %v", len(got), st, err)
	}
	got, st, err = readAll(t, dir, nil)
	if err != nil || len(got) != 0 || st != (Stats{}) {
		t.Errorf("folder with an empty file: %d entries, %+v, %v", len(got), st, err)
	}
	if _, _, err := readAll(t, filepath.Join(dir, "missing"), nil); err == nil {
		t.Error("a missing file is no error")
	}

	// Unreadable: tests run as root, so no chmod 000; a file that is not
	// gzip although it starts like one cannot be read.
	bad := filepath.Join(dir, "bad.log.gz")
	writeFile(t, bad, "\x1f\x8bnot really gzip", false)
	good := filepath.Join(dir, "good.log")
	writeFile(t, good, pair("a", 5), false)
	if _, _, err := readAll(t, bad, nil); err == nil {
		t.Error("a broken gzip file is no error")
	}
	got, st, err = readAll(t, dir, nil)
	if err == nil || !strings.Contains(err.Error(), "bad.log.gz") {
		t.Errorf("folder with a broken file: err %v, want one naming it", err)
	}
	if len(got) != 1 || st.Leases != 1 {
		t.Errorf("folder with a broken file: the good one gave %d entries", len(got))
	}
	if os.Geteuid() != 0 {
		noread := filepath.Join(t.TempDir(), "noread.log")
		writeFile(t, noread, pair("a", 1), false)
		os.Chmod(noread, 0)
		if _, _, err := readAll(t, noread, nil); err == nil {
			t.Error("an unreadable file is no error")
		}
	}
}

func TestReadLongAndGarbageLines(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "log")
	long := strings.Repeat("x", MaxLine+10)
	// Over the limit, just under it (but not JSON), a lease after both.
	text := long + "\n" + strings.Repeat("y", bufSize*3) + "\n" + "\n" + pair("a", 7)
	writeFile(t, p, text, false)
	got, st, err := readAll(t, p, nil)
	if err != nil || len(got) != 1 || got[0].LeaseID != "secret/a/0007" {
		t.Fatalf("%d entries, %v", len(got), err)
	}
	if st.Lines != 5 || st.Garbage != 3 {
		t.Errorf("stats %+v, want 5 lines, 3 garbage", st)
	}
}

func TestReadCancelled(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "log")
	var b strings.Builder
	for s := range 3 * BatchSize {
		b.WriteString(pair("a", s))
	}
	writeFile(t, p, b.String(), false)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	_, err := Read(ctx, p, nil, func(es []Entry) { n += len(es); cancel() })
	if err != context.Canceled || n >= 3*BatchSize {
		t.Errorf("cancelled read: err %v after %d entries", err, n)
	}
}
