package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leasetop/leasetop/crawl"
	"github.com/leasetop/leasetop/internal/faultproxy"
	"github.com/leasetop/leasetop/internal/vaulttest"
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
	p, _ := env.Proxied(t)
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
	_, err := env.Seed.LeasedKV(ctx, path, time.Hour, n)
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

// count --watch drives the UI's crawl engine: its refresh lists what the
// engine's plan says, not the whole tree again, and Vault's figures name
// growth under a prefix the plan left alone, as they do in the UI. The
// policy here makes the small tree behave as a big one (a budget of
// nothing, no prefix cheap, no turn ever due), so a refresh with no news
// lists the starting prefix alone, its known children skipped; leases
// made under the quiet app/day/ show in the figures, and that refresh
// lists the mount whole and counts them. Requests are counted at a proxy,
// the leases compared with Vault's own listing.
func TestCountWatchListsWhatThePlanSaysAndFindsGrowthUnderAQuietPrefix(t *testing.T) {
	const every = 3 * time.Second
	for _, tc := range []struct {
		name  string
		made  int      // leases made under app/day/ during the watch
		lists []string // the prefixes the refresh lists
	}{
		{"no news", 0, []string{"secret/"}},
		{"growth under a quiet prefix", 4, []string{"secret/", "secret/app/", "secret/app/day/", "secret/app/hour/", "secret/app/short/"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := scriptEnv(t)
			p, _ := env.Proxied(t)
			t.Setenv("VAULT_ADDR", p.URL)
			const listPath = "sys/leases/lookup/"
			isList := func(r faultproxy.Request) bool { return r.Method == "LIST" && strings.HasPrefix(r.Path, listPath) }
			figures := func(r faultproxy.Request) bool { return r.Path == "sys/metrics" && r.Status == 200 }

			var out, errb syncBuffer
			a := &app{stdin: os.Stdin, stdout: &out, stderr: &errb, policy: crawl.Policy{
				RelistShare: 0.05, RelistCheap: 1, RelistHot: 60, RelistEvery: 1000, HintMin: 1,
			}}
			done := make(chan int)
			go func() {
				done <- a.execute(context.Background(), []string{"count", "secret/", "--watch", every.String(), "-o", "json"})
			}()
			waitFor(t, "the watch to begin", func() bool { return strings.Contains(errb.String(), "watching for") })
			crawled := len(p.Requests())
			// The baseline of Vault's figures is read when the counts are
			// in; the refresh's read waits until the leases are made.
			waitFor(t, "the baseline of Vault's figures", func() bool { return p.Count(figures) >= 1 })
			hold := make(chan struct{})
			p.Add(faultproxy.Rule{PathPrefix: "sys/metrics", Count: -1, Fault: faultproxy.Fault{Hold: hold}})
			if tc.made > 0 {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				_, err := env.Seed.ReadLeasedKV(ctx, "app/day", tc.made)
				cancel()
				if err != nil {
					close(hold)
					t.Fatal(err)
				}
			}
			close(hold)
			code := <-done
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}

			var lists []string
			for _, r := range p.Requests()[crawled:] {
				if isList(r) {
					lists = append(lists, strings.TrimSuffix(strings.TrimPrefix(r.Path, listPath), "/")+"/")
				}
			}
			slices.Sort(lists)
			if !slices.Equal(lists, tc.lists) {
				t.Errorf("the refresh listed %v, want %v", lists, tc.lists)
			}
			named := strings.Contains(errb.String(), "Vault made leases under secret/ that no listing found")
			if named != (tc.made > 0) {
				t.Errorf("growth named: %v, want %v: %s", named, tc.made > 0, errb.String())
			}

			var rows []report.CountRow
			if err := json.Unmarshal([]byte(out.String()), &rows); err != nil {
				t.Fatal(err, out.String())
			}
			vault := vaulttest.AllLeaseIDs(t, env.Server.Addr, env.Server.RootToken)
			perMinute := float64(tc.made) / every.Minutes()
			for _, r := range rows {
				want := 0
				for id := range vault {
					if strings.HasPrefix(id, r.Prefix) {
						want++
					}
				}
				if r.Leases != want {
					t.Errorf("%s: %d leases, Vault lists %d", r.Prefix, r.Leases, want)
				}
				wantRate := 0.0
				if strings.HasPrefix("secret/app/day/", r.Prefix) {
					wantRate = perMinute
				}
				if r.CreatedPerMinute == nil {
					t.Errorf("%s has no rates", r.Prefix)
				} else if *r.CreatedPerMinute != wantRate {
					t.Errorf("%s: created a minute %.1f, want %.1f", r.Prefix, *r.CreatedPerMinute, wantRate)
				}
			}
		})
	}
}
