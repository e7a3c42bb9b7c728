package metrics

import (
	"maps"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every metric leasetop itself defines.
const Namespace = "leasetop"

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(Namespace+"_"+name, help, append([]string{"context"}, labels...), nil)
}

var (
	descUp = desc("up",
		"1 when the last refresh of the context reached Vault, 0 when it did not (the other series then keep the last data, aged by leasetop_last_refresh_timestamp_seconds).")
	descComplete = desc("crawl_complete",
		"1 when a full crawl of the context is done and no prefix failed to list, so the lease figures cover all of Vault's leases.")
	descPending = desc("crawl_pending_leases",
		"Leases listed but not looked up yet: counted in leasetop_leases, missing from the TTL histogram.")
	descPrefixErrors = desc("crawl_prefix_errors",
		"Prefixes whose last listing failed; their figures are the last good ones.")
	descDuration = desc("crawl_duration_seconds",
		"How long the last full crawl of the context took.")
	descLastRefresh = desc("last_refresh_timestamp_seconds",
		"When the last refresh of the context completed, as a Unix time.")
	descLeases = desc("leases",
		"Live leases per prefix (cut at a depth, the prefixes beyond the top N under prefix=\"other\").", "prefix")
	descTTL = desc("lease_ttl_seconds",
		"Time left of the leases per prefix with a known expiry, at the last refresh: a distribution, not a rate (bucket le=\"300\" is the leases expiring within 5 minutes).", "prefix")
	descCreated = desc("leases_created_total",
		"Leases that appeared per prefix since leasetop started (its first crawl's not counted).", "prefix")
	descGone = desc("leases_gone_total",
		"Leases that vanished (revoked or expired) per prefix since leasetop started.", "prefix")
	descNextExpiry = desc("lease_next_expiry_timestamp_seconds",
		"Soonest expiry of a lease per prefix, as a Unix time (in the past for an expired lease Vault has not revoked yet).", "prefix")
	descIrrevocable = desc("irrevocable_leases",
		"Leases whose revocation failed and which Vault gave up retrying, per mount.", "mount")
	descBudget = desc("budget_leases",
		"The soft budget of live leases the config file gives a prefix or an owner (scope: prefix, role, mount or entity); nothing enforces it.", "scope", "name")
	descBudgetWarn = desc("budget_warn_leases",
		"The live leases from which a budget warns (its warn share of leasetop_budget_leases).", "scope", "name")
	descBudgetUsed = desc("budget_used_leases",
		"Live leases counted against a budget of the config file: under its prefix, or made by its owner.", "scope", "name")
	descOwner = desc("owner_leases",
		"Live leases per owner, grouped by entity, role or auth mount (owner=\"unknown\": not attributable), when an audit log or the token store names them.", "by", "owner")
)

var allDescs = []*prometheus.Desc{descUp, descComplete, descPending, descPrefixErrors, descDuration,
	descLastRefresh, descLeases, descTTL, descCreated, descGone, descNextExpiry, descIrrevocable, descOwner,
	descBudget, descBudgetWarn, descBudgetUsed}

// Collector turns the last published snapshot of each context into const
// metrics at scrape time.
type Collector struct {
	mu    sync.Mutex                           // serialises writers
	snaps atomic.Pointer[map[string]*Snapshot] // read by scrapes without a lock
}

// NewCollector returns a collector with no context published yet.
func NewCollector() *Collector {
	c := &Collector{}
	c.snaps.Store(&map[string]*Snapshot{})
	return c
}

// Publish makes s its context's current snapshot. s must not change
// afterwards: scrapes read it without a lock.
func (c *Collector) Publish(s *Snapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := maps.Clone(*c.snaps.Load())
	m[s.Context] = s
	c.snaps.Store(&m)
}

// Forget drops a context and all its series.
func (c *Collector) Forget(context string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := maps.Clone(*c.snaps.Load())
	delete(m, context)
	c.snaps.Store(&m)
}

// Describe sends every descriptor the collector uses.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allDescs {
		ch <- d
	}
}

// Collect sends the series of every published snapshot.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	m := *c.snaps.Load()
	for _, ctx := range slices.Sorted(maps.Keys(m)) {
		collect(ch, m[ctx])
	}
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func boolean(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

var bucketBounds = TTLBounds[:]

func collect(ch chan<- prometheus.Metric, s *Snapshot) {
	ctx := s.Context
	gauge(ch, descUp, boolean(s.Up), ctx)
	gauge(ch, descComplete, boolean(s.Complete), ctx)
	gauge(ch, descPending, float64(s.Pending), ctx)
	gauge(ch, descPrefixErrors, float64(s.PrefixErrors), ctx)
	gauge(ch, descDuration, s.CrawlDuration.Seconds(), ctx)
	if !s.LastRefresh.IsZero() {
		gauge(ch, descLastRefresh, float64(s.LastRefresh.UnixNano())/1e9, ctx)
	}
	for _, p := range s.Prefixes {
		gauge(ch, descLeases, float64(p.Leases), ctx, p.Prefix)
		buckets := make(map[float64]uint64, len(bucketBounds))
		for i, le := range bucketBounds {
			buckets[le] = p.TTL.Buckets[i]
		}
		ch <- prometheus.MustNewConstHistogram(descTTL, p.TTL.Count, p.TTL.Sum, buckets, ctx, p.Prefix)
		if p.HasChurn {
			ch <- prometheus.MustNewConstMetric(descCreated, prometheus.CounterValue, float64(p.Created), ctx, p.Prefix)
			ch <- prometheus.MustNewConstMetric(descGone, prometheus.CounterValue, float64(p.Gone), ctx, p.Prefix)
		}
		if !p.NextExpiry.IsZero() {
			gauge(ch, descNextExpiry, float64(p.NextExpiry.UnixNano())/1e9, ctx, p.Prefix)
		}
	}
	for _, m := range s.Irrevocable {
		gauge(ch, descIrrevocable, float64(m.N), ctx, m.Label)
	}
	for _, o := range s.Owners {
		gauge(ch, descOwner, float64(o.Leases), ctx, o.By, o.Owner)
	}
	for _, b := range s.Budgets {
		gauge(ch, descBudget, float64(b.Max), ctx, b.Scope, b.Name)
		gauge(ch, descBudgetWarn, float64(b.Warn), ctx, b.Scope, b.Name)
		gauge(ch, descBudgetUsed, float64(b.Used), ctx, b.Scope, b.Name)
	}
}

// NewRegistry is a registry of its own holding c beside the Go and process
// collectors, so nothing registered globally by a library leaks into
// leasetop's output.
func NewRegistry(c *Collector) *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(c, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return r
}

// Handler serves the registry's metrics for /metrics. A collector that
// fails leaves its series out instead of failing the scrape with a 500.
func Handler(r *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(r, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}
