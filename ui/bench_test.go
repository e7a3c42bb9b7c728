package ui

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/leasetop/leasetop/audit"
	"github.com/leasetop/leasetop/config"
	"github.com/leasetop/leasetop/vaultclient"
)

// benchModel is the UI at 160x50 holding n leases over 50 prefixes, as one
// crawl delivered them.
func benchModel(b *testing.B, n int, opt Options) (Model, []string) {
	b.Helper()
	opt.Now = func() time.Time { return t0 }
	m := New(&recorder{}, opt)
	m = send(m, tea.WindowSizeMsg{Width: 160, Height: 50})
	var events []vaultclient.Event
	prefixes := []string{}
	for p := range 50 {
		prefixes = append(prefixes, fmt.Sprintf("secret/role-%02d/", p))
	}
	events = append(events, vaultclient.Event{Kind: vaultclient.EventListed, Listing: vaultclient.Listing{Prefix: "", Prefixes: []string{"secret/"}}})
	events = append(events, vaultclient.Event{Kind: vaultclient.EventListed, Listing: vaultclient.Listing{Prefix: "secret/", Prefixes: prefixes}})
	ids := make([]string, n)
	for i := range n {
		ids[i] = fmt.Sprintf("%s%024d", prefixes[i%50], i)
		events = append(events, vaultclient.Event{Kind: vaultclient.EventLease, Lease: lease(ids[i], time.Duration(i)*time.Second+time.Minute, true)})
	}
	m = refresh(m, 1, false, events)
	if m.c.data.eng.Index().Len() != n {
		b.Fatalf("index holds %d", m.c.data.eng.Index().Len())
	}
	return m, ids
}

// collectSetup collects a benchmark's setup garbage (the index it
// built) before its frames are timed: a frame pays for the collections
// its own allocations cause, and at 100k a collection of the setup's heap
// landed in a run of 200 frames and added 40% to each.
func collectSetup(b *testing.B) {
	runtime.GC()
	b.ResetTimer()
}

// BenchmarkView measures one frame at 1k, 10k and 100k leases: only the
// visible rows are formatted, so the cost should hardly grow.
func BenchmarkView(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprintf("leases=%d", n), func(b *testing.B) {
			m, _ := benchModel(b, n, Options{})
			collectSetup(b)
			for b.Loop() {
				_ = m.render()
			}
		})
	}
}

// benchOwners is the owners screen over n leases, every one attributed by
// the audit log to one of six actors (AppRole roles and userpass users, as
// in a real log), one lease in ten within the last five minutes.
func benchOwners(b *testing.B, n int) Model {
	m, ids := benchModel(b, n, Options{VaultAudit: "/var/log/vault_audit.log"})
	var who []*audit.Owner
	for _, r := range []string{"billing-api", "ci-deploy", "reports"} {
		who = append(who, &audit.Owner{EntityID: "e-" + r, DisplayName: "approle", Metadata: map[string]string{"role_name": r},
			Policies: []string{"default", "reader"}, RemoteAddr: "10.0.0.7", UserAgent: "Go-http-client/1.1", Mount: "secret/", MountType: "kv"})
	}
	for _, u := range []string{"alice", "bob", "carol"} {
		who = append(who, &audit.Owner{EntityID: "e-" + u, DisplayName: "userpass-" + u, Metadata: map[string]string{"username": u},
			Policies: []string{"default", "reader"}, RemoteAddr: "10.0.1.9", UserAgent: "vault/1.21.4", Mount: "secret/", MountType: "kv"})
	}
	es := make([]audit.Entry, len(ids))
	for i, id := range ids {
		age := time.Hour
		if i%10 == 0 {
			age = time.Minute
		}
		es[i] = audit.Entry{LeaseID: id, Time: t0.Add(-age), Owner: who[i%len(who)]}
	}
	m = keys(send(m, auditMsg{entries: es}), "w")
	o, ok := m.screen().(*ownersScreen)
	if !ok || o.total != n || len(o.rows) != len(who) {
		b.Fatalf("the owners screen is not up with %d leases of %d owners", n, len(who))
	}
	return m
}

// BenchmarkOwnersView is BenchmarkView on the owners screen (issue 10):
// a frame draws the owner rows computed at the last regroup, so it should
// cost what a lease table frame does, whatever the lease count.
func BenchmarkOwnersView(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprintf("leases=%d", n), func(b *testing.B) {
			m := benchOwners(b, n)
			collectSetup(b)
			for b.Loop() {
				_ = m.render()
			}
		})
	}
}

// BenchmarkOwnersRegroup is what the owners screen pays when the index or
// the log changed, and every five seconds while it is shown: one pass over
// every lease (owners.Rollup). It grows with the lease count.
func BenchmarkOwnersRegroup(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprintf("leases=%d", n), func(b *testing.B) {
			m := benchOwners(b, n)
			o := m.screen().(*ownersScreen)
			b.ResetTimer()
			for b.Loop() {
				o.dirty = true
				o.Sync()
			}
		})
	}
}

