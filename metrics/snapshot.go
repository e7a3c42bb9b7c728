// Package metrics is what `leasetop serve` publishes to Prometheus: a
// collector of const metrics built at scrape time from a Snapshot that the
// crawl engine hands over after each refresh, on a registry of its own
// beside the Go and process collectors.
//
// The engine owns the index and the churn tracker (neither is safe for
// concurrent use), so it builds a Snapshot on its own goroutine with a
// Builder and hands it to Collector.Publish. A scrape reads only the last
// published snapshots through an atomic pointer: it never waits on Vault
// nor on the engine, and a prefix missing from the latest snapshot has no
// series at all, so nothing stale lingers.
package metrics

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/leasetop/leasetop/churn"
	"github.com/leasetop/leasetop/config"
	"github.com/leasetop/leasetop/hygiene"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/owners"
	"github.com/leasetop/leasetop/vaultclient"
)

// DefaultListenAddress is where `leasetop serve` listens unless told
// otherwise. Prometheus keeps a list of exporters' default ports (the
// "Default port allocations" page of the prometheus/prometheus wiki) so
// that exporters on one host do not collide. Its range, 9100-9999, has
// been fully allocated since 2023, so no port in it is free; exporters
// since then take a port above it and enter it on that page. 19155 is
// above the range and below Linux's ephemeral ports (32768 and up), where
// an outgoing connection could hold it; it is to be entered on the page.
const DefaultListenAddress = ":19155"

// Defaults of the cardinality caps.
const (
	// DefaultDepth keeps three segments of a prefix, which is down to the
	// role for the engines that issue most leases: database/creds/app/,
	// aws/creds/deploy/, pki/issue/web/, auth/approle/login/.
	DefaultDepth = 3
	// DefaultTopN is how many prefixes (and owners of each grouping) get
	// series of their own; the rest add up under Other.
	DefaultTopN = 50
)

// Other is the label value under which the prefixes (and owners) beyond
// the top N add up. A real prefix always ends in '/', so it cannot be one.
const Other = "other"

// Unknown is the owner label of leases whose owner the audit log or the
// token store cannot name.
const Unknown = "unknown"

// TTLBounds are the upper bounds, in seconds, of the TTL histogram's
// buckets: 5 minutes, an hour, a day, a week. "Expiring within 5 minutes"
// is one bucket.
var TTLBounds = [...]float64{300, 3600, 86400, 604800}

// Snapshot is one context's state at one moment, in plain values: what a
// scrape turns into series. It is never changed once published.
type Snapshot struct {
	Context string
	// Prefixes are the prefixes after the depth and top-N cuts, most
	// leases first, with the rest under Other last.
	Prefixes []Prefix
	// Irrevocable is the irrevocable leases per mount (path, or the mount
	// accessor when the mount is unknown); nil when they were not read.
	Irrevocable []Count
	// Owners is the leases per owner, for each grouping; nil when no
	// attribution source was given.
	Owners []Owner
	// Budgets are the config file's budgets that could be counted, with
	// their use; an owner's budget without an audit log has none.
	Budgets []Budget

	Up            bool          // the last refresh reached Vault
	Complete      bool          // a full crawl is done and no prefix failed to list
	Pending       int           // leases listed but not looked up yet (TTL unknown)
	PrefixErrors  int           // prefixes whose last listing failed
	CrawlDuration time.Duration // the last full crawl
	LastRefresh   time.Time     // the last refresh that completed; zero: none yet
}

// Prefix is one prefix label's figures.
type Prefix struct {
	Prefix string
	Leases int // live leases, pending ones included
	TTL    TTLHistogram
	// Created and Gone count the leases that appeared and vanished since
	// leasetop started (its first crawl's leases not counted). HasChurn is
	// false when no churn tracker was given.
	Created, Gone int64
	HasChurn      bool
	// NextExpiry is the soonest expiry of its leases (an expired lease
	// awaiting revocation included); zero when none has a known expiry.
	NextExpiry time.Time
}

// TTLHistogram is the distribution of the time left of the leases with a
// known expiry (pending leases and leases that never expire are left out).
type TTLHistogram struct {
	Buckets [len(TTLBounds)]uint64 // cumulative: leases with TTL <= TTLBounds[i]
	Count   uint64
	Sum     float64 // seconds; an expired lease counts 0
}

// Count is a label and a number.
type Count struct {
	Label string
	N     int
}

// Owner is the leases of one owner under one grouping.
type Owner struct {
	By     string // "entity", "role" or "mount"
	Owner  string
	Leases int
}

// Budget is one budget of the config file and the leases counted
// against it.
type Budget struct {
	Scope string // "prefix", "role", "mount" or "entity"
	Name  string
	Used  int
	Max   int
	Warn  int // the leases from which it warns
}

