// Package crawl is the crawl of Vault's leases into a model.Index. Engine
// (engine.go) is the whole of it for a front end: the first crawl and the
// refreshes, what each refresh re-lists (Policy, plan.go), the growth
// hints from Vault's figures (hints.go), the churn and the attribution,
// driven by a clock and a Client, telling its front end typed Events; the
// UI drives it from its update loop, Run from a goroutine of its own. This
// file is the adapter under it: how a lookup becomes an index entry, how
// each walk event changes the index, and how to count the leases under a
// prefix by listing only. The UI, the script commands and the benchmark
// all use it, so they fill their indexes the same way.
package crawl

import (
	"context"
	"time"

	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/vaultclient"
)

// Info is what the index stores of a lookup.
func Info(l vaultclient.Lease) model.LeaseInfo {
	return model.LeaseInfo{ID: l.ID, IssueTime: l.IssueTime, ExpireTime: l.ExpireTime,
		LastRenewal: l.LastRenewal, Renewable: l.Renewable, TTL: l.TTL}
}

// Walker walks a prefix: *vaultclient.Client, or a test's or the UI's
// stand-in.
type Walker interface {
	Walk(ctx context.Context, prefix string, opt vaultclient.WalkOptions) <-chan vaultclient.Event
}

// Stats is what Apply counted of one walk, and how it words errors.
type Stats struct {
	Listed  int   // prefixes listed
	Leases  int   // leases looked up
	Errors  int   // failed listings and lookups
	LastErr error // the most recent of them
	// Counted: the walk's listing is over and its counts are in the
	// index (EventCounted); what follows are lookups.
	Counted bool
	// Poll marks a refresh of an index a full crawl already filled: every
	// lease a listing adds is new, even under a prefix not seen before.
	Poll bool
	// Changed, if set, hears how many leases each listing added and
	// removed under its prefix (the churn), for prefixes listed before and
	// for every listing of a Poll; a first crawl's listings are not churn.
	Changed func(prefix string, created, gone int)
	// ErrorText words a failed listing's error for the index
	// (model.Index.SetPrefixError), e.g. the UI's plain-words formatter;
	// nil uses err.Error().
	ErrorText func(error) string
}

// Apply applies one walk event to idx at now and counts it in st (which may
// be nil):
//
//   - EventListed: the listing goes into the index (ApplyListing); the ids
//     it names that the index did not know are returned as fresh, for a
//     list-only refresh to look up.
//   - EventLease: the lookup is stored (ApplyLease), unless the index
//     holds the lease as gone: a listing or a revocation since the lookup
//     was sent says it no longer exists, and a lease id never comes back.
//   - EventVanished: the lease is marked gone (MarkGone).
//   - EventError: counted; a failed listing (no LeaseID) is recorded on
//     its prefix (SetPrefixError), which keeps its last good data.
//   - EventCounted: the listing is over (Stats.Counted).
func Apply(idx *model.Index, ev vaultclient.Event, now time.Time, st *Stats) (fresh []string) {
	if st == nil {
		st = &Stats{}
	}
	switch ev.Kind {
	case vaultclient.EventListed:
		st.Listed++
		n := idx.Node(ev.Listing.Prefix)
		seen := n != nil && n.Listed()
		var gone []string
		fresh, gone = idx.ApplyListing(ev.Listing.Prefix, ev.Listing.Prefixes, ev.Listing.LeaseIDs, now)
		if st.Changed != nil && (seen || st.Poll) && len(fresh)+len(gone) > 0 {
			st.Changed(ev.Listing.Prefix, len(fresh), len(gone))
		}
	case vaultclient.EventLease:
		st.Leases++
		ApplyLookup(idx, ev.Lease)
	case vaultclient.EventVanished:
		idx.MarkGone(ev.LeaseID, now)
	case vaultclient.EventCounted:
		st.Counted = true
	case vaultclient.EventError:
		st.Errors++
		st.LastErr = ev.Err
		if ev.LeaseID == "" {
			idx.SetPrefixError(ev.Prefix, st.errorText(ev.Err))
		}
	}
	return fresh
}

// ApplyLookup stores a lookup in idx, unless idx holds the lease as gone.
// A lookup answered before a re-listing of its prefix (a refresh running
// beside a crawl's lookups) or before a revocation can arrive after it;
// stored, it would bring back a lease Vault no longer has, and nothing
// would mark it gone again until its prefix's next listing.
func ApplyLookup(idx *model.Index, l vaultclient.Lease) {
	if old := idx.Lease(l.ID); old != nil && old.Gone() {
		return
	}
	idx.ApplyLease(Info(l))
}

func (s *Stats) errorText(err error) string {
	switch {
	case s.ErrorText != nil:
		return s.ErrorText(err)
	case err == nil: // the walk never sends one; do not panic on a stand-in's
		return ""
	}
	return err.Error()
}

// Count counts the leases under prefix by listing only (no lookups): the
// sum of the lease ids every listing names, which for 100,000 leases costs
// a handful of LISTs. It stops at the first failure and returns it with
// the count so far; a cancelled ctx returns ctx's error.
func Count(ctx context.Context, w Walker, prefix string) (int, error) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the walk when a failure ends the count early
	n := 0
	for ev := range w.Walk(wctx, prefix, vaultclient.WalkOptions{ListOnly: true}) {
		switch ev.Kind {
		case vaultclient.EventListed:
			n += len(ev.Listing.LeaseIDs)
		case vaultclient.EventError:
			return n, ev.Err
		}
	}
	return n, ctx.Err()
}
