package crawl

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/vaultclient"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func TestInfoKeepsEveryField(t *testing.T) {
	l := vaultclient.Lease{ID: "db/creds/ro/k1", IssueTime: t0.Add(-time.Hour), ExpireTime: t0.Add(time.Hour),
		LastRenewal: t0.Add(-time.Minute), Renewable: true, TTL: 59 * time.Minute}
	want := model.LeaseInfo{ID: l.ID, IssueTime: l.IssueTime, ExpireTime: l.ExpireTime,
		LastRenewal: l.LastRenewal, Renewable: true, TTL: l.TTL}
	if got := Info(l); got != want {
		t.Errorf("Info = %+v, want %+v", got, want)
	}
}

func listed(prefix string, prefixes, ids []string) vaultclient.Event {
	return vaultclient.Event{Kind: vaultclient.EventListed, Prefix: prefix,
		Listing: vaultclient.Listing{Prefix: prefix, Prefixes: prefixes, LeaseIDs: ids}}
}

// Apply on hand-made events: what each kind does to the index and to the
// stats. (What Vault sends is checked in vault_test.go.)
func TestApplyEachEventKind(t *testing.T) {
	idx := model.NewIndex()
	var st Stats
	fresh := Apply(idx, listed("", []string{"db/"}, nil), t0, &st)
	if len(fresh) != 0 {
		t.Errorf("a listing without leases returned fresh ids %v", fresh)
	}
	fresh = Apply(idx, listed("db/", nil, []string{"db/a", "db/b"}), t0, &st)
	if !slices.Equal(fresh, []string{"db/a", "db/b"}) {
		t.Errorf("fresh = %v, want the two new ids", fresh)
	}
	if n := idx.Node("db/"); n == nil || n.Count() != 2 || !idx.Lease("db/a").Pending() {
		t.Fatalf("after the listing the leases count, pending: %+v", n)
	}
	if fresh = Apply(idx, listed("db/", nil, []string{"db/a", "db/b"}), t0, &st); len(fresh) != 0 {
		t.Errorf("the same listing again returned fresh ids %v", fresh)
	}

	Apply(idx, vaultclient.Event{Kind: vaultclient.EventLease, Prefix: "db/", LeaseID: "db/a",
		Lease: vaultclient.Lease{ID: "db/a", IssueTime: t0, ExpireTime: t0.Add(time.Hour), Renewable: true}}, t0, &st)
	if l := idx.Lease("db/a"); l == nil || l.Pending() || !l.Renewable() || !l.ExpireTime().Equal(t0.Add(time.Hour)) {
		t.Errorf("the lookup was not stored: %+v", l)
	}

	Apply(idx, vaultclient.Event{Kind: vaultclient.EventVanished, Prefix: "db/", LeaseID: "db/b"}, t0, &st)
	if l := idx.Lease("db/b"); l == nil || !l.Gone() || idx.Len() != 1 {
		t.Errorf("the vanished lease should be gone and stop counting: len %d", idx.Len())
	}

	lookupErr := errors.New("lookup failed")
	Apply(idx, vaultclient.Event{Kind: vaultclient.EventError, Prefix: "db/", LeaseID: "db/a", Err: lookupErr}, t0, &st)
	if msg := idx.Node("db/").Err(); msg != "" {
		t.Errorf("a failed lookup marked its prefix: %q", msg)
	}
	listErr := errors.New("permission denied")
	Apply(idx, vaultclient.Event{Kind: vaultclient.EventError, Prefix: "db/", Err: listErr}, t0, &st)
	if msg := idx.Node("db/").Err(); msg != "permission denied" {
		t.Errorf("a failed listing records err.Error() on its prefix: %q", msg)
	}
	if idx.Len() != 1 {
		t.Errorf("a failed listing keeps the prefix's last good data: len %d", idx.Len())
	}

	want := Stats{Listed: 3, Leases: 1, Errors: 2, LastErr: listErr}
	if st.Listed != want.Listed || st.Leases != want.Leases || st.Errors != want.Errors || st.LastErr != want.LastErr {
		t.Errorf("stats = %+v, want %+v", st, want)
	}

	// A good listing clears the prefix's error.
	Apply(idx, listed("db/", nil, []string{"db/a"}), t0, &st)
	if msg := idx.Node("db/").Err(); msg != "" {
		t.Errorf("a good listing should clear the error, got %q", msg)
	}
}

func TestApplyWordsErrorsWithErrorText(t *testing.T) {
	idx := model.NewIndex()
	st := Stats{ErrorText: func(err error) string { return "in words: " + err.Error() }}
	Apply(idx, vaultclient.Event{Kind: vaultclient.EventError, Prefix: "x/", Err: errors.New("boom")}, t0, &st)
	if msg := idx.Node("x/").Err(); msg != "in words: boom" {
		t.Errorf("prefix error = %q, want the ErrorText wording", msg)
	}
}

func TestApplyWithoutStats(t *testing.T) {
	idx := model.NewIndex()
	fresh := Apply(idx, listed("s/", nil, []string{"s/a"}), t0, nil)
	Apply(idx, vaultclient.Event{Kind: vaultclient.EventError, Prefix: "s/", Err: errors.New("boom")}, t0, nil)
	Apply(idx, vaultclient.Event{Kind: vaultclient.EventError, Prefix: "t/"}, t0, nil) // no Err: no panic
	if !slices.Equal(fresh, []string{"s/a"}) || idx.Node("s/").Err() != "boom" {
		t.Errorf("nil stats: fresh %v, error %q", fresh, idx.Node("s/").Err())
	}
}

// A walk's EventCounted marks its stats: the counts are in.
func TestApplyCounted(t *testing.T) {
	var st Stats
	Apply(model.NewIndex(), vaultclient.Event{Kind: vaultclient.EventCounted}, t0, &st)
	if !st.Counted {
		t.Error("EventCounted did not mark the stats counted")
	}
}

// A lookup answered before a listing found its lease gone, and applied
// after it, leaves the lease gone; a lookup of a pending lease, or of
// one the index has never seen, is stored.
func TestApplyLookupKeepsWhatAListingFoundGone(t *testing.T) {
	idx := model.NewIndex()
	Apply(idx, listed("db/", nil, []string{"db/a", "db/b"}), t0, nil)
	Apply(idx, listed("db/", nil, []string{"db/b"}), t0.Add(time.Second), nil) // a refresh: db/a is gone
	for _, id := range []string{"db/a", "db/b", "kv/c"} {
		Apply(idx, vaultclient.Event{Kind: vaultclient.EventLease, LeaseID: id,
			Lease: vaultclient.Lease{ID: id, IssueTime: t0, ExpireTime: t0.Add(time.Hour)}}, t0.Add(2*time.Second), nil)
	}
	if l := idx.Lease("db/a"); l == nil || !l.Gone() {
		t.Errorf("the late lookup brought db/a back: %+v", l)
	}
	for _, id := range []string{"db/b", "kv/c"} {
		if l := idx.Lease(id); l == nil || l.Pending() || l.Gone() {
			t.Errorf("the lookup of %s was not stored: %+v", id, l)
		}
	}
	if idx.Len() != 2 {
		t.Errorf("len %d, want 2", idx.Len())
	}
}
