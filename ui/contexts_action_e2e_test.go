package ui

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leasetop/leasetop/config"
	"github.com/leasetop/leasetop/internal/faultproxy"
	"github.com/leasetop/leasetop/internal/vaulttest"
	"github.com/leasetop/leasetop/vaultclient"
)

// A bulk revoke started on one context (marked leases, then a prefix)
// keeps running against that context's Vault while the operator looks at
// another: the switch happens while A's revocations are held at a proxy
// in front of A, they go on to the end against A, A's own listing (read
// with plain HTTP) empties, not one request of theirs reaches B, and
// switching back to A shows their results.
func TestEndToEndBulkRevokeRunsOnAcrossASwitch(t *testing.T) {
	envA, envB := vaulttest.Start(t), vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := envA.Seed.LeasedKV(ctx, "ctx-a/m1", time.Hour, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := envA.Seed.LeasedKV(ctx, "ctx-a/p2", time.Hour, 6); err != nil {
		t.Fatal(err)
	}
	if _, err := envB.Seed.LeasedKV(ctx, "ctx-b/y", time.Hour, 5); err != nil {
		t.Fatal(err)
	}
	pa, _ := envA.Proxied(t)
	pb, _ := envB.Proxied(t)
	t.Setenv("LT_TOKEN_A", envA.Server.RootToken)
	t.Setenv("LT_TOKEN_B", envB.Server.RootToken)
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(`current-context: a
contexts:
  - name: a
    address: `+pa.URL+`
    token: {env: LT_TOKEN_A}
    prefix: secret/ctx-a/
  - name: b
    address: `+pb.URL+`
    token: {env: LT_TOKEN_B}
    prefix: secret/
`), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	hour := time.Hour
	sw := ConfigSwitcher(f, "a", config.Flags{Refresh: &hour}, Options{}, func(cfg vaultclient.Config) (Backend, error) { return vaultclient.New(cfg) })
	be, opt, err := sw.Open("a")
	if err != nil {
		t.Fatal(err)
	}
	opt.Switch = sw
	r := startProgram(t, be, opt)
	r.waitFor("16 leases")
	r.waitIdle(pa)

	revokes := func(req faultproxy.Request) bool { return strings.HasPrefix(req.Path, "sys/leases/revoke") }
	aPaths := func(req faultproxy.Request) bool { return strings.Contains(req.Path+"?"+string(req.Body), "ctx-a") }
	switchTo := func(name, want string) {
		t.Helper()
		r.press(":")
		r.typeText("ctx " + name)
		r.press("enter")
		r.waitUntil("context "+name+" shown", 30*time.Second, func(s string) bool {
			return strings.Contains(lineWith(s, "leasetop"), " "+name+" ") && strings.Contains(s, want)
		})
	}
	// heldAtTheSwitch holds A's requests under path at the proxy, runs
	// start (the action's keys), switches to b while some are held, and
	// lets them go once b is on screen.
	heldAtTheSwitch := func(path string, start func()) {
		t.Helper()
		hold := make(chan struct{})
		pa.Add(faultproxy.Rule{PathPrefix: path, Count: -1, Fault: faultproxy.Fault{Hold: hold}})
		defer pa.Clear()
		pa.Reset()
		start()
		deadline := time.Now().Add(time.Minute)
		for pa.Count(func(q faultproxy.Request) bool { return revokes(q) && q.Status == 0 }) == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("no revocation reached A's proxy; the screen shows:\n%s", r.screen())
			}
			time.Sleep(20 * time.Millisecond)
		}
		switchTo("b", "5 leases")
		if held := pa.Count(func(q faultproxy.Request) bool { return revokes(q) && q.Status == 0 }); held == 0 {
			t.Fatal("the switch did not happen mid-action: no revocation was in flight")
		}
		close(hold)
	}

	// Marked leases: 10 revocations, 4 at a time, so most are sent after
	// the switch.
	heldAtTheSwitch("sys/leases/revoke", func() {
		r.press("tab", "j", "tab") // the tree: secret/ctx-a/ → m1/; back to its leases
		r.waitUntil("m1's leases alone in the table", 30*time.Second, func(s string) bool {
			return strings.Contains(s, "secret/ctx-a/m1/") && !strings.Contains(s, "secret/ctx-a/p2/")
		})
		r.press("a", "X")
		r.waitFor("Revoke 10 marked leases?")
		r.press("y")
	})
	waitListed(t, envA, "secret/ctx-a/m1/", 0)
	waitRequests(t, pa, "A's 10 revocations answered", func(q faultproxy.Request) bool { return revokes(q) && q.Status != 0 }, 10)
	waitProxyQuiet(t, pa)
	if n := pa.Count(revokes); n != 10 {
		t.Errorf("A's Vault got %d revocations for 10 marked leases", n)
	}
	if left := listed(t, envA, "secret/ctx-a/p2/"); len(left) != 6 {
		t.Errorf("the leases not marked: %d left in A, want 6", len(left))
	}
	switchTo("a", "leasetop")
	r.waitFor("revoked 10 of 10 leases")
	r.waitFor("Revoke: 10 leases")
	r.press("esc")

	// A prefix: one revoke-prefix, then the follow's listings until no
	// lease is left, all while b is shown.
	r.waitFor("6 leases")
	r.waitIdle(pa)
	heldAtTheSwitch("sys/leases/revoke-prefix/", func() {
		r.press("tab", "g") // the tree's top: secret/ctx-a/
		r.press("P")
		r.waitFor("Revoke every lease under secret/ctx-a/")
		r.typeText("secret/ctx-a/")
		r.press("enter")
	})
	waitListed(t, envA, "secret/ctx-a/", 0)
	waitRequests(t, pa, "the follow's listing that finds no lease", func(q faultproxy.Request) bool {
		return q.Method == "LIST" && strings.TrimSuffix(q.Path, "/") == "sys/leases/lookup/secret/ctx-a" && q.Status == http.StatusNotFound
	}, 1)
	waitProxyQuiet(t, pa)
	switchTo("a", "leasetop")
	r.waitFor("secret/ctx-a/: every lease revoked (6)")
	if n := pa.Count(func(q faultproxy.Request) bool {
		return strings.HasPrefix(q.Path, "sys/leases/revoke-prefix/secret/ctx-a")
	}); n != 1 {
		t.Errorf("A's Vault got %d revoke-prefix requests, want 1", n)
	}

	// Nothing of A's actions reached B.
	if n := pb.Count(revokes); n != 0 {
		t.Errorf("B's Vault got %d revocations", n)
	}
	if n := pb.Count(mutating); n != 0 {
		t.Errorf("B's Vault got %d mutating requests", n)
	}
	if n := pb.Count(aPaths); n != 0 {
		t.Errorf("B's Vault got %d requests about A's paths", n)
	}
	if left := listed(t, envB, "secret/ctx-b/y/"); len(left) != 5 {
		t.Errorf("B lists %d leases, want its 5", len(left))
	}
}