// Crawl is what the engine knows about its crawling, beside the index.
type Crawl struct {
	Up          bool
	Complete    bool // a full crawl has finished
	Duration    time.Duration
	LastRefresh time.Time
}

// Inputs are what a snapshot is built from.
type Inputs struct {
	Index *model.Index
	// Churn gives the created and gone counters; nil leaves them out.
	Churn *churn.Tracker
	// Owners is the attribution source; nil (or one with neither an audit
	// log nor a token store) leaves the owner series out.
	Owners *owners.Source
	// Irrevocable is sys/leases/count?type=irrevocable; nil leaves the
	// irrevocable series out. Mounts name its accessors.
	Irrevocable *vaultclient.IrrevocableCounts
	Mounts      []vaultclient.Mount
	// Budgets are the config file's budgets for this context.
	Budgets []config.Budget
	Crawl   Crawl
	Now     time.Time
}

// Builder builds one context's snapshots. It keeps what the Other counters
// need to stay monotonic while prefixes move in and out of the top N, so
// the engine keeps one Builder per context for the life of the process.
// Like the index, it is not safe for concurrent use.
type Builder struct {
	Context string
	Depth   int // segments of a prefix kept; 0: DefaultDepth
	TopN    int // prefixes and owners with series of their own; 0: DefaultTopN

	last                    map[string][2]int64 // a prefix label's churn totals when last built
	otherCreated, otherGone int64
}

// agg is one prefix label being added up.
type agg struct {
	Prefix
	soonest int64
	own     bool // the label is a prefix shallower than the depth: its own leases only
}

// Build reads the index (and the tracker, the owners and the irrevocable
// counts) into a snapshot. It costs a pass over the leases (three more
// with owners), so the engine calls it after a refresh, never per scrape.
func (b *Builder) Build(in Inputs) *Snapshot {
	depth, topN := cmp.Or(b.Depth, DefaultDepth), cmp.Or(b.TopN, DefaultTopN)
	now := in.Now.UnixNano()
	s := &Snapshot{
		Context: b.Context, Up: in.Crawl.Up, CrawlDuration: in.Crawl.Duration, LastRefresh: in.Crawl.LastRefresh,
		Pending: in.Index.Len() - in.Index.Known(),
	}
	s.PrefixErrors = prefixErrors(in.Index.Root())
	s.Complete = in.Crawl.Complete && s.PrefixErrors == 0

	aggs := map[string]*agg{}
	var lastPrefix string
	var cur *agg
	in.Index.Each("", func(l *model.Lease) {
		// Leases come node by node, so the label is looked up once per
		// prefix, not per lease.
		if p := l.Prefix(); cur == nil || p != lastPrefix {
			lastPrefix = p
			label, own := cut(p, depth)
			if cur = aggs[label]; cur == nil {
				cur = &agg{Prefix: Prefix{Prefix: label}, own: own}
				aggs[label] = cur
			}
		}
		cur.Leases++
		if !l.HasExpiry() {
			return
		}
		e := l.ExpireTime().UnixNano()
		if cur.soonest == 0 || e < cur.soonest {
			cur.soonest = e
		}
		ttl := max(float64(e-now)/1e9, 0)
		cur.TTL.Count++
		cur.TTL.Sum += ttl
		for i, le := range TTLBounds {
			if ttl <= le {
				cur.TTL.Buckets[i]++
			}
		}
	})

	all := make([]*agg, 0, len(aggs))
	for _, a := range aggs {
		if in.Churn != nil {
			a.HasChurn = true
			if a.own {
				a.Created, a.Gone = in.Churn.OwnTotals(a.Prefix.Prefix)
			} else {
				a.Created, a.Gone = in.Churn.Totals(a.Prefix.Prefix)
			}
		}
		all = append(all, a)
	}
	slices.SortFunc(all, func(x, y *agg) int {
		return cmp.Or(cmp.Compare(y.Leases, x.Leases), strings.Compare(x.Prefix.Prefix, y.Prefix.Prefix))
	})
	if b.last == nil {
		b.last = map[string][2]int64{}
	}
	var other *agg
	for i, a := range all {
		if i >= topN {
			if other == nil {
				other = &agg{Prefix: Prefix{Prefix: Other, HasChurn: in.Churn != nil}}
			}
			other.add(a)
			// Other grows by what its members gained since they were
			// last published, so a prefix that drops out of the top N
			// does not bring its whole history, and one that climbs
			// into it does not take any away.
			prev := b.last[a.Prefix.Prefix]
			b.otherCreated += max(a.Created-prev[0], 0)
			b.otherGone += max(a.Gone-prev[1], 0)
		}
		if in.Churn != nil {
			b.last[a.Prefix.Prefix] = [2]int64{a.Created, a.Gone}
		}
	}
	for _, a := range all[:min(topN, len(all))] {
		s.Prefixes = append(s.Prefixes, a.finish())
	}
	if other != nil {
		other.Created, other.Gone = b.otherCreated, b.otherGone
		s.Prefixes = append(s.Prefixes, other.finish())
	}

	if in.Irrevocable != nil {
		s.Irrevocable = irrevocable(in.Irrevocable, in.Mounts)
	}
	if src := in.Owners; src != nil && (src.Log != nil || src.Tokens != nil) {
		for _, by := range []owners.By{owners.ByEntity, owners.ByRole, owners.ByMount} {
			s.Owners = append(s.Owners, ownersBy(in.Index, by, *src, in.Now, topN)...)
		}
	}
	if len(in.Budgets) > 0 {
		var src owners.Source
		if in.Owners != nil {
			src = *in.Owners
		}
		// A budget that cannot be counted (an owner's, without the audit
		// log) gets no series: a zero would read as "within budget".
		us, _ := hygiene.Usages(in.Index, src, in.Budgets)
		for _, u := range us {
			s.Budgets = append(s.Budgets, Budget{Scope: string(u.Scope), Name: u.Name, Used: u.Used, Max: u.Max, Warn: u.WarnAt()})
		}
	}
	return s
}

