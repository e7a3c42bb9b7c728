package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leasetop/leasetop/internal/faultproxy"
	"github.com/leasetop/leasetop/report"
)

// syncBuffer is a bytes.Buffer a command writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runWatching runs a --watch command against a proxy in front of the dev
// server and, once it has made its first crawl and is watching, seeds n
// new leases under secret/<path>. The watch's second listing waits at the
// proxy until the seeding is done, so all n fall between the two listings
// however long the seeding takes.
func runWatching(t *testing.T, path string, n int, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	env := scriptEnv(t)
	p, err := faultproxy.New(env.Server.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	t.Setenv("VAULT_ADDR", p.URL)
	isList := func(r faultproxy.Request) bool { return r.Method == "LIST" }

	var out, errb syncBuffer
	done := make(chan int)
	go func() { done <- Run(context.Background(), args, os.Stdin, &out, &errb) }()
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(errb.String(), "watching for") {
		if time.Now().After(deadline) {
			t.Fatalf("the command never started watching: %s", errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The first crawl is over and the second listing is a whole watch
	// interval away: hold every LIST from here on.
	crawled := p.Count(isList)
	hold := make(chan struct{})
	p.Add(faultproxy.Rule{Method: "LIST", Count: -1, Fault: faultproxy.Fault{Hold: hold}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err = env.Seed.LeasedKV(ctx, path, time.Hour, n)
	close(hold)
	if err != nil {
		t.Fatal(err)
	}
	code = <-done
	if p.Count(isList) == crawled {
		t.Fatalf("the command never listed again after watching: %s", errb.String())
	}
	return out.String(), errb.String(), code
}

// count --watch lists twice and reports, per prefix, the leases created
// and gone per minute between the two listings.
func TestCountWatchReportsGrowthPerPrefix(t *testing.T) {
	out, errs, code := runWatching(t, "app/burst", 60, "count", "secret/", "--watch", "6s", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rows []report.CountRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatal(err, out)
	}
	rates := map[string]float64{}
	for _, r := range rows {
		if r.CreatedPerMinute == nil || r.GonePerMinute == nil {
			t.Fatalf("row %s has no rates: %s", r.Prefix, out)
		}
		rates[r.Prefix] = *r.CreatedPerMinute
	}
	// 60 leases between two listings 6 s apart: 600 a minute, under
	// app/burst/ and its parents; nothing new under app/day/.
	for _, p := range []string{"secret/", "secret/app/", "secret/app/burst/"} {
		if rates[p] != 600 {
			t.Errorf("%s: %.1f created a minute, want 600", p, rates[p])
		}
	}
	if rates["secret/app/day/"] != 0 {
		t.Errorf("app/day/ grew by %.1f a minute", rates["secret/app/day/"])
	}
}

// check --growth warns when one prefix's own leases are created faster
// than the limit, and names it.
func TestCheckGrowthWarnsOnTheFastestPrefix(t *testing.T) {
	out, _, code := runWatching(t, "app/burst", 40, "check", "secret/", "--expiring-within", "1s", "--growth", "100/m", "--watch", "6s")
	if code != exitWarning || !strings.Contains(out, "secret/app/burst/ grows by 400 leases a minute (limit 100/m)") || !strings.Contains(out, "growth=400.0;100;;0") {
		t.Errorf("exit %d: %s", code, out)
	}
}

func TestCheckGrowthRefusesABadRate(t *testing.T) {
	for _, bad := range []string{"fast", "-5/m", "10/week"} {
		out, _, code := runCmd(t, "check", "--expiring-within", "1h", "--growth", bad)
		if code != exitUnknown || !strings.Contains(out, "is not a rate") {
			t.Errorf("--growth %s: exit %d: %s", bad, code, out)
		}
	}
}
