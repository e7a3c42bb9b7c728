package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/leasetop/leasetop/internal/devvault"
	"github.com/leasetop/leasetop/internal/faultproxy"
	"github.com/leasetop/leasetop/internal/seed"
	"github.com/leasetop/leasetop/internal/vaulttest"
	"github.com/leasetop/leasetop/vaultclient"
)

// probe runs the real Model inside a real tea.Program and keeps what it
// last drew, so a test can wait for the screen like a person would. It
// also publishes whether the model is busy (Model.Busy) and how many key
// presses it has handled, so that a test knows a key has been answered
// and when the UI has settled.
type probe struct {
	Model
	mu   *sync.Mutex
	out  *string
	top  *string // id of the first table row
	busy *bool   // Model.Busy() when last drawn
	keys *int    // key presses handled when last drawn
	seen int     // key presses handled
}

func (p probe) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if _, ok := msg.(tea.KeyPressMsg); ok {
		p.seen++
	}
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
	*p.busy = p.Model.Busy()
	*p.keys = p.seen
	p.mu.Unlock()
	return v
}

type running struct {
	t    *testing.T
	p    *tea.Program
	mu   sync.Mutex
	out  string
	top  string
	busy bool
	keys int // key presses the model has handled (and drawn)
	sent int // key presses sent
	done chan struct{}
}

func startProgram(t *testing.T, be Backend, opt Options) *running {
	r := &running{t: t, done: make(chan struct{})}
	pr := probe{Model: New(be, opt), mu: &r.mu, out: &r.out, top: &r.top, busy: &r.busy, keys: &r.keys}
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
	r.waitUntil(fmt.Sprintf("the screen to show %q", want), 30*time.Second, func(s string) bool { return strings.Contains(s, want) })
}

