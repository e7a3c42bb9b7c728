package ui

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/hashicorp/vault/api"

	"github.com/leasetop/leasetop/internal/devvault"
	"github.com/leasetop/leasetop/internal/faultproxy"
	"github.com/leasetop/leasetop/internal/seed"
	"github.com/leasetop/leasetop/internal/vaulttest"
	"github.com/leasetop/leasetop/vaultclient"
)

// probe runs the real Model inside a real tea.Program and keeps what it
// last drew, so a test can wait for the screen like a person would.
type probe struct {
	Model
	mu  *sync.Mutex
	out *string
	top *string // id of the first table row
}

func (p probe) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	next, cmd := p.Model.Update(msg)
	p.Model = next.(Model)
	return p, cmd
}

func (p probe) View() tea.View {
	v := p.Model.View()
	p.mu.Lock()
	*p.out = ansi.Strip(p.render())
	*p.top = ""
	if r := rows(p.Model); len(r) > 0 {
		*p.top = r[0].ID()
	}
	p.mu.Unlock()
	return v
}

type running struct {
	t    *testing.T
	p    *tea.Program
	mu   sync.Mutex
	out  string
	top  string
	done chan struct{}
}

func startProgram(t *testing.T, be Backend, opt Options) *running {
	r := &running{t: t, done: make(chan struct{})}
	pr := probe{Model: New(be, opt), mu: &r.mu, out: &r.out, top: &r.top}
	r.p = tea.NewProgram(pr, tea.WithInput(nil), tea.WithOutput(discard{}), tea.WithWindowSize(140, 30), tea.WithoutSignalHandler())
	go func() {
		defer close(r.done)
		if _, err := r.p.Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) {
			t.Errorf("program: %v", err)
		}
	}()
	t.Cleanup(func() {
		r.p.Quit()
		<-r.done
	})
	return r
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func (r *running) screen() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out
}

func (r *running) firstRow() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.top
}

