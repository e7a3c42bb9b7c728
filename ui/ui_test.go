package ui

import (
	"charm.land/bubbles/v2/key"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/leasetop/leasetop/crawl"
	"github.com/leasetop/leasetop/internal/golden"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/ui/dialog"
	"github.com/leasetop/leasetop/vaultclient"
)

// t0 is the fixed clock of every view test.
var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// recorder is a Backend for tests of the UI's own logic (dialogs, ids
// bound to actions): it records what the UI asked for. Tests of Vault
// behaviour use the real server (see e2e_test.go).
type recorder struct {
	irrevocable vaultclient.IrrevocableList
	tokens      []vaultclient.AccessorInfo
	limit       int                // the adaptive limit it reports; 0: the ceiling
	overloaded  bool               // the limit fell because Vault said it was overloaded
	entities    map[string]string  // entity id -> name
	accessors   []string           // revoked by accessor
	creations   map[string]float64 // Vault's telemetry; nil: none

	mu      sync.Mutex
	revoked []string
	renewed []string
	prefix  []string
}

func (r *recorder) Address() string   { return "http://127.0.0.1:8200" }
func (r *recorder) Namespace() string { return "" }
func (r *recorder) Concurrency() (int, int) {
	if r.limit > 0 {
		return r.limit, 16
	}
	return 16, 16
}
func (r *recorder) LimitedByOverload() bool { return r.overloaded }
func (r *recorder) Walk(ctx context.Context, prefix string, opt vaultclient.WalkOptions) <-chan vaultclient.Event {
	ch := make(chan vaultclient.Event)
	close(ch)
	return ch
}
func (r *recorder) Lookup(ctx context.Context, id string) (vaultclient.Lease, error) {
	l := lease(id, time.Hour, true)
	l.LastRenewal = t0
	return l, nil
}
func (r *recorder) Renew(ctx context.Context, id string, inc time.Duration) (vaultclient.RenewResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.renewed = append(r.renewed, id)
	return vaultclient.RenewResult{LeaseID: id, Requested: inc, Granted: inc / 2, Renewable: true}, nil
}
func (r *recorder) Revoke(ctx context.Context, id string, sync bool) (vaultclient.RevokeResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.revoked = append(r.revoked, id)
	return vaultclient.RevokeResult{}, nil
}
func (r *recorder) RevokePrefix(ctx context.Context, prefix string, sync bool) (vaultclient.RevokeResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.prefix = append(r.prefix, prefix)
	return vaultclient.RevokeResult{Queued: !sync}, nil
}
func (r *recorder) RevokeForce(ctx context.Context, prefix string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.prefix = append(r.prefix, "force:"+prefix)
	return nil
}

func (r *recorder) Mounts(ctx context.Context) ([]vaultclient.Mount, error) { return nil, nil }
func (r *recorder) Capabilities(ctx context.Context, paths []string) (map[string][]string, error) {
	return nil, nil
}
func (r *recorder) Irrevocable(ctx context.Context, limit int) (vaultclient.IrrevocableList, error) {
	return r.irrevocable, nil
}
func (r *recorder) IrrevocableCount(ctx context.Context) (vaultclient.IrrevocableCounts, error) {
	return vaultclient.IrrevocableCounts{Total: r.irrevocable.Count}, nil
}
func (r *recorder) Tokens(ctx context.Context, concurrency int, progress func(done, total int)) ([]vaultclient.AccessorInfo, error) {
	return r.tokens, nil
}
func (r *recorder) RevokeAccessor(ctx context.Context, accessor string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.accessors = append(r.accessors, accessor)
	return nil
}
func (r *recorder) Entity(ctx context.Context, id string) (vaultclient.Entity, error) {
	if n, ok := r.entities[id]; ok {
		return vaultclient.Entity{ID: id, Name: n}, nil
	}
	return vaultclient.Entity{}, &vaultclient.Error{Kind: vaultclient.KindNotFound}
}
func (r *recorder) LeaseCreations(ctx context.Context) (map[string]float64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.creations == nil {
		return nil, errors.New("no telemetry")
	}
	return maps.Clone(r.creations), nil
}
func (r *recorder) Self(ctx context.Context) (vaultclient.TokenInfo, error) {
	return vaultclient.TokenInfo{Path: "auth/approle/login"}, nil
}

// lease makes a looked-up lease expiring ttl after t0.
func lease(id string, ttl time.Duration, renewable bool) vaultclient.Lease {
	l := vaultclient.Lease{ID: id, IssueTime: t0.Add(-time.Hour), Renewable: renewable, TTL: ttl}
	if ttl != 0 {
		l.ExpireTime = t0.Add(ttl)
	}
	return l
}

