package ui

import (
	"fmt"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/leasetop/leasetop/audit"
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
	if m.c.idx.Len() != n {
		b.Fatalf("index holds %d", m.c.idx.Len())
	}
	return m, ids
}

// BenchmarkView measures one frame at 1k, 10k and 100k leases: only the
// visible rows are formatted, so the cost should hardly grow.
func BenchmarkView(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprintf("leases=%d", n), func(b *testing.B) {
			m, _ := benchModel(b, n, Options{})
			b.ResetTimer()
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
			b.ResetTimer()
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
			b.ResetTimer()
			for b.Loop() {
				_ = m.render()
			}
		})
	}
}

// BenchmarkSortKey is the time from the sort key (s, in the lease table)
// to the next frame, at 1k and at a million leases: what an operator
// waits for.
func BenchmarkSortKey(b *testing.B) {
	for _, n := range []int{1000, 1000000} {
		b.Run(fmt.Sprintf("leases=%d", n), func(b *testing.B) {
			m, _ := benchModel(b, n, Options{})
			b.ResetTimer()
			for b.Loop() {
				m = keys(m, "s")
				_ = m.render()
			}
		})
	}
}

// BenchmarkFilterKey is the time from a key typed in the lease table's
// filter to the next frame, at 1k and at a million leases: each op types
// a character that narrows the filter and deletes it again (two keys).
func BenchmarkFilterKey(b *testing.B) {
	for _, n := range []int{1000, 1000000} {
		b.Run(fmt.Sprintf("leases=%d", n), func(b *testing.B) {
			m, _ := benchModel(b, n, Options{})
			m = keys(m, "/")
			b.ResetTimer()
			for b.Loop() {
				m = keys(m, "7")
				_ = m.render()
				m = keys(m, "backspace")
				_ = m.render()
			}
		})
	}
}
