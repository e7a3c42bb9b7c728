package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leasetop/leasetop/internal/faultproxy"
	"github.com/leasetop/leasetop/internal/vaulttest"
	"github.com/leasetop/leasetop/vaultclient"
)

// While a background poll keeps adding, expiring and removing leases and
// re-sorting the table, random keys move, mark and revoke. Each revocation
// is confirmed as a person would: after reading, in the confirmation
// dialog, which leases it names. The revocations Vault received from
// leasetop (counted at a proxy in front of Vault, by the lease id in each
// request) are exactly the leases those dialogs named, each once, and
// nothing else changed in Vault.
func TestStressRevocationsHitExactlyWhatWasSelected(t *testing.T) {
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	all := map[string]bool{}
	var mu sync.Mutex
	add := func(path string, ttl time.Duration, n int) {
		ids, err := env.Seed.LeasedKV(ctx, path, ttl, n)
		if err != nil {
			t.Error(err)
			return
		}
		mu.Lock()
		for _, id := range ids {
			all[id] = true
		}
		mu.Unlock()
	}
	for i := range 4 {
		add(fmt.Sprintf("stress/p%d", i), time.Duration(i+1)*time.Hour, 10)
	}

	// leasetop talks through the proxy; the background and the checks
	// below talk to Vault directly, so the proxy sees only leasetop.
	p, a := env.Proxied(t)
	direct := env.Client(t, "", vaultclient.Config{})
	r := startProgram(t, vaultclient.NewFromAPI(a, vaultclient.Config{}), Options{Prefix: "secret/stress/", Refresh: 150 * time.Millisecond})
	r.waitFor("40 leases") // the first crawl
	r.waitFor("refreshed")

	// chosen: every lease a confirmed dialog named, in order.
	var cmu sync.Mutex
	var chosen []string

	// The background: new leases, and leases revoked behind leasetop's back.
	var bgRevoked []string
	stop := make(chan struct{})
	bgDone := make(chan struct{})
	go func() {
		defer close(bgDone)
		rng := rand.New(rand.NewPCG(1, 2))
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(120 * time.Millisecond):
			}
			if i%2 == 0 {
				add(fmt.Sprintf("stress/p%d", rng.IntN(4)), time.Duration(10+rng.IntN(100))*time.Minute, 1)
				continue
			}
			mu.Lock()
			var ids []string
			for id := range all {
				ids = append(ids, id)
			}
			mu.Unlock()
			slices.Sort(ids)
			id := ids[rng.IntN(len(ids))]
			cmu.Lock()
			taken := slices.Contains(chosen, id)
			cmu.Unlock()
			if taken {
				continue // leave the ones the user has already chosen alone
			}
			if _, err := direct.Revoke(ctx, id, true); err == nil {
				mu.Lock()
				delete(all, id)
				bgRevoked = append(bgRevoked, id)
				mu.Unlock()
			}
		}
	}()

	rng := rand.New(rand.NewPCG(3, 4))
	steps := [][]string{{"j"}, {"j"}, {"k"}, {"G"}, {"g"}, {"s"}, {"space"}, {"space"}, {"x", "y"}, {"x", "y"}, {"X", "y"}, {"x", "n"}, {"esc"}}
	confirmed, declined := 0, 0
	for range 80 {
		step := steps[rng.IntN(len(steps))]
		if len(step) == 1 {
			r.press(step[0])
			time.Sleep(time.Duration(rng.IntN(50)) * time.Millisecond)
			continue
		}
		r.press(step[0])
		ids, more, ok := revokeDialog(r.screen())
		if !ok {
			continue // nothing to revoke, or the last action still runs: no dialog
		}
		if step[1] != "y" || more {
			// A person confirms only what the dialog lets them see: with
			// more marked leases than it lists, they decline and unmark.
			r.press("n")
			if more {
				r.press("esc")
				declined++
			}
			continue
		}
		cmu.Lock()
		chosen = append(chosen, ids...)
		cmu.Unlock()
		r.press("y")
		confirmed++
		// The revocations this dialog asked for reach Vault and are answered.
		waitRevoked(t, p, ids)
		if len(ids) > 1 {
			r.press("esc") // close the results
		}
	}
	close(stop)
	<-bgDone
	// leasetop polls every 150 ms, so it is hardly ever idle: quit it, and
	// wait until nothing it sent is still on its way.
	r.quit()
	waitProxyQuiet(t, p)

	cmu.Lock()
	want := slices.Sorted(slices.Values(chosen))
	cmu.Unlock()
	var got []string
	for _, req := range p.Requests() {
		if !mutating(req) {
			continue
		}
		id, ok := revokedLease(req)
		if !ok {
			t.Errorf("leasetop sent %s %s %s: not a lease revocation", req.Method, req.Path, req.Body)
			continue
		}
		if req.Status != 200 && req.Status != 202 && req.Status != 204 {
			t.Errorf("Vault answered %d to the revocation of %s", req.Status, id)
		}
		got = append(got, id)
	}
	slices.Sort(got)
	if dup := len(got) - len(slices.Compact(slices.Clone(got))); dup > 0 {
		t.Errorf("%d leases were revoked twice", dup)
	}
	if dup := len(want) - len(slices.Compact(slices.Clone(want))); dup > 0 {
		t.Errorf("%d leases were offered for revocation twice", dup)
	}
	// A lease the background revoked first can still be revoked by the
	// user (Vault answers 204): both records keep it.
	if !slices.Equal(got, want) {
		t.Errorf("Vault received revocations of %v\nthe dialogs the user confirmed named %v", got, want)
	}
	if len(want) == 0 {
		t.Fatal("the random keys revoked nothing: the test proved nothing")
	}
	// Vault agrees: what the user chose is gone; everything else that the
	// background did not revoke is still there.
	for _, id := range want {
		if _, err := direct.Lookup(ctx, id); !errors.Is(err, vaultclient.ErrInvalidLease) {
			t.Errorf("%s was chosen but Vault still has it (%v)", id, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for id := range all {
		if slices.Contains(want, id) {
			continue
		}
		if _, err := direct.Lookup(ctx, id); err != nil {
			t.Errorf("%s was never chosen but is gone: %v", id, err)
		}
	}
	t.Logf("user confirmed %d revocations of %d leases (declined %d dialogs naming more than they list); the background revoked %d and added leases throughout",
		confirmed, len(want), declined, len(bgRevoked))
}

var dialogLease = regexp.MustCompile(`secret/stress/p\d/[A-Za-z0-9]+`)

// revokeDialog reads a revoke confirmation off the screen: the lease ids it
// names, and whether it says there are more than it lists.
func revokeDialog(screen string) (ids []string, more, ok bool) {
	lines := strings.Split(screen, "\n")
	in := false
	for _, l := range lines {
		switch {
		case strings.Contains(l, "Revoke this lease?") || strings.Contains(l, "marked leases?"):
			in, ok = true, true
		case !in:
		case strings.Contains(l, "y revokes"):
			return ids, more, ok
		case strings.Contains(l, "more"):
			more = true
		default:
			ids = append(ids, dialogLease.FindAllString(l, -1)...)
		}
	}
	return ids, more, ok
}

// waitRevoked waits until the proxy has passed an answered revocation of
// every one of ids.
func waitRevoked(t *testing.T, p *faultproxy.Proxy, ids []string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		seen := map[string]bool{}
		for _, req := range p.Requests() {
			if id, ok := revokedLease(req); ok && req.Status != 0 {
				seen[id] = true
			}
		}
		missing := 0
		for _, id := range ids {
			if !seen[id] {
				missing++
			}
		}
		if missing == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of the confirmed revocations %v never reached Vault", missing, ids)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// revokedLease is the lease a request to Vault revokes: the lease_id in the
// body of PUT sys/leases/revoke, or the id in its path
// (sys/leases/revoke/<id>, and the older sys/revoke/<id>).
func revokedLease(req faultproxy.Request) (string, bool) {
	if req.Method != "PUT" && req.Method != "POST" {
		return "", false
	}
	for _, prefix := range []string{"sys/leases/revoke/", "sys/revoke/"} {
		if id, ok := strings.CutPrefix(req.Path, prefix); ok && id != "" {
			return id, true
		}
	}
	if req.Path != "sys/leases/revoke" && req.Path != "sys/revoke" {
		return "", false
	}
	var body struct {
		LeaseID string `json:"lease_id"`
	}
	if err := json.Unmarshal(req.Body, &body); err != nil || body.LeaseID == "" {
		return "", false
	}
	return body.LeaseID, true
}