// estate is a small fixed lease set: listings first, as a walk sends them.
func estate() []vaultclient.Event {
	ls := func(prefix string, prefixes, ids []string) vaultclient.Event {
		return vaultclient.Event{Kind: vaultclient.EventListed, Listing: vaultclient.Listing{Prefix: prefix, Prefixes: prefixes, LeaseIDs: ids}}
	}
	ev := []vaultclient.Event{
		ls("", []string{"auth/", "database/", "secret/"}, nil),
		ls("auth/", []string{"auth/approle/"}, nil),
		ls("auth/approle/", []string{"auth/approle/login/"}, nil),
		ls("auth/approle/login/", nil, []string{"auth/approle/login/h1111", "auth/approle/login/h2222"}),
		ls("database/", []string{"database/creds/"}, nil),
		ls("database/creds/", []string{"database/creds/readonly/"}, nil),
		ls("database/creds/readonly/", nil, []string{"database/creds/readonly/AAA", "database/creds/readonly/BBB", "database/creds/readonly/CCC"}),
		ls("secret/", []string{"secret/aws/"}, nil),
		ls("secret/aws/", nil, []string{"secret/aws/k1", "secret/aws/k2"}),
	}
	for _, l := range []vaultclient.Lease{
		lease("auth/approle/login/h1111", 30*time.Minute, true),
		lease("auth/approle/login/h2222", 0, true),
		lease("database/creds/readonly/AAA", 2*time.Hour, true),
		lease("database/creds/readonly/BBB", 3*time.Minute, true),
		lease("database/creds/readonly/CCC", -10*time.Second, false),
		lease("secret/aws/k1", 26*time.Hour, true),
		lease("secret/aws/k2", 45*time.Second, true),
	} {
		ev = append(ev, vaultclient.Event{Kind: vaultclient.EventLease, Lease: l})
	}
	return ev
}

// newTest builds a model at a fixed size and clock, with the estate loaded.
func newTest(t *testing.T, be Backend, opt Options) Model {
	t.Helper()
	opt.Now = func() time.Time { return t0 }
	m := New(be, opt)
	m = send(m, tea.WindowSizeMsg{Width: 120, Height: 24})
	m = refresh(m, 1, false, estate())
	return m
}

// refresh feeds events as one whole walk would (the first crawl, or a
// refresh if poll); gen only names the walk for the reader.
func refresh(m Model, gen int, poll bool, events []vaultclient.Event) Model {
	gen = fakeWalk(m, gen, poll)
	return send(m, crawl.Batch{Gen: gen, Poll: poll, Events: events, Done: true})
}

// stream feeds events as one batch of a walk that goes on, or, if done,
// ends with it.
func stream(m Model, gen int, poll bool, events []vaultclient.Event, done bool) Model {
	gen = fakeWalk(m, gen, poll)
	return send(m, crawl.Batch{Gen: gen, Poll: poll, Events: events, Done: done})
}

// fakeWalk starts a walk on the engine, the first crawl or a refresh
// (poll, cutting short one under way), and returns the number its batches
// carry: the recorder's walk sends nothing, the test sends the batches
// (gen is the number the test had in mind, for the reader).
func fakeWalk(m Model, gen int, poll bool) int {
	if poll {
		m.c.eng.Changed()
	} else {
		m.c.eng.Start()
	}
	return m.c.eng.Gen(poll)
}

// rows are the lease table rows of the active screen.
func rows(m Model) []*model.Lease {
	switch s := m.screen().(type) {
	case *browser:
		return s.table.rows
	case *radar:
		return s.table.rows
	}
	return nil
}

func ids(ls []*model.Lease) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.ID())
	}
	return out
}

// overlay is the open dialog as a D, or nil.
func overlay[D dialog.Dialog](m Model) D {
	d, _ := m.overlay.(D)
	return d
}

func send(m Model, msgs ...tea.Msg) Model {
	for _, msg := range msgs {
		next, _ := m.Update(msg)
		m = next.(Model)
	}
	return m
}

// keys sends key presses: single characters, or names such as "enter".
func keys(m Model, ks ...string) Model {
	for _, k := range ks {
		m = send(m, keyMsg(k))
	}
	return m
}

func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "ctrl+r":
		return tea.KeyPressMsg{Code: 'r', Mod: tea.ModCtrl}
	case "ctrl+u":
		return tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