// BenchmarkViewMillion is BenchmarkView at 1k and at a million leases
// (bench figure 14b; apart, as building a million takes a while).
func BenchmarkViewMillion(b *testing.B) {
	for _, n := range []int{1000, 1000000} {
		b.Run(fmt.Sprintf("leases=%d", n), func(b *testing.B) {
			m, _ := benchModel(b, n, Options{})
			collectSetup(b)
			for b.Loop() {
				_ = m.render()
			}
		})
	}
}

// BenchmarkSortKey is the time from the sort key (s, in the lease table)
// to the sorted rows on screen, at 1k and at a million leases; frame-ms is
// the part the key waits for, to the next frame (at a million, the frame
// says "sorting…" and the rows follow in steps between other messages).
func BenchmarkSortKey(b *testing.B) {
	for _, n := range []int{1000, 1000000} {
		b.Run(fmt.Sprintf("leases=%d", n), func(b *testing.B) {
			m, _ := benchModel(b, n, Options{})
			var frame time.Duration
			keys := 0
			b.ResetTimer()
			for b.Loop() {
				start := time.Now()
				m = keyFrame(m, "s")
				frame += time.Since(start)
				keys++
				finishSort(b, m)
			}
			b.ReportMetric(float64(frame.Microseconds())/1000/float64(keys), "frame-ms")
		})
	}
}

// BenchmarkFilterKey is BenchmarkSortKey for a key typed in the lease
// table's filter: each op types a character that narrows the filter and
// deletes it again (two keys, each to its rows).
func BenchmarkFilterKey(b *testing.B) {
	for _, n := range []int{1000, 1000000} {
		b.Run(fmt.Sprintf("leases=%d", n), func(b *testing.B) {
			m, _ := benchModel(b, n, Options{})
			m = keys(m, "/")
			var frame time.Duration
			presses := 0
			b.ResetTimer()
			for b.Loop() {
				for _, k := range []string{"7", "backspace"} {
					start := time.Now()
					m = keyFrame(m, k)
					frame += time.Since(start)
					presses++
					finishSort(b, m)
				}
			}
			b.ReportMetric(float64(frame.Microseconds())/1000/float64(presses), "frame-ms")
		})
	}
}

// keyFrame sends a key and draws the next frame.
func keyFrame(m Model, k string) Model {
	m = keys(m, k)
	_ = m.render()
	return m
}

// finishSort takes the browser table's gathering steps and its sort to
// the end, as the program's messages would, and draws the frame.
func finishSort(b *testing.B, m Model) {
	tb := m.screen().(*browser).table
	var job tea.Cmd
	for tb.sorting {
		switch {
		case tb.gather != nil:
			job = tb.onGather(gatherMsg{t: tb, seq: tb.seq})
		case job != nil:
			msg := job()
			job = nil
			if msg, ok := msg.(sortedMsg); ok {
				tb.onSorted(msg)
			}
		default:
			// The key's step gathered everything at once (a small table
			// whose last sort happened to take 20 ms: a busy machine) and
			// sent the sort with its own command, which keys drops: start
			// it again to hold it.
			tb.dirty = true
			if _, job = tb.Sync(); job == nil {
				b.Fatal("a background sort started no job")
			}
		}
	}
	_ = m.render()
}

// BenchmarkHygieneLoad is what pressing D costs on the update loop at a
// million leases, three in four attributed by the audit log, with a
// prefix and an owner budget: hygieneView.load up to the command it
// returns (the checks that ask Vault run in that command, not measured).
func BenchmarkHygieneLoad(b *testing.B) {
	const n = 1000000
	m, ids := benchModel(b, n, Options{VaultAudit: "/var/log/vault_audit.log", Budgets: []config.Budget{
		{Scope: config.ScopePrefix, Name: "secret/role-07/", Max: 30000, Warn: 0.8},
		{Scope: config.ScopeRole, Name: "billing-api", Max: 200000, Warn: 0.8},
	}})
	var who []*audit.Owner
	for _, r := range []string{"billing-api", "ci-deploy", "reports"} {
		who = append(who, &audit.Owner{EntityID: "e-" + r, DisplayName: "approle", Metadata: map[string]string{"role_name": r}})
	}
	var es []audit.Entry
	for i, id := range ids {
		if i%4 != 3 {
			es = append(es, audit.Entry{LeaseID: id, Time: t0.Add(-time.Hour), Owner: who[i%len(who)]})
		}
	}
	m = send(m, auditMsg{entries: es})
	if got := m.c.data.attribution().Len(); got != len(es) {
		b.Fatalf("the attribution holds %d leases, want %d", got, len(es))
	}
	v := newHygiene(m.c).(*hygieneView)
	b.ResetTimer()
	for b.Loop() {
		if v.load() == nil {
			b.Fatal("load returned no command")
		}
	}
}
