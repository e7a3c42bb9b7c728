package ui

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leasetop/leasetop/internal/faultproxy"
	"github.com/leasetop/leasetop/internal/vaulttest"
	"github.com/leasetop/leasetop/vaultclient"
)

// Opened during an explosion, leasetop names the growing prefix while its
// first crawl is still looking leases up: the refreshes run from the
// moment the counts are in, beside the lookups. A proxy puts the real
// Vault 100 ms away (every request, so the adaptive limit sees one round
// trip, not a LIST's beside a lookup's), and with four requests in flight
// the first crawl of 1,200 quiet leases spans dozens of one-second
// refreshes while one prefix grows.
// Read from outside: the status bar names the prefix in a frame that
// still says "crawling", while the proxy has answered fewer lookups than
// there are quiet leases. Then the first crawl's lookups were neither
// restarted nor lost (each quiet lease looked up once, at the proxy), and
// the leases the refreshes found new were looked up too.
func TestEndToEndGrowthIsNamedWhileTheFirstCrawlLooksUp(t *testing.T) {
	const quietPer, away = 300, 100 * time.Millisecond
	quiet := []string{"storm/quiet/a", "storm/quiet/b", "storm/quiet/c", "storm/quiet/d"}

	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for _, p := range quiet {
		if _, err := env.Seed.LeasedKV(ctx, p, time.Hour, quietPer); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := env.Seed.LeasedKV(ctx, "storm/grow", time.Hour, 2); err != nil {
		t.Fatal(err)
	}
	// The explosion is under way before leasetop opens, and goes on.
	growCtx, stopGrowing := context.WithCancel(ctx)
	var grew sync.WaitGroup
	grew.Add(1)
	go func() {
		defer grew.Done()
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-growCtx.Done():
				return
			case <-tick.C:
			}
			if _, err := env.Seed.ReadLeasedKV(growCtx, "storm/grow", 2); err != nil && growCtx.Err() == nil {
				t.Errorf("growing: %v", err)
				return
			}
		}
	}()
	defer func() { stopGrowing(); grew.Wait() }()

	p, a := env.Proxied(t)
	p.Add(faultproxy.Rule{Count: -1, Fault: faultproxy.Fault{Delay: away}})
	lookup := func(req faultproxy.Request) bool { return req.Method == "PUT" && req.Path == "sys/leases/lookup" }
	answered := func(req faultproxy.Request) bool { return lookup(req) && req.Status != 0 }

	r := startProgram(t, vaultclient.NewFromAPI(a, vaultclient.Config{Concurrency: 4}),
		Options{Prefix: "secret/storm/", Refresh: time.Second, Concurrency: 4})
	const named = "fastest growth: secret/storm/grow/"
	var frame string
	var lookedUp int
	r.waitUntil("the growing prefix named", 3*time.Minute, func(s string) bool {
		if strings.Contains(s, named) {
			frame, lookedUp = s, p.Count(answered)
			return true
		}
		if strings.Contains(s, "refreshed") && !strings.Contains(s, "crawling") {
			t.Fatalf("the first crawl ended before the growth was named:\n%s", s)
		}
		return false
	})
	if !strings.Contains(frame, "crawling:") {
		t.Errorf("the growth was named in a frame that no longer says crawling:\n%s", frame)
	}
	if total := len(quiet) * quietPer; lookedUp >= total {
		t.Errorf("the proxy had answered %d lookups when the growth was named: every one of the %d quiet leases was looked up already", lookedUp, total)
	}
	t.Logf("named after %d lookups answered", lookedUp)

	// The explosion stops; the first crawl ends, and a refresh after it
	// finds the last of the new leases.
	stopGrowing()
	grew.Wait()
	r.waitUntil("the first crawl's end", 5*time.Minute, func(s string) bool { return !strings.Contains(s, "crawling") })
	want := vaultLeaseIDs(t, env, "secret/storm/")
	looked := func() map[string]int {
		n := map[string]int{}
		for _, req := range p.Requests() {
			if answered(req) {
				var body struct {
					LeaseID string `json:"lease_id"`
				}
				if err := json.Unmarshal(req.Body, &body); err == nil {
					n[body.LeaseID]++
				}
			}
		}
		return n
	}
	r.waitUntil("a lookup of every lease Vault lists", 2*time.Minute, func(string) bool {
		n := looked()
		for _, id := range want {
			if n[id] == 0 {
				return false
			}
		}
		return true
	})
	for id, k := range looked() {
		if strings.HasPrefix(id, "secret/storm/quiet/") && k != 1 {
			t.Errorf("%s was looked up %d times: the first crawl's lookups were restarted", id, k)
		}
	}
}

// vaultLeaseIDs lists every lease id under prefix with Vault's own API
// client, not leasetop's walk.
func vaultLeaseIDs(t *testing.T, env *vaulttest.Env, prefix string) []string {
	t.Helper()
	var out []string
	var walk func(p string)
	walk = func(p string) {
		sec, err := env.API.Logical().List("sys/leases/lookup/" + p)
		if err != nil {
			t.Fatal(err)
		}
		if sec == nil {
			return
		}
		keys, _ := sec.Data["keys"].([]any)
		for _, k := range keys {
			s, _ := k.(string)
			if strings.HasSuffix(s, "/") {
				walk(p + s)
			} else {
				out = append(out, p+s)
			}
		}
	}
	walk(prefix)
	return out
}
