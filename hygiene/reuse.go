package hygiene

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/leasetop/leasetop/audit"
	"github.com/leasetop/leasetop/leaseid"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/owners"
)

// A client that makes a lease per read asks Vault for the secret again
// instead of renewing (or simply reusing) the lease it holds. Its
// signature is many live leases of one owner on one path, none ever
// renewed, made one after another at the rate it reads: it holds about
// rate × TTL leases where a client that reuses its lease holds one.

// DefaultMinLeases is how many live leases one owner must hold on one
// path, none renewed, for LeasePerRead to name it.
const DefaultMinLeases = 50

// ReuseOptions tune LeasePerRead.
type ReuseOptions struct {
	// MinLeases is the fewest looked-up leases on one path that make a
	// finding; 0 is DefaultMinLeases.
	MinLeases int
	// Now is the clock; zero is time.Now.
	Now time.Time
}

// reuseGroup is one owner's leases on one path.
type reuseGroup struct {
	path     string
	seq      int          // when the walk came to it: a path's groups come together
	key      string       // the owner's group key; "" without an owner
	firstID  string       // the least id of the group's leases with an owner
	owner    *audit.Owner // nil without an owner (the prefix stands for it)
	label    string
	ids      []string
	renewed  int
	pending  int // listed, not looked up: their renewals are unknown
	first    time.Time
	last     time.Time
	ttlSum   time.Duration
	ttlCount int
}

// LeasePerRead finds owners that make a lease per read (Kind NoReuse): at least
// opt.MinLeases live, looked-up leases on one path (the path that issued
// them), none ever renewed. The owner comes from src: the audit log for
// most leases, the token store for token leases; a lease without one is
// grouped by its path alone. Each finding's action revokes exactly its
// leases, by id. A path it cannot judge is in the second list, with the
// policy line the token lacks: one whose listing was refused, and an
// owner's leases there that could not be looked up (their renewals are
// unknown).
func LeasePerRead(idx *model.Index, src owners.Source, opt ReuseOptions) ([]Finding, []Unchecked) {
	return leasePerRead(indexTree{idx}, src, opt)
}

// LeasePerRead is the package's LeasePerRead on the leases ls holds (a
// Copy or Snapshot of the whole index, path ""), on any goroutine; src.Log
// may be filled meanwhile.
func (ls *Leases) LeasePerRead(src owners.Source, opt ReuseOptions) ([]Finding, []Unchecked) {
	return leasePerRead(ls, src, opt)
}

func leasePerRead(t tree, src owners.Source, opt ReuseOptions) ([]Finding, []Unchecked) {
	if opt.MinLeases <= 0 {
		opt.MinLeases = DefaultMinLeases
	}
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	groups := map[[2]string]*reuseGroup{}
	var order []*reuseGroup
	t.each(func(path string, l Lease) {
		id := path + l.Key
		g, created := owners.Of(id, l.Issued(), l.Expires(), owners.ByEntity, src)
		key := ""
		if g.Owned {
			key = g.Key
		}
		k := [2]string{path, key}
		r := groups[k]
		if r == nil {
			r = &reuseGroup{path: path, key: key, label: "no owner known", seq: len(order)}
			groups[k] = r
			order = append(order, r)
		}
		// The owner named is that of the group's first lease by id, so
		// that the order the leases come in does not change the finding.
		if g.Owned && (len(r.ids) == 0 || id < r.firstID) {
			r.firstID, r.label, r.owner = id, g.Label, ownerOf(id, l, src)
		}
		r.ids = append(r.ids, id)
		if !l.Known {
			r.pending++
			return
		}
		if !l.Renewed().IsZero() {
			r.renewed++
		}
		if created.IsZero() {
			created = l.Issued()
		}
		if !created.IsZero() {
			if r.first.IsZero() || created.Before(r.first) {
				r.first = created
			}
			if created.After(r.last) {
				r.last = created
			}
		}
		if l.expires != 0 && l.issued != 0 {
			r.ttlSum += l.Expires().Sub(l.Issued())
			r.ttlCount++
		}
	})
	// A path's groups in the order of their owners' keys, not of their
	// first leases: a copy's leases come sorted, the index's not always.
	slices.SortFunc(order, func(a, b *reuseGroup) int {
		if a.path != b.path {
			return a.seq - b.seq
		}
		return strings.Compare(a.key, b.key)
	})
	var out []Finding
	var unchecked []Unchecked
	for _, r := range order {
		known := len(r.ids) - r.pending
		if r.renewed > 0 {
			continue
		}
		if known < opt.MinLeases {
			if len(r.ids) >= opt.MinLeases {
				unchecked = append(unchecked, Unchecked{Kind: NoReuse, Prefix: r.path, Missing: `path "sys/leases/lookup" { capabilities = ["update"] }`,
					Reason: fmt.Sprintf("%s of %s leases on %s (%s) were not looked up: whether they were renewed is unknown",
						model.FormatCount(r.pending), model.FormatCount(len(r.ids)), r.path, r.label)})
			}
			continue
		}
		out = append(out, r.finding(t, opt.MinLeases))
	}
	for _, n := range t.refused() {
		unchecked = append(unchecked, Unchecked{Kind: NoReuse, Prefix: n.path, Reason: "the listing of " + display(n.path) + " failed: " + n.err,
			Missing: missingFor(n.err, n.path)})
	}
	Rank(out)
	return out, unchecked
}