func (a *agg) add(o *agg) {
	a.Leases += o.Leases
	a.TTL.Count += o.TTL.Count
	a.TTL.Sum += o.TTL.Sum
	for i := range a.TTL.Buckets {
		a.TTL.Buckets[i] += o.TTL.Buckets[i]
	}
	if o.soonest != 0 && (a.soonest == 0 || o.soonest < a.soonest) {
		a.soonest = o.soonest
	}
}

func (a *agg) finish() Prefix {
	p := a.Prefix
	if a.soonest != 0 {
		p.NextExpiry = time.Unix(0, a.soonest)
	}
	return p
}

// cut is the label of the leases directly under prefix: the prefix itself
// when it has at most depth segments (own: its own leases, not its
// children's), else its first depth segments (the whole subtree's). The
// root, where Vault puts no leases, reads "/".
func cut(prefix string, depth int) (label string, own bool) {
	if prefix == "" {
		return "/", true
	}
	n := 0
	for i := 0; i < len(prefix); i++ {
		if prefix[i] == '/' {
			if n++; n == depth {
				return prefix[:i+1], false
			}
		}
	}
	return prefix, true
}

// prefixErrors counts the prefixes whose last listing failed.
func prefixErrors(n *model.Node) int {
	c := 0
	if n.Err() != "" {
		c++
	}
	for _, ch := range n.Children() {
		c += prefixErrors(ch)
	}
	return c
}

func irrevocable(counts *vaultclient.IrrevocableCounts, mounts []vaultclient.Mount) []Count {
	paths := map[string]string{}
	for _, m := range mounts {
		paths[m.Accessor] = m.Path
	}
	by := map[string]int{}
	for acc, n := range counts.ByMountAccessor {
		label := cmp.Or(paths[acc], acc)
		by[label] += n
	}
	out := make([]Count, 0, len(by))
	for l, n := range by {
		out = append(out, Count{Label: l, N: n})
	}
	slices.SortFunc(out, func(x, y Count) int { return strings.Compare(x.Label, y.Label) })
	return out
}

// ownersBy is the leases per owner under one grouping, the top N and the
// rest under Other, the leases without a known owner under Unknown.
func ownersBy(idx *model.Index, by owners.By, src owners.Source, now time.Time, topN int) []Owner {
	rows, _ := owners.Rollup(idx, "", by, src, now, 0)
	counts := map[string]int{}
	var order []string
	for _, r := range rows {
		label := Unknown
		if r.Owned {
			label = r.Name
			if by == owners.ByEntity || label == "" {
				// Entities' short names can repeat; their labels carry
				// the entity id.
				label = r.Label
			}
		}
		if _, ok := counts[label]; !ok {
			order = append(order, label)
		}
		counts[label] += r.Count
	}
	// Rollup sorts owners by count; merging can reorder them.
	slices.SortStableFunc(order, func(x, y string) int {
		if (x == Unknown) != (y == Unknown) {
			if x == Unknown {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(counts[y], counts[x]), strings.Compare(x, y))
	})
	var out []Owner
	rest, otherAt := 0, -1
	for _, label := range order {
		switch {
		case label == Unknown:
		case len(out) < topN:
			if label == Other {
				otherAt = len(out)
			}
			out = append(out, Owner{By: by.String(), Owner: label, Leases: counts[label]})
		default:
			rest += counts[label]
		}
	}
	switch {
	case rest > 0 && otherAt >= 0:
		// An owner named like the rest's label: one series, not two.
		out[otherAt].Leases += rest
	case rest > 0:
		out = append(out, Owner{By: by.String(), Owner: Other, Leases: rest})
	}
	if n, ok := counts[Unknown]; ok {
		out = append(out, Owner{By: by.String(), Owner: Unknown, Leases: n})
	}
	return out
}