// waitUntil waits until ok(screen) holds, failing the test after within.
func (r *running) waitUntil(what string, within time.Duration, ok func(screen string) bool) {
	r.t.Helper()
	deadline := time.Now().Add(within)
	for !ok(r.screen()) {
		if time.Now().After(deadline) {
			r.t.Fatalf("waited %s for %s; the screen shows:\n%s", within, what, r.screen())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// press sends keys one at a time, each once the last has been handled
// and drawn, like a person who looks at the screen between keys.
func (r *running) press(ks ...string) {
	r.t.Helper()
	for _, k := range ks {
		r.send(keyMsg(k))
	}
}

func (r *running) typeText(s string) {
	r.t.Helper()
	for _, c := range s {
		r.send(tea.KeyPressMsg{Code: c, Text: string(c)})
	}
}

// send sends one key press and waits until the model has handled it.
func (r *running) send(k tea.KeyPressMsg) {
	r.t.Helper()
	r.sent++
	r.p.Send(k)
	deadline := time.Now().Add(30 * time.Second)
	for {
		r.mu.Lock()
		handled := r.keys >= r.sent
		r.mu.Unlock()
		if handled {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("the key %q was not handled within 30s; the screen shows:\n%s", k.String(), r.screen())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// quit ends the program and waits until it has.
func (r *running) quit() {
	r.p.Quit()
	<-r.done
}

// waitProxyQuiet waits until p has had no request in flight for a while.
func waitProxyQuiet(t *testing.T, p *faultproxy.Proxy) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for quiet := (time.Time{}); ; time.Sleep(20 * time.Millisecond) {
		switch {
		case p.InFlight() > 0:
			quiet = time.Time{}
		case quiet.IsZero():
			quiet = time.Now()
		case time.Since(quiet) >= 500*time.Millisecond:
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the proxy still has %d requests in flight after 2 minutes", p.InFlight())
		}
	}
}

// waitIdle waits until the UI has been idle (Model.Busy false: no crawl,
// refresh or action running) and, when p is not nil, the proxy has had no
// request in flight, for a short stable period.
func (r *running) waitIdle(p *faultproxy.Proxy) {
	r.t.Helper()
	const stable = 300 * time.Millisecond
	const within = 2 * time.Minute
	deadline := time.Now().Add(within)
	var idleSince time.Time
	for {
		r.mu.Lock()
		idle := !r.busy
		r.mu.Unlock()
		if p != nil && p.InFlight() > 0 {
			idle = false
		}
		switch {
		case !idle:
			idleSince = time.Time{}
		case idleSince.IsZero():
			idleSince = time.Now()
		case time.Since(idleSince) >= stable:
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("the UI was not idle within %s; the screen shows:\n%s", within, r.screen())
		}
		time.Sleep(20 * time.Millisecond)
	}
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

	before := allLeaseIDs(t, env)
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
	after := allLeaseIDs(t, env)
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

// allLeaseIDs lists every lease id in Vault, read by code that is not
// leasetop's (vaulttest.AllLeaseIDs).
func allLeaseIDs(t *testing.T, env *vaulttest.Env) map[string]bool {
	t.Helper()
	return env.AllLeaseIDs(t)
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
	// The wait must end inside go test's -timeout (which would otherwise
	// kill every test without a word): stop 2 minutes before it, for the
	// rest of this test and the cleanups.
	budget := 25 * time.Minute
	if d, ok := t.Deadline(); ok {
		budget = min(budget, time.Until(d)-2*time.Minute)
	}
	if budget < 8*time.Minute {
		t.Fatalf("Vault gives up on a revocation 8-13 minutes after expiry, but only %s is left before go test's -timeout: run it with -timeout 30m", budget.Round(time.Second))
	}
	env := vaulttest.Start(t)
	pg := vaulttest.Postgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	db := vaulttest.Database(pg, "database")
	// Configure the engine and the role, break the role's revocation, and
	// only then make the lease: it cannot expire (and be revoked normally)
	// before its revocation is broken.
	if _, err := env.Seed.DatabaseRole(ctx, db, "doomed", 5*time.Second, time.Minute, 0); err != nil {
		t.Fatal(err)
	}
	if err := env.Seed.BreakDatabaseRevocation(ctx, db, "doomed", 5*time.Second, time.Minute); err != nil {
		t.Fatal(err)
	}
	sec, err := env.API.Logical().ReadWithContext(ctx, "database/creds/doomed")
	if err != nil || sec == nil || sec.LeaseID == "" {
		t.Fatalf("read database/creds/doomed: %v %+v", err, sec)
	}
	ids := []string{sec.LeaseID}
	client := env.Client(t, "", vaultclient.Config{})
	start := time.Now()
	outOfTime := func() {
		t.Helper()
		t.Fatalf("Vault did not give up on the revocation within %s (the time left before go test's -timeout)", budget.Round(time.Second))
	}
	irrevocable := func() bool {
		t.Helper()
		l, err := client.Irrevocable(ctx, 0)
		if err != nil {
			if ctx.Err() != nil {
				outOfTime()
			}
			t.Fatal(err)
		}
		for _, x := range l.Leases {
			if x.LeaseID == ids[0] {
				return true
			}
		}
		return false
	}
	for !irrevocable() {
		if _, err := client.Lookup(ctx, ids[0]); errors.Is(err, vaultclient.ErrInvalidLease) && !irrevocable() {
			t.Fatalf("Vault revoked %s normally %s after it was made: its revocation was not broken", ids[0], time.Since(start).Round(time.Second))
		}
		select {
		case <-ctx.Done():
			outOfTime()
		case <-time.After(10 * time.Second):
		}
	}
	// What follows takes seconds, inside the 2 minutes kept back.
	ctx, cancel = context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
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

// --read-only: each mutating key, driven on its own through every
// confirmation a person would give, says it is off because of --read-only,
// and no mutating request reaches Vault (counted by method and path at a
// proxy once the UI is idle; lookups are PUTs and allowed).
func TestEndToEndReadOnlySendsNoMutation(t *testing.T) {
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := env.Seed.LeasedKV(ctx, "ro", time.Hour, 3); err != nil {
		t.Fatal(err)
	}
	p, a := env.Proxied(t)
	// A dev server has no irrevocable lease (making one takes 8-13
	// minutes: TestEndToEndRealIrrevocableLease), so the proxy answers the
	// irrevocable list and count with the answers captured from a real
	// server, and the irrevocable view has a lease for x and X to act on.
	irrID := capturedIrrevocable(t)
	for _, f := range []struct{ path, file string }{
		{"sys/leases/count", "irrevocable_count.json"},
		{"sys/leases", "irrevocable_list.json"},
	} {
		body, err := os.ReadFile(filepath.Join("..", "vaultclient", "testdata", "irrevocable", f.file))
		if err != nil {
			t.Fatal(err)
		}
		p.Add(faultproxy.Rule{Method: http.MethodGet, PathPrefix: f.path, Count: -1, Fault: faultproxy.Fault{Status: 200, Body: string(body)}})
	}
	client := vaultclient.NewFromAPI(a, vaultclient.Config{})
	r := startProgram(t, client, Options{Prefix: "secret/ro/", Refresh: time.Hour, ReadOnly: true})
	r.waitFor("3 leases")
	r.waitFor("refreshed")
	r.waitIdle(p)

	steps := []struct {
		name        string
		before      []string // what a person presses to select what the key acts on
		key         string
		after       []string // back to where the next step starts
		irrevocable bool     // the key is pressed in the irrevocable view
	}{
		{name: "r renews the lease on the cursor", key: "r"},
		{name: "R renews the marked leases", before: []string{"space", "k"}, key: "R", after: []string{"esc"}},
		{name: "x revokes the lease on the cursor", key: "x"},
		{name: "X revokes the marked leases", before: []string{"space", "k"}, key: "X", after: []string{"esc"}},
		{name: "P revokes the prefix", before: []string{"tab"}, key: "P", after: []string{"tab"}},
		{name: "F force-revokes the prefix", before: []string{"tab"}, key: "F", after: []string{"tab"}},
		{name: "x force-revokes an irrevocable lease", key: "x", irrevocable: true},
		{name: "X force-revokes a mount's irrevocable leases", key: "X", irrevocable: true},
	}
	checked := 0 // requests already checked
	for _, st := range steps {
		// A status left by the last step must not count for this one.
		r.press("s")
		r.waitUntil("the last step's status to go", 30*time.Second, func(s string) bool { return !readOnlyNotice(s) })
		if st.irrevocable {
			r.press("I")
			r.waitFor(irrID)
		}
		r.press(st.before...)
		r.press(st.key)
		confirmEverything(r, "secret/ro/")
		r.waitIdle(p)
		if !readOnlyNotice(r.screen()) {
			t.Errorf("%s: no status mentions --read-only:\n%s", st.name, r.screen())
		}
		reqs := p.Requests()
		for _, req := range reqs[checked:] {
			if mutating(req) {
				t.Errorf("%s: read-only sent %s %s %s", st.name, req.Method, req.Path, req.Body)
			}
		}
		checked = len(reqs)
		if st.irrevocable {
			r.press("esc")
			r.waitUntil("the irrevocable view to close", 30*time.Second, func(s string) bool { return !strings.Contains(s, irrID) })
		}
		r.press(st.after...)
	}
	if n := p.Count(func(req faultproxy.Request) bool { return req.Method == "LIST" }); n == 0 {
		t.Error("the proxy saw no listing: leasetop did not talk through it")
	}
	if l, err := env.Client(t, "", vaultclient.Config{}).List(ctx, "secret/ro/"); err != nil || len(l.LeaseIDs) != 3 {
		t.Errorf("leases after read-only keys: %v %v", l.LeaseIDs, err)
	}
}

// capturedIrrevocable is the irrevocable lease in the answers captured
// from a real server (vaultclient/testdata/irrevocable).
func capturedIrrevocable(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "vaultclient", "testdata", "irrevocable", "irrevocable_list.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Data struct {
			Leases []struct {
				LeaseID string `json:"lease_id"`
			} `json:"leases"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &v); err != nil || len(v.Data.Leases) == 0 {
		t.Fatalf("captured irrevocable list: %v", err)
	}
	return v.Data.Leases[0].LeaseID
}

// readOnlyNotice reports whether the screen has a status mentioning
// --read-only (the key help's "(off: --read-only)" labels do not count).
func readOnlyNotice(screen string) bool {
	return strings.Contains(strings.ReplaceAll(screen, "(off: --read-only)", ""), "--read-only")
}

// mutating reports whether a request to Vault could change something
// (faultproxy.Request.Mutating).
func mutating(req faultproxy.Request) bool { return req.Mutating() }

// confirmEverything answers every confirmation dialog the screen shows the
// way a person who means it would: an increment for a renewal, y for a
// revocation, the prefix (and tab for sync) for a prefix revocation,
// "force" for a force revocation. With no dialog on the screen it presses
// nothing.
func confirmEverything(r *running, prefix string) {
	r.t.Helper()
	for range 5 {
		s := r.screen()
		switch {
		case strings.Contains(s, "increment:"):
			r.send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl}) // clear the suggested increment
			r.typeText("2h")
			r.press("enter")
		case strings.Contains(s, "Revoke this lease?") || strings.Contains(s, "marked leases?"):
			r.press("y")
		case strings.Contains(s, "type "+prefix+" to confirm"):
			r.typeText(prefix)
			if strings.Contains(s, "tab switches") {
				r.press("tab") // and pick the other mode (sync)
			}
			r.press("enter")
		case strings.Contains(s, `type "force" to confirm`):
			r.typeText("force")
			r.press("enter")
		default:
			return
		}
		r.t.Logf("a confirmation dialog opened in read-only mode; confirmed it:\n%s", s)
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
	deadline := time.Now().Add(time.Minute)
	for strings.Contains(r.screen(), "secret/ghost/") {
		if time.Now().After(deadline) {
			t.Fatalf("ghost leases after the restart:\n%s", r.screen())
		}
		time.Sleep(50 * time.Millisecond)
		r.press("ctrl+r")
	}
}

// A Vault that answers slowly does not freeze the UI: keys answer while
// the crawl waits for Vault, and it finishes by itself. The proxy first
// holds every request until the test lets them go, so "while the crawl
// waits" is a fact, not a race against a delay; then Vault answers, each
// request 2 s late.
func TestEndToEndSlowVaultKeepsKeysAnswering(t *testing.T) {
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := env.Seed.LeasedKV(ctx, "slow", time.Hour, 3); err != nil {
		t.Fatal(err)
	}
	p, a := env.Proxied(t)
	hold := make(chan struct{})
	var once sync.Once
	release := func() { once.Do(func() { close(hold) }) }
	t.Cleanup(release) // before the proxy closes, should the test stop early
	p.Add(faultproxy.Rule{Count: -1, Fault: faultproxy.Fault{Hold: hold}})
	r := startProgram(t, vaultclient.NewFromAPI(a, vaultclient.Config{}), Options{Prefix: "secret/slow/", Refresh: time.Hour})
	r.waitFor("crawling")
	deadline := time.Now().Add(30 * time.Second)
	for p.Count(func(req faultproxy.Request) bool { return req.Method == "LIST" && req.Status == 0 }) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the crawl never reached the proxy; it saw %+v", p.Requests())
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.press("?")
	r.waitFor("TTL colours") // a key answered while the crawl's listing is held
	if strings.Contains(r.screen(), "refreshed") {
		t.Fatal("the crawl cannot have finished: the proxy holds its requests")
	}
	r.press("esc")
	r.waitUntil("the help to close", 30*time.Second, func(s string) bool { return !strings.Contains(s, "TTL colours") })
	p.Clear()
	p.Add(faultproxy.Rule{Count: -1, Fault: faultproxy.Fault{Delay: 2 * time.Second}})
	release()
	r.waitUntil("the slow crawl to finish", 2*time.Minute, func(s string) bool {
		return strings.Contains(s, "3 leases") && strings.Contains(s, "refreshed")
	})
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
	r.waitFor("hidden/")
	out := r.screen()
	if row := screenTreeLine(out, "hidden/"); !strings.Contains(row, "!") {
		t.Errorf("the denied branch's row must be marked with !; its row is %q in:\n%s", row, out)
	}
	if row := screenTreeLine(out, "open/"); strings.Contains(row, "!") {
		t.Errorf("the open branch's row must not be marked; its row is %q in:\n%s", row, out)
	}
	if !strings.Contains(out, `path "sys/leases/lookup/*" { capabilities = ["list", "sudo"] }`) && !strings.Contains(out, "permission denied") {
		t.Errorf("the status must say why:\n%s", out)
	}
}

// screenTreeLine is the tree pane's part (the leftmost pane, between the
// first two vertical borders) of the first screen line whose tree part
// holds name, or "".
func screenTreeLine(screen, name string) string {
	for _, line := range strings.Split(screen, "\n") {
		parts := strings.Split(line, "│")
		if len(parts) > 1 && strings.Contains(parts[1], name) {
			return parts[1]
		}
	}
	return ""
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
			p, a := env.Proxied(t)
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