// ownerOf is the owner of a lease as src knows it: the token store's for
// a token lease, the audit log's for any other.
func ownerOf(id string, l Lease, src owners.Source) *audit.Owner {
	if leaseid.IsToken(id) {
		o, _, _ := src.Tokens.Owner(id, l.Issued(), l.Expires())
		return o
	}
	if src.Log == nil {
		return nil
	}
	o, _, _ := src.Log.Owner(id)
	return o
}

func (r *reuseGroup) finding(t tree, minLeases int) Finding {
	n := len(r.ids)
	direct := n
	if node, ok := t.node(r.path); ok && node.direct > 0 {
		direct = node.direct
	}
	share := float64(n) / float64(direct)
	ids := slices.Clone(r.ids)
	slices.Sort(ids)
	f := Finding{
		Kind: NoReuse, Severity: Warning, Prefix: r.path, Leases: n, LeaseIDs: ids,
	}
	if n >= 10*minLeases {
		f.Severity = Critical
	}
	who := "leases"
	if r.key != "" {
		f.Owner = r.label
		if r.owner != nil {
			f.Owner = owners.Name(r.owner)
		}
		who = f.Owner
	}
	logins := leaseid.IsToken(ids[0])
	switch {
	case logins && r.key != "":
		f.Title = fmt.Sprintf("%s logs in for every request: %s live login tokens on %s, none ever renewed", who, model.FormatCount(n), r.path)
	case logins:
		f.Title = fmt.Sprintf("a client logs in for every request: %s live login tokens on %s, none ever renewed (no token store read names it)", model.FormatCount(n), r.path)
	case r.key != "":
		f.Title = fmt.Sprintf("%s makes a lease per read: %s live leases on %s, none ever renewed", who, model.FormatCount(n), r.path)
	default:
		f.Title = fmt.Sprintf("a client makes a lease per read: %s live leases on %s, none ever renewed (no audit log names it)", model.FormatCount(n), r.path)
	}
	f.Evidence = append(f.Evidence,
		fmt.Sprintf("%s live leases on %s made by %s, %s of that path's %s", model.FormatCount(n), r.path, who, Percent(share), model.FormatCount(direct)),
		"none of them was ever renewed",
	)
	if rate, span, ok := r.rate(); ok {
		f.Evidence = append(f.Evidence, fmt.Sprintf("made at %s over %s (%s to %s): its read rate, one lease each",
			perMinuteWords(rate), model.FormatDuration(span), r.first.UTC().Format("15:04:05"), r.last.UTC().Format("15:04:05 UTC")))
	} else if !r.first.IsZero() {
		f.Evidence = append(f.Evidence, fmt.Sprintf("all made within a second, at %s", r.first.UTC().Format("15:04:05 UTC")))
	}
	if r.ttlCount > 0 {
		ttl := r.ttlSum / time.Duration(r.ttlCount)
		f.Evidence = append(f.Evidence, fmt.Sprintf("each lives %s; a client that reused and renewed its lease would hold 1", model.FormatDuration(ttl)))
	}
	if r.owner != nil {
		f.Evidence = append(f.Evidence, "owner: "+owners.Words(r.owner))
		if r.owner.RemoteAddr != "" || r.owner.UserAgent != "" {
			f.Evidence = append(f.Evidence, strings.TrimSpace("from "+r.owner.RemoteAddr+" "+userAgent(r.owner.UserAgent)))
		}
		if len(r.owner.Policies) > 0 {
			f.Evidence = append(f.Evidence, "policies: "+strings.Join(r.owner.Policies, ", "))
		}
	} else if r.key != "" {
		f.Evidence = append(f.Evidence, "owner: "+r.label)
	}
	f.Action = Action{Kind: RevokeLeases, Text: fmt.Sprintf("revoke these %s leases (the client no longer uses them), and make it keep and renew one lease (Vault Agent's cache, or renew before the TTL) instead of reading again", model.FormatCount(n))}
	if logins {
		// A login per request: revoking a token lease revokes the token
		// and every lease it made.
		f.Action.Text = fmt.Sprintf("revoke these %s login tokens (the client no longer uses them; what each token made goes with it), and make it log in once and renew its token (Vault Agent's auto-auth) instead of logging in again", model.FormatCount(n))
	}
	return f
}

func userAgent(ua string) string {
	if ua == "" {
		return ""
	}
	return "(" + ua + ")"
}

// rate is the leases made a minute between the first and the last, and
// that span; false when they were all made within a second or the times
// are unknown.
func (r *reuseGroup) rate() (float64, time.Duration, bool) {
	span := r.last.Sub(r.first)
	if r.first.IsZero() || span < time.Second {
		return 0, span, false
	}
	return float64(len(r.ids)-1-r.pending) / span.Minutes(), span, true
}

// perMinuteWords is a rate in words: "12 a minute", "1,200 a minute",
// "0.5 a minute".
func perMinuteWords(r float64) string {
	if r < 10 {
		return fmt.Sprintf("%.1f a minute", r)
	}
	return model.FormatCount(int(r+0.5)) + " a minute"
}