// listed is every lease id under prefix in env's Vault, from Vault's own
// LIST sys/leases/lookup read with plain net/http (not leasetop's client).
func listed(t *testing.T, env *vaulttest.Env, prefix string) []string {
	t.Helper()
	req, err := http.NewRequest("LIST", env.Server.Addr+"/v1/sys/leases/lookup/"+prefix, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Vault-Token", env.Server.RootToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("LIST sys/leases/lookup/%s: %s", prefix, resp.Status)
	}
	var body struct {
		Data struct {
			Keys []string `json:"keys"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, k := range body.Data.Keys {
		if strings.HasSuffix(k, "/") {
			ids = append(ids, listed(t, env, prefix+k)...)
		} else {
			ids = append(ids, prefix+k)
		}
	}
	return ids
}

// waitListed waits until Vault lists n leases under prefix.
func waitListed(t *testing.T, env *vaulttest.Env, prefix string, n int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for got := listed(t, env, prefix); len(got) != n; got = listed(t, env, prefix) {
		if time.Now().After(deadline) {
			t.Fatalf("Vault still lists %d leases under %s, want %d", len(got), prefix, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitRequests waits until the proxy has seen n requests that match.
func waitRequests(t *testing.T, p *faultproxy.Proxy, what string, match func(faultproxy.Request) bool, n int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for p.Count(match) < n {
		if time.Now().After(deadline) {
			reqs := p.Requests()
			for _, q := range reqs[max(len(reqs)-20, 0):] {
				t.Logf("%s %s %s: %d", q.Method, q.Path, q.Query, q.Status)
			}
			t.Fatalf("waited 2 min for %s: %d of %d", what, p.Count(match), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