func typeText(m Model, s string) Model {
	for _, r := range s {
		m = send(m, tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	return m
}

// text is the rendered view without colours.
func text(m Model) string { return ansi.Strip(m.render()) }

func TestGoldenScreens(t *testing.T) {
	// Each case builds its own model: models share their maps (marks,
	// expanded prefixes) with their copies.
	base := func() Model { return newTest(t, &recorder{}, Options{}) }
	tests := []struct {
		name string
		m    func() Model
	}{
		{"main", base},
		{"tree_expanded_by_count", func() Model { return keys(base(), "tab", "j", "j", "l", "l", "o") }},
		{"detail", func() Model { return keys(base(), "enter") }},
		{"help", func() Model { return keys(base(), "?") }},
		{"filter", func() Model { return typeText(keys(base(), "/"), "readonly") }},
		{"marked", func() Model { return keys(base(), "space", "j", "space") }},
		{"renew_prompt", func() Model { return keys(base(), "j", "r") }},
		{"revoke_confirm", func() Model { return keys(base(), "x") }},
		{"prefix_revoke", func() Model { return keys(base(), "tab", "j", "j", "P") }},
		{"force_revoke_second_stage", func() Model { return send(typeText(keys(base(), "tab", "j", "F"), "auth/"), keyMsg("enter")) }},
		{"radar_1h", func() Model { return keys(base(), "e") }},
		{"radar_5m", func() Model { return keys(base(), "1") }},
		{"read_only", func() Model { return newTest(t, &recorder{}, Options{ReadOnly: true}) }},
		{"too_small", func() Model { return send(base(), tea.WindowSizeMsg{Width: 40, Height: 10}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { golden.Check(t, tt.name, text(tt.m())) })
	}
}

func TestTableIsSortedBySoonestExpiryWithExpiredFirstAndNoExpiryLast(t *testing.T) {
	m := newTest(t, &recorder{}, Options{})
	got := ids(rows(m))
	want := []string{
		"database/creds/readonly/CCC", "secret/aws/k2", "database/creds/readonly/BBB",
		"auth/approle/login/h1111", "database/creds/readonly/AAA", "secret/aws/k1", "auth/approle/login/h2222",
	}
	if !slices.Equal(got, want) {
		t.Errorf("rows %v\nwant %v", got, want)
	}
	out := text(m)
	for _, s := range []string{"expired", "!45s", "!3m00s", "30m00s", "1d02h", "never"} {
		if !strings.Contains(out, s) {
			t.Errorf("screen lacks %q", s)
		}
	}
}

func TestCountdownMovesWithTheClockWithoutVault(t *testing.T) {
	now := t0
	m := newTest(t, &recorder{}, Options{})
	m.c.opt.Now = func() time.Time { return now }
	if !strings.Contains(text(m), "!45s") {
		t.Fatal("k2 should show 45s left")
	}
	now = now.Add(40 * time.Second)
	m = send(m, tickMsg(now))
	if !strings.Contains(text(m), "!5s") {
		t.Errorf("after 40s k2 should show 5s left:\n%s", text(m))
	}
}

// A revoke is bound to the lease under the cursor when x was pressed: a
// refresh that re-sorts the table while the dialog is open changes nothing.
func TestRevokeIsBoundToTheIDsCapturedAtKeyPress(t *testing.T) {
	be := &recorder{}
	m := newTest(t, be, Options{})
	first := rows(m)[0].ID()
	m = keys(m, "x")
	// A refresh brings a lease that sorts before every other one.
	m = refresh(m, 2, false, []vaultclient.Event{
		{Kind: vaultclient.EventListed, Listing: vaultclient.Listing{Prefix: "secret/aws/", LeaseIDs: []string{"secret/aws/k0", "secret/aws/k1", "secret/aws/k2"}}},
		{Kind: vaultclient.EventLease, Lease: lease("secret/aws/k0", -time.Hour, false)},
	})
	if rows(m)[0].ID() == first {
		t.Fatal("the refresh should have put another lease on top")
	}
	runAction(m, keyMsg("y"))
	if !slices.Equal(be.revoked, []string{first}) {
		t.Errorf("revoked %v, want exactly [%s]", be.revoked, first)
	}
}

func TestMarkedRenewSkipsTokenAndNonRenewableLeases(t *testing.T) {
	be := &recorder{}
	m := newTest(t, be, Options{})
	m = keys(m, "a") // mark every shown lease
	m = keys(m, "R")
	if overlay[*dialog.Duration](m) == nil {
		t.Fatalf("R opened %T, want the renew prompt", m.overlay)
	}
	m = send(m, keyMsg("esc"))
	m = keys(m, "R", "ctrl+u")
	m = typeText(m, "2h")
	m = runAction(m, keyMsg("enter"))
	slices.Sort(be.renewed)
	want := []string{"database/creds/readonly/AAA", "database/creds/readonly/BBB", "secret/aws/k1", "secret/aws/k2"}
	if !slices.Equal(be.renewed, want) {
		t.Errorf("renewed %v, want %v", be.renewed, want)
	}
	if overlay[*dialog.Text](m) == nil {
		t.Errorf("a bulk action ends on its results")
	}
	out := text(m)
	for _, s := range []string{"asked 2h, granted 1h", "token leases renew through auth/token/", "expired and waits for"} {
		if !strings.Contains(out, s) {
			t.Errorf("results lack %q:\n%s", s, out)
		}
	}
}

func TestRenewPromptRejectsBadIncrements(t *testing.T) {
	for _, bad := range []string{"banana", "-5m", ""} {
		be := &recorder{}
		m := keys(newTest(t, be, Options{}), "j", "r", "ctrl+u")
		m = send(typeText(m, bad), keyMsg("enter"))
		d := overlay[*dialog.Duration](m)
		if d == nil || d.Err() == "" || len(be.renewed) != 0 {
			t.Errorf("increment %q: dialog %T, renewed %v; want the prompt to stay with an error", bad, m.overlay, be.renewed)
		}
	}
}

func TestPrefixRevokeNeedsTheExactPrefixTyped(t *testing.T) {
	be := &recorder{}
	m := newTest(t, be, Options{})
	m = keys(m, "tab", "j", "j") // database/
	m = keys(m, "P")
	if !strings.Contains(text(m), "Leases: 3 leases") {
		t.Errorf("the dialog must show the count:\n%s", text(m))
	}
	m = typeText(m, "database")
	m = send(m, keyMsg("enter"))
	if len(be.prefix) != 0 || overlay[*dialog.Typed](m) == nil {
		t.Fatalf("a wrong confirmation must not revoke: %v", be.prefix)
	}
	m = typeText(m, "/")
	m = send(m, keyMsg("tab")) // sync
	runAction(m, keyMsg("enter"))
	if !slices.Equal(be.prefix, []string{"database/"}) {
		t.Errorf("revoke-prefix calls %v", be.prefix)
	}
}

func TestPrefixRevokeWarnsWhenItCoversOwnToken(t *testing.T) {
	m := newTest(t, &recorder{}, Options{})
	m = send(m, selfMsg{self: vaultclient.TokenInfo{Path: "auth/approle/login"}})
	m = keys(m, "tab", "j", "P") // auth/
	if !strings.Contains(text(m), "may revoke its own") {
		t.Errorf("no own-token warning:\n%s", text(m))
	}
}

func TestReadOnlyRefusesEveryMutatingKey(t *testing.T) {
	be := &recorder{}
	for _, k := range []string{"r", "R", "x", "X", "P", "F"} {
		m := newTest(t, be, Options{ReadOnly: true})
		m = keys(m, "a", "tab", "j", "tab") // marks, and the auth/ prefix
		m = keys(m, k)
		if m.overlay != nil || !strings.Contains(m.status.text, "--read-only") {
			t.Errorf("key %s in read-only: dialog %T, status %q", k, m.overlay, m.status.text)
		}
	}
	if len(be.revoked)+len(be.renewed)+len(be.prefix) != 0 {
		t.Error("read-only sent a mutating call")
	}
}

// In read-only mode the help marks every key that changes Vault as off,
// the owners screen's T among them, and leaves the others alone. The
// bindings are the ones the '?' dialog shows: the root's and each
// screen's declared actions.
func TestReadOnlyHelpMarksEveryMutatingKeyOff(t *testing.T) {
	m := newTest(t, &recorder{}, Options{ReadOnly: true, VaultAudit: "/var/log/vault_audit.log"})
	help := map[string]string{} // key -> description
	var all []key.Binding
	for _, col := range m.fullHelp() {
		all = append(all, col...)
	}
	for _, b := range all {
		help[b.Help().Key] = b.Help().Desc
	}
	for _, tt := range []struct {
		key string
		off bool
	}{
		{"r", true}, {"x", true}, {"R", true}, {"X", true}, {"P", true}, {"F", true}, {"T", true},
		{"b", false}, {"w", false}, {"s", false}, {"enter", false},
	} {
		desc, ok := help[tt.key]
		if !ok {
			t.Errorf("help has no key %s", tt.key)
			continue
		}
		if got := strings.HasSuffix(desc, "(off: --read-only)"); got != tt.off {
			t.Errorf("help for %s is %q: marked off %v, want %v", tt.key, desc, got, tt.off)
		}
	}
}

func TestMissingCapabilityNamesThePolicyLine(t *testing.T) {
	m := newTest(t, &recorder{}, Options{})
	m = send(m, capsMsg{caps: map[string][]string{"sys/leases/revoke": {"deny"}, "sys/leases/revoke-prefix/": {"update"}}})
	m = keys(m, "x")
	if m.overlay != nil || !strings.Contains(m.status.text, `path "sys/leases/revoke" { capabilities = ["update"] }`) {
		t.Errorf("status %q", m.status.text)
	}
	m = keys(m, "tab", "j", "P")
	if !strings.Contains(m.status.text, `path "sys/leases/revoke-prefix/*" { capabilities = ["update", "sudo"] }`) {
		t.Errorf("status %q", m.status.text)
	}
}

func TestFilterNarrowsTheTable(t *testing.T) {
	m := newTest(t, &recorder{}, Options{})
	m = typeText(keys(m, "/"), "READONLY")
	if len(rows(m)) != 3 {
		t.Errorf("filter kept %d rows, want 3", len(rows(m)))
	}
	m = send(m, keyMsg("esc"))
	if len(rows(m)) != 7 || strings.Contains(text(m), `filter "`) {
		t.Errorf("esc clears the filter: %d rows:\n%s", len(rows(m)), text(m))
	}
}

func TestFailedRefreshKeepsDataMarkedStale(t *testing.T) {
	m := newTest(t, &recorder{}, Options{})
	m = refresh(m, 2, true, []vaultclient.Event{
		{Kind: vaultclient.EventError, Prefix: "", Err: &vaultclient.Error{Kind: vaultclient.KindUnreachable, Hint: "nothing listens at http://127.0.0.1:8200"}},
	})
	out := text(m)
	if !strings.Contains(out, "STALE") || !strings.Contains(out, "nothing listens") || len(rows(m)) != 7 {
		t.Errorf("a failed refresh must keep the rows and say STALE:\n%s", out)
	}
}

func TestVanishedSelectedPrefixMovesSelectionUp(t *testing.T) {
	m := newTest(t, &recorder{}, Options{})
	m = keys(m, "tab", "j", "j", "l", "j") // database/creds/
	if m.c.eng.Focus() != "database/creds/" {
		t.Fatalf("selected %q", m.c.eng.Focus())
	}
	m = refresh(m, 2, true, []vaultclient.Event{
		{Kind: vaultclient.EventListed, Listing: vaultclient.Listing{Prefix: "database/"}},
	})
	if m.c.eng.Focus() != "database/" {
		t.Errorf("selection %q, want database/", m.c.eng.Focus())
	}
}

// runAction presses the key that starts an action and feeds the UI the
// messages its commands produce until the action ends.
func runAction(m Model, k tea.KeyPressMsg) Model {
	next, cmd := m.Update(k)
	m = next.(Model)
	return drain(m, cmd)
}

// drain runs cmd and the commands that follow from it, feeding their
// messages to the model, until nothing is busy (no crawl, action or load
// under way) or a generous deadline passes. Commands run concurrently:
// timers (status fades, spinners, polls) simply never answer in time.
func drain(m Model, cmd tea.Cmd) Model {
	msgs := make(chan tea.Msg, 64)
	var run func(c tea.Cmd)
	run = func(c tea.Cmd) {
		if c == nil {
			return
		}
		go func() {
			msg := c()
			if batch, ok := msg.(tea.BatchMsg); ok {
				for _, c := range batch {
					run(c)
				}
				return
			}
			msgs <- msg
		}()
	}
	run(cmd)
	deadline := time.After(30 * time.Second)
	for m.busy() {
		select {
		case msg := <-msgs:
			inner := msg
			if rm, ok := msg.(rootMsg); ok {
				inner = rm.msg
			}
			switch inner.(type) {
			case tickMsg, crawl.PollDue, statusExpiredMsg:
				continue // the clock is fixed; a poll would start a crawl
			}
			next, more := m.Update(msg)
			m = next.(Model)
			run(more)
		case <-deadline:
			return m
		}
	}
	return m
}

func TestTimelineBucketsByWindow(t *testing.T) {
	m := newTest(t, &recorder{}, Options{})
	m = keys(m, "3") // 24h
	b := timeline(rows(m), t0, 24*time.Hour)
	if !b[0].Expired || b[0].Count != 1 {
		t.Errorf("expired bucket %+v", b[0])
	}
	if b[1].Start != t0 || b[1].Count != 3 { // 12:00-13:00: k2 45s, BBB 3m, h1111 30m
		t.Errorf("first hour %+v", b[1])
	}
	if b[3].Start != t0.Add(2*time.Hour) || b[3].Count != 1 { // AAA at 14:00
		t.Errorf("third hour %+v", b[3])
	}
	if got := bucketSize(5 * time.Minute); got != 5*time.Minute {
		t.Errorf("bucket for 5m: %v", got)
	}
	if got := bucketSize(7 * 24 * time.Hour); got != 24*time.Hour {
		t.Errorf("bucket for a week: %v", got)
	}
	r := rollup(rows(m))
	if len(r) == 0 || r[0].Prefix != "database/creds/readonly/" || r[0].Count != 3 {
		t.Errorf("rollup %+v", r)
	}
}

func TestRadarWindows(t *testing.T) {
	base := func() Model { return newTest(t, &recorder{}, Options{}) }
	for _, tt := range []struct {
		keys []string
		rows int
	}{
		{[]string{"e"}, 4}, // 1h: CCC (expired), k2, BBB, h1111
		{[]string{"1"}, 3}, // 5m
		{[]string{"3"}, 5}, // 24h: all but k1 (26h) and h2222 (no expiry)
	} {
		m := keys(base(), tt.keys...)
		if m.active != "radar" || len(rows(m)) != tt.rows {
			t.Errorf("keys %v: screen %s, %d rows; want the radar with %d", tt.keys, m.active, len(rows(m)), tt.rows)
		}
	}
	// The custom window is typed as a person would: erase the 1h, type 30h.
	m := typeText(keys(base(), "4", "backspace", "backspace"), "30h")
	m = send(m, keyMsg("enter"))
	if w := m.screens["radar"].(*radar).table.window; w != 30*time.Hour || len(rows(m)) != 7-1 || m.overlay != nil {
		t.Errorf("custom 30h: window %v, %d rows, dialog %T", w, len(rows(m)), m.overlay)
	}
	m = typeText(keys(base(), "4", "ctrl+u"), "banana")
	m = send(m, keyMsg("enter"))
	if d := overlay[*dialog.Duration](m); d == nil || !strings.Contains(d.Err(), "is not a duration") {
		t.Errorf("bad window: dialog %T, text:\n%s", m.overlay, text(m))
	}
	m = typeText(keys(base(), "4", "ctrl+u"), "0s")
	m = send(m, keyMsg("enter"))
	if d := overlay[*dialog.Duration](m); d == nil || !strings.Contains(d.Err(), "more than 0") {
		t.Errorf("zero window: dialog %T", m.overlay)
	}
	back := keys(base(), "e", "e")
	if back.active != home || len(rows(back)) != 7 {
		t.Errorf("e toggles back to the browser with every lease")
	}
}

func irrevocableFixture() vaultclient.IrrevocableList {
	return vaultclient.IrrevocableList{Count: 3, Leases: []vaultclient.IrrevocableLease{
		{LeaseID: "database/creds/doomed/AAA", MountID: "database_1234", Error: `failed to revoke entry: resp: (*logical.Response)(nil) err: pq: role "x" does not exist`},
		{LeaseID: "database/creds/doomed/BBB", MountID: "database_1234", Error: "failed to revoke entry: connection refused"},
		{LeaseID: "other/creds/x/CCC", MountID: "other_9", Error: "failed"},
	}}
}

func TestIrrevocableViewGroupsByMountAndForceRevokesByID(t *testing.T) {
	be := &recorder{irrevocable: irrevocableFixture()}
	m := newTest(t, be, Options{})
	m = send(m, mountsMsg{})
	next, _ := m.Update(keyMsg("I"))
	m = send(next.(Model), irrevocableMsg{list: be.irrevocable, total: 3, mounts: []vaultclient.Mount{{Path: "database/", Accessor: "database_1234"}}})
	out := text(m)
	for _, want := range []string{"3 irrevocable leases", "database/", "other_9", `pq: role "x" does not exist`} {
		if !strings.Contains(out, want) {
			t.Errorf("irrevocable view lacks %q:\n%s", want, out)
		}
	}
	golden.Check(t, "irrevocable", out)

	m2 := keys(m, "x")
	if overlay[*dialog.Typed](m2) == nil || !strings.Contains(text(m2), "credentials behind them may") {
		t.Fatalf("x must open the force confirmation with Vault's warning:\n%s", text(m2))
	}
	m2 = typeText(m2, "forc")
	m2 = send(m2, keyMsg("enter"))
	if len(be.prefix) != 0 {
		t.Fatal("a wrong confirmation force-revoked something")
	}
	m2 = typeText(m2, "e")
	runAction(m2, keyMsg("enter"))
	if !slices.Equal(be.prefix, []string{"force:database/creds/doomed/AAA"}) {
		t.Errorf("force-revoked %v, want the one full id under the cursor", be.prefix)
	}

	be.prefix = nil
	m3 := typeText(keys(m, "X"), "force") // m is back on the irrevocable list, reloaded
	runAction(m3, keyMsg("enter"))
	slices.Sort(be.prefix)
	if !slices.Equal(be.prefix, []string{"force:database/creds/doomed/AAA", "force:database/creds/doomed/BBB"}) {
		t.Errorf("X force-revoked %v, want every irrevocable lease of database/ and nothing else", be.prefix)
	}
}

// A refresh that finds 30 new leases under secret/aws/ shows the growth
// in the tree, sorts the tree by it, and names the prefix in the status
// bar; the first crawl's leases are not growth.
func TestChurnNamesTheFastestGrowingPrefix(t *testing.T) {
	m := newTest(t, &recorder{}, Options{})
	if strings.Contains(text(m), "/m") {
		t.Fatalf("the first crawl counted as growth:\n%s", text(m))
	}
	ids := []string{"secret/aws/k1", "secret/aws/k2"}
	for i := range 30 {
		ids = append(ids, fmt.Sprintf("secret/aws/new%02d", i))
	}
	m = refresh(m, 2, true, []vaultclient.Event{
		{Kind: vaultclient.EventListed, Listing: vaultclient.Listing{Prefix: "secret/aws/", LeaseIDs: ids}},
		{Kind: vaultclient.EventListed, Listing: vaultclient.Listing{Prefix: "database/creds/readonly/", LeaseIDs: []string{"database/creds/readonly/AAA"}}},
	})
	out := text(m)
	if !strings.Contains(out, "fastest growth: secret/aws/ +30/m") {
		t.Errorf("no fastest growth in the status bar:\n%s", out)
	}
	if line := lineWith(out, "▸ secret/"); !strings.Contains(line, "+30/m") {
		t.Errorf("the tree's secret/ row lacks its growth: %q", line)
	}
	if line := lineWith(out, "▸ database/"); !strings.Contains(line, "-2/m") {
		t.Errorf("the tree's database/ row lacks its loss: %q", line)
	}
	m = keys(m, "o", "o") // by count, by growth
	out = text(m)
	if !strings.Contains(out, "prefixes · by growth") || strings.Index(out, "▸ secret/") > strings.Index(out, "▸ auth/") {
		t.Errorf("by growth, secret/ should come first:\n%s", out)
	}
}

// The status bar names what grows now: a burst that ended minutes ago
// stays in the tree's rates and sparklines, but it does not hide a smaller
// growth happening now (the tree's 5-minute window would).
func TestStatusNamesTheGrowthOfNowNotAnEndedBurst(t *testing.T) {
	m := newTest(t, &recorder{}, Options{})
	now := t0
	m.c.opt.Now = func() time.Time { return now }
	burst := []string{"secret/aws/k1", "secret/aws/k2"}
	for i := range 300 {
		burst = append(burst, fmt.Sprintf("secret/aws/new%03d", i))
	}
	m = refresh(m, 2, true, []vaultclient.Event{
		{Kind: vaultclient.EventListed, Listing: vaultclient.Listing{Prefix: "secret/aws/", LeaseIDs: burst}},
	})
	if out := text(m); !strings.Contains(out, "fastest growth: secret/aws/") {
		t.Fatalf("the burst is not named:\n%s", out)
	}
	now = t0.Add(3 * time.Minute)
	ids := []string{"database/creds/readonly/AAA"}
	for i := range 20 {
		ids = append(ids, fmt.Sprintf("database/creds/readonly/n%02d", i))
	}
	m = refresh(m, 3, true, []vaultclient.Event{
		{Kind: vaultclient.EventListed, Listing: vaultclient.Listing{Prefix: "secret/aws/", LeaseIDs: burst}},
		{Kind: vaultclient.EventListed, Listing: vaultclient.Listing{Prefix: "database/creds/readonly/", LeaseIDs: ids}},
	})
	out := text(m)
	if !strings.Contains(out, "fastest growth: database/creds/readonly/") {
		t.Errorf("the growth of now is not named over a burst that ended 3 minutes ago:\n%s", out)
	}
	if line := lineWith(out, "▸ secret/"); !strings.Contains(line, "/m") {
		t.Errorf("the tree forgot the burst within its 5 minutes: %q", line)
	}
}

func lineWith(screen, s string) string {
	for _, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

// When the adaptive limit backs off, the status bar says so.
func TestStatusSaysWhenTheLimitBacksOff(t *testing.T) {
	be := &recorder{}
	m := newTest(t, be, Options{})
	if strings.Contains(text(m), "sparing Vault") {
		t.Fatal("at the ceiling the status bar must not talk about the limit")
	}
	be.limit = 3
	if strings.Contains(text(m), "sparing Vault") {
		t.Errorf("idle, the limit does not matter:\n%s", text(m))
	}
	fakeWalk(m, 2, false)
	if !strings.Contains(text(m), "sparing Vault: 3 of 16 requests in flight (it answers slowly)") {
		t.Errorf("no word of the lower limit, and why, while crawling:\n%s", text(m))
	}
	be.overloaded = true
	if !strings.Contains(text(m), "sparing Vault: 3 of 16 requests in flight (it said it is overloaded)") {
		t.Errorf("the bar does not say Vault said it was overloaded:\n%s", text(m))
	}
}

// A prefix revocation's progress says how fast it goes and when it ends.
func TestPrefixRevocationShowsRateAndETA(t *testing.T) {
	o := &prefixOp{prefix: "secret/big/", count: 100000, remaining: 40000, started: t0, lastFollow: t0.Add(20 * time.Second)}
	if got := o.progress(); !strings.Contains(got, "60000/100000 · 3000/s · about 13s left") {
		t.Errorf("progress %q", got)
	}
	o.remaining, o.lastFollow = 0, t0.Add(30*time.Second)
	if got := o.progress(); strings.Contains(got, "left") || !strings.Contains(got, "100000/100000") {
		t.Errorf("done: progress %q", got)
	}
}

// While a crawl streams in, a table re-sorts for new data at most every
// streamGap (30 sorts' time, at least 250 ms), at once for a key press,
// and at the crawl's end.
func TestTablesLagAStreamingCrawlByTheirGap(t *testing.T) {
	aws := []vaultclient.Event{
		{Kind: vaultclient.EventListed, Listing: vaultclient.Listing{Prefix: "secret/aws/", LeaseIDs: []string{"secret/aws/k1", "secret/aws/k2", "secret/aws/k3"}}},
	}
	for _, tc := range []struct {
		name   string
		took   time.Duration // the last sort's time
		ago    time.Duration // since it; negative: stamped ahead, so no slowness passes the gap
		done   bool          // the batch ends the crawl
		resort bool
	}{
		{"a small table sorted just now waits", time.Millisecond, -time.Minute, false, false},
		{"a small table sorted 300 ms ago re-sorts", time.Millisecond, 300 * time.Millisecond, false, true},
		{"a million rows sorted 10 s ago wait", time.Second, 10 * time.Second, false, false},
		{"a million rows sorted 31 s ago re-sort", time.Second, 31 * time.Second, false, true},
		{"the crawl's end sorts at once", time.Millisecond, 0, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newTest(t, &recorder{}, Options{})
			tb := m.screens["browser"].(*browser).table
			tb.sortTook, tb.sortedAt = tc.took, time.Now().Add(-tc.ago)
			m = stream(m, 2, true, aws, tc.done)
			// A slow table's re-sort starts a gathering in the background;
			// a quick one's rows change at once.
			resorted := tb.sorting || len(rows(m)) == 8
			if resorted != tc.resort {
				t.Errorf("re-sorted %v, want %v (%d rows)", resorted, tc.resort, len(rows(m)))
			}
		})
	}
}

// A table whose sort takes long re-sorts for streaming data later, but at
// once (in the background) for a key press.
func TestSlowSortsAreSpreadOutWhileDataStreams(t *testing.T) {
	m := newTest(t, &recorder{}, Options{})
	tb := m.screens["browser"].(*browser).table
	tb.sortTook, tb.sortedAt = time.Second, time.Now() // as if it held a million rows
	m = stream(m, 2, true, []vaultclient.Event{
		{Kind: vaultclient.EventListed, Listing: vaultclient.Listing{Prefix: "secret/aws/", LeaseIDs: []string{"secret/aws/k1", "secret/aws/k2", "secret/aws/k3"}}},
	}, false)
	if n := len(rows(m)); n != 7 {
		t.Errorf("streaming data re-sorted a slow table at once: %d rows", n)
	}
	m = keys(m, "s") // a key press that changes the query: sorted at once, in the background
	if !strings.Contains(text(m), "sorting…") {
		t.Errorf("a key press waited for the throttle:\n%s", text(m))
	}
	// The step sent the sort on; start it again here to hold its answer.
	tb.dirty = true
	_, job := tb.Sync()
	if m = send(m, job()); len(rows(m)) != 8 {
		t.Errorf("after the key's sort: %d rows, want 8", len(rows(m)))
	}
}

// relistKnobs sets the refresh budget for one test; the test's other
// changes to crawl.DefaultPolicy are undone with it.
func relistKnobs(t *testing.T, floor, cheap int) {
	t.Helper()
	old := crawl.DefaultPolicy
	crawl.DefaultPolicy.RelistFloor, crawl.DefaultPolicy.RelistCheap = floor, cheap
	t.Cleanup(func() { crawl.DefaultPolicy = old })
}