// waitFor waits until the screen shows want.
func (r *running) waitFor(want string) {
	r.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(r.screen(), want) {
		if time.Now().After(deadline) {
			r.t.Fatalf("the screen never showed %q; it shows:\n%s", want, r.screen())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *running) press(ks ...string) {
	for _, k := range ks {
		r.p.Send(keyMsg(k))
		time.Sleep(30 * time.Millisecond)
	}
}

func (r *running) typeText(s string) {
	for _, c := range s {
		r.p.Send(tea.KeyPressMsg{Code: c, Text: string(c)})
	}
	time.Sleep(30 * time.Millisecond)
}

// Against a real dev server: the crawl fills the screen, x revokes exactly
// the lease on the cursor, P revokes exactly the typed prefix, and Vault's
// own listing agrees.
func TestEndToEndBrowseRevokeAndRevokePrefix(t *testing.T) {
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	a, err := env.Seed.LeasedKV(ctx, "e2e/a", 10*time.Minute, 5)
	if err != nil {
		t.Fatal(err)
	}
	b, err := env.Seed.LeasedKV(ctx, "e2e/b", time.Hour, 3)
	if err != nil {
		t.Fatal(err)
	}
	client := env.Client(t, "", vaultclient.Config{})
	r := startProgram(t, client, Options{Prefix: "secret/e2e/", Refresh: time.Hour})
	r.waitFor("8 leases")
	r.waitFor("refreshed")

	target := r.firstRow()
	if !slices.Contains(a, target) {
		t.Fatalf("the first row %q should be one of secret/e2e/a (soonest expiry)", target)
	}
	r.press("x")
	r.waitFor("Revoke this lease?")
	r.press("y")
	r.waitFor("revoked " + target)
	left, err := client.List(ctx, "secret/e2e/a/")
	if err != nil {
		t.Fatal(err)
	}
	if len(left.LeaseIDs) != 4 || slices.Contains(left.LeaseIDs, target) {
		t.Errorf("after x on %s Vault lists %v", target, left.LeaseIDs)
	}

	before := allLeaseIDs(t, client)
	r.press("tab", "j", "j") // secret/e2e/ → a/ → b/
	r.press("P")
	r.waitFor("Revoke every lease under secret/e2e/b/")
	r.waitFor("Leases: 3 leases")
	r.typeText("secret/e2e/b/")
	r.press("enter")
	r.waitFor("every lease revoked")
	lb, err := client.List(ctx, "secret/e2e/b/")
	if err != nil {
		t.Fatal(err)
	}
	la, err := client.List(ctx, "secret/e2e/a/")
	if err != nil {
		t.Fatal(err)
	}
	if len(lb.LeaseIDs) != 0 || len(la.LeaseIDs) != 4 {
		t.Errorf("after P on secret/e2e/b/: b has %d, a has %d (want 0 and 4); b was %v", len(lb.LeaseIDs), len(la.LeaseIDs), b)
	}
	// The full before/after diff of every lease in Vault is exactly b's.
	after := allLeaseIDs(t, client)
	var removed []string
	for id := range before {
		if !after[id] {
			removed = append(removed, id)
		}
	}
	for id := range after {
		if !before[id] {
			t.Errorf("a lease appeared: %s", id)
		}
	}
	slices.Sort(removed)
	sortedB := slices.Sorted(slices.Values(b))
	if !slices.Equal(removed, sortedB) {
		t.Errorf("P removed %v, want exactly %v", removed, sortedB)
	}
	if strings.Contains(r.screen(), env.Server.RootToken) {
		t.Error("the token is on the screen")
	}
}

// proxied puts a fault-injecting proxy in front of env's server and
// returns it with a root client that talks through it.
func proxied(t *testing.T, env *vaulttest.Env) (*faultproxy.Proxy, *api.Client) {
	t.Helper()
	p, err := faultproxy.New(env.Server.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	a, err := env.Server.Client()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SetAddress(p.URL); err != nil {
		t.Fatal(err)
	}
	return p, a
}

// allLeaseIDs lists every lease id in Vault (lists only).
func allLeaseIDs(t *testing.T, c *vaultclient.Client) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	for ev := range c.Walk(context.Background(), "", vaultclient.WalkOptions{ListOnly: true}) {
		switch ev.Kind {
		case vaultclient.EventListed:
			for _, id := range ev.Listing.LeaseIDs {
				ids[id] = true
			}
		case vaultclient.EventError:
			t.Fatal(ev.Err)
		}
	}
	return ids
}

// Renewing from the UI shows what was asked and what Vault granted.
func TestEndToEndRenewShowsAskedAndGranted(t *testing.T) {
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := env.Seed.LeasedKV(ctx, "renew", 10*time.Minute, 1); err != nil {
		t.Fatal(err)
	}
	client := env.Client(t, "", vaultclient.Config{})
	r := startProgram(t, client, Options{Prefix: "secret/renew/", Refresh: time.Hour, Increment: 2 * time.Hour})
	r.waitFor("1 leases")
	r.waitFor("refreshed")
	r.press("r")
	r.waitFor("increment: 2h")
	r.press("enter")
	r.waitFor("asked 2h, granted")
	id := r.firstRow()
	l, err := client.Lookup(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if l.LastRenewal.IsZero() {
		t.Error("Vault shows no renewal")
	}
}

// A real irrevocable lease: a database lease whose revocation always fails,
// until Vault gives up (8 to 13 minutes after expiry on a dev server). The
// irrevocable view lists it with Vault's error, and x, "force" removes it.
// Slow, so it runs when LEASETOP_SLOW=1, which .ci/run sets; a replay of a
// captured answer runs everywhere (vaultclient/captured_test.go).
func TestEndToEndRealIrrevocableLease(t *testing.T) {
	if os.Getenv("LEASETOP_SLOW") == "" {
		t.Skip("waits for Vault to give up on a revocation (8-13 min): set LEASETOP_SLOW=1; CI does")
	}
	t.Parallel()
	env := vaulttest.Start(t)
	pg := vaulttest.Postgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	db := vaulttest.Database(pg, "database")
	ids, err := env.Seed.DatabaseRole(ctx, db, "doomed", 5*time.Second, time.Minute, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Seed.BreakDatabaseRevocation(ctx, db, "doomed", 5*time.Second, time.Minute); err != nil {
		t.Fatal(err)
	}
	client := env.Client(t, "", vaultclient.Config{})
	start := time.Now()
	for {
		l, err := client.Irrevocable(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if l.Count > 0 {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("Vault did not give up on the revocation within 25 minutes")
		}
		time.Sleep(10 * time.Second)
	}
	t.Logf("irrevocable %s after it was made", time.Since(start).Round(time.Second))
	if _, err := client.Renew(ctx, ids[0], time.Hour); !errors.Is(err, vaultclient.ErrIrrevocable) {
		t.Errorf("renew of an irrevocable lease: %v, want ErrIrrevocable", err)
	}
	if _, err := client.Revoke(ctx, ids[0], true); err == nil {
		t.Error("a plain revoke of an irrevocable lease must fail")
	}
	n, err := client.IrrevocableCount(ctx)
	if err != nil || n.Total != 1 {
		t.Errorf("count %+v %v", n, err)
	}

	r := startProgram(t, client, Options{Refresh: time.Hour})
	r.waitFor("refreshed")
	r.press("I")
	r.waitFor(ids[0])
	r.waitFor("out of retries")
	r.press("x")
	r.waitFor("FORCE-revoke " + ids[0])
	r.typeText("force")
	r.press("enter")
	r.waitFor("force-revoked " + ids[0])
	if l, err := client.Irrevocable(ctx, 0); err != nil || l.Count != 0 {
		t.Errorf("after force-revoke: %+v %v", l, err)
	}
}

// --read-only: whatever is pressed, no mutating request reaches Vault
// (counted by method and path at a proxy; lookups are PUTs and allowed).
func TestEndToEndReadOnlySendsNoMutation(t *testing.T) {
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := env.Seed.LeasedKV(ctx, "ro", time.Hour, 3); err != nil {
		t.Fatal(err)
	}
	p, a := proxied(t, env)
	client := vaultclient.NewFromAPI(a, vaultclient.Config{})
	r := startProgram(t, client, Options{Prefix: "secret/ro/", Refresh: time.Hour, ReadOnly: true})
	r.waitFor("3 leases")
	r.waitFor("refreshed")
	for _, k := range []string{"r", "enter", "x", "y", "space", "R", "enter", "X", "y", "tab", "P", "F", "I", "x", "esc"} {
		r.press(k)
	}
	r.typeText("secret/ro/")
	r.press("enter")
	r.waitFor("--read-only")
	time.Sleep(300 * time.Millisecond)
	for _, req := range p.Requests() {
		switch {
		case req.Method == "LIST", req.Method == "GET":
		case req.Method == "PUT" && (req.Path == "sys/leases/lookup" || req.Path == "sys/capabilities-self"):
		default:
			t.Errorf("read-only sent %s %s", req.Method, req.Path)
		}
	}
	if l, err := client.List(ctx, "secret/ro/"); err != nil || len(l.LeaseIDs) != 3 {
		t.Errorf("leases after read-only keys: %v %v", l.LeaseIDs, err)
	}
}

// The token is revoked while leasetop runs: the next refresh says so in
// plain words and the last good data stays on screen, marked stale.
func TestEndToEndTokenRevokedMidSession(t *testing.T) {
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := env.Seed.LeasedKV(ctx, "tok", time.Hour, 2); err != nil {
		t.Fatal(err)
	}
	tok := env.TokenWithPolicy(t, "leasetop", `
path "sys/leases/lookup/*" { capabilities = ["list", "sudo"] }
path "sys/leases/lookup" { capabilities = ["update"] }
`)
	client := env.Client(t, tok, vaultclient.Config{})
	r := startProgram(t, client, Options{Prefix: "secret/tok/", Refresh: time.Hour})
	r.waitFor("2 leases")
	r.waitFor("refreshed")
	if err := env.API.Auth().Token().RevokeTreeWithContext(ctx, tok); err != nil {
		t.Fatal(err)
	}
	r.press("ctrl+r")
	r.waitFor("STALE")
	r.waitFor("not valid any more")
	if !strings.Contains(r.screen(), "2 leases") {
		t.Errorf("the last good data must stay:\n%s", r.screen())
	}
	if strings.Contains(r.screen(), tok) {
		t.Error("the token is on the screen")
	}
}

// Vault is restarted (a dev server keeps nothing): after the next refresh
// the tree is honestly empty, with no ghost leases.
func TestEndToEndVaultRestartEmptiesTheTree(t *testing.T) {
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := env.Seed.LeasedKV(ctx, "ghost", time.Hour, 4); err != nil {
		t.Fatal(err)
	}
	client := env.Client(t, "", vaultclient.Config{})
	r := startProgram(t, client, Options{Refresh: time.Hour})
	r.waitFor("secret/ghost/")
	r.waitFor("refreshed")
	addr := strings.TrimPrefix(env.Server.Addr, "http://")
	env.Server.Stop()
	vaulttest.Start(t, func(o *devvault.Options) { o.Addr, o.RootToken = addr, env.Server.RootToken })
	r.press("ctrl+r")
	deadline := time.Now().Add(20 * time.Second)
	for strings.Contains(r.screen(), "secret/ghost/") {
		if time.Now().After(deadline) {
			t.Fatalf("ghost leases after the restart:\n%s", r.screen())
		}
		time.Sleep(50 * time.Millisecond)
		r.press("ctrl+r")
	}
}

// A Vault that answers slowly (2 s a request) does not freeze the UI:
// keys answer while the crawl crawls, and it finishes by itself.
func TestEndToEndSlowVaultKeepsKeysAnswering(t *testing.T) {
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := env.Seed.LeasedKV(ctx, "slow", time.Hour, 3); err != nil {
		t.Fatal(err)
	}
	p, err := faultproxy.New(env.Server.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.Add(faultproxy.Rule{Count: -1, Fault: faultproxy.Fault{Delay: 2 * time.Second}})
	a, err := env.Server.Client()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SetAddress(p.URL); err != nil {
		t.Fatal(err)
	}
	r := startProgram(t, vaultclient.NewFromAPI(a, vaultclient.Config{}), Options{Prefix: "secret/slow/", Refresh: time.Hour})
	r.waitFor("crawling")
	r.press("?")
	r.waitFor("TTL colours")
	if strings.Contains(r.screen(), "refreshed") {
		t.Fatal("the crawl should still be running, held back by the proxy")
	}
	r.press("esc")
	r.waitFor("3 leases")
	r.waitFor("refreshed")
}

// A policy that may list some prefixes and not others: the tree shows what
// it can, marks the denied branch, and says which policy line is missing.
func TestEndToEndPartialPolicyMarksTheDeniedBranch(t *testing.T) {
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, p := range []string{"team/open", "team/hidden"} {
		if _, err := env.Seed.LeasedKV(ctx, p, time.Hour, 3); err != nil {
			t.Fatal(err)
		}
	}
	tok := env.TokenWithPolicy(t, "partial", `
path "sys/leases/lookup/secret/*" { capabilities = ["list", "sudo"] }
path "sys/leases/lookup/secret/team/hidden*" { capabilities = ["deny"] }
path "sys/leases/lookup" { capabilities = ["update"] }
`)
	r := startProgram(t, env.Client(t, tok, vaultclient.Config{}), Options{Prefix: "secret/", Refresh: time.Hour})
	r.waitFor("3 leases") // the open ones
	r.waitFor("refreshed")
	r.press("tab", "j", "l")
	r.waitFor("open/")
	out := r.screen()
	if !strings.Contains(out, "hidden/") || !strings.Contains(out, "!") {
		t.Errorf("the denied branch must be shown and marked:\n%s", out)
	}
	if !strings.Contains(out, `path "sys/leases/lookup/*" { capabilities = ["list", "sudo"] }`) && !strings.Contains(out, "permission denied") {
		t.Errorf("the status must say why:\n%s", out)
	}
}

// Vault sealed, then unsealed (file storage; a dev server cannot do this):
// the status says it is sealed, the data stays marked stale, and leasetop
// recovers by itself at the next refresh after the unseal.
func TestEndToEndSealedThenUnsealed(t *testing.T) {
	fs := vaulttest.StartFile(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	a, err := fs.Client()
	if err != nil {
		t.Fatal(err)
	}
	a.SetToken(fs.RootToken)
	s := &seed.Seeder{C: a}
	if _, err := s.Tokens(ctx, time.Hour, 3); err != nil {
		t.Fatal(err)
	}
	r := startProgram(t, vaultclient.NewFromAPI(a, vaultclient.Config{MaxRetries: -1}), Options{Prefix: "auth/token/create/", Refresh: 300 * time.Millisecond})
	r.waitFor("3 leases")
	if err := fs.Seal(ctx); err != nil {
		t.Fatal(err)
	}
	r.waitFor("vault is sealed")
	r.waitFor("STALE")
	if !strings.Contains(r.screen(), "3 leases") {
		t.Errorf("the last good data must stay while sealed:\n%s", r.screen())
	}
	if err := fs.Unseal(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for strings.Contains(r.screen(), "STALE") {
		if time.Now().After(deadline) {
			t.Fatalf("no recovery after the unseal:\n%s", r.screen())
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.waitFor("3 leases")
}

// Faults injected in front of the real server while leasetop polls: keys
// keep answering, the status says what is wrong in words, the last good
// data stays (marked stale), and once the fault ends leasetop recovers by
// itself.
func TestEndToEndFaultsAreReportedAndRecovered(t *testing.T) {
	tests := []struct {
		name  string
		fault faultproxy.Fault
		words string
	}{
		{"429 storm", faultproxy.Fault{Status: 429, Header: map[string]string{"Retry-After": "1"}, Body: `{"errors":["rate limit quota exceeded"]}`}, "rate limited"},
		{"500", faultproxy.Fault{Status: 500, Body: `{"errors":["internal error"]}`}, "server error"},
		{"503", faultproxy.Fault{Status: 503, Body: `{"errors":["Vault is sealed"]}`}, "vault is sealed"},
		{"connection reset", faultproxy.Fault{Drop: true}, "unreachable"},
		{"stalled connection", faultproxy.Fault{Delay: time.Minute}, "unreachable"},
	}
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := env.Seed.LeasedKV(ctx, "faults", time.Hour, 4); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, a := proxied(t, env)
			a.SetClientTimeout(2 * time.Second) // the request timeout that ends a stalled connection
			r := startProgram(t, vaultclient.NewFromAPI(a, vaultclient.Config{MaxRetries: 1}), Options{Prefix: "secret/faults/", Refresh: 200 * time.Millisecond})
			r.waitFor("4 leases")
			r.waitFor("refreshed")
			p.Add(faultproxy.Rule{Count: -1, Fault: tt.fault})
			r.waitFor("STALE")
			r.waitFor(tt.words)
			r.press("?")
			r.waitFor("TTL colours") // keys still answer
			r.press("esc")
			if !strings.Contains(r.screen(), "4 leases") {
				t.Errorf("the last good data must stay:\n%s", r.screen())
			}
			p.Clear()
			deadline := time.Now().Add(30 * time.Second)
			for strings.Contains(r.screen(), "STALE") {
				if time.Now().After(deadline) {
					t.Fatalf("no recovery after the fault ended:\n%s", r.screen())
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}
