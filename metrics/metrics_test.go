package metrics

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/leasetop/leasetop/audit"
	"github.com/leasetop/leasetop/churn"
	"github.com/leasetop/leasetop/config"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/owners"
	"github.com/leasetop/leasetop/vaultclient"
)

var now = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) // 1795694400

// lease adds a looked-up lease expiring after ttl (never, for 0).
func lease(idx *model.Index, id string, ttl time.Duration) {
	info := model.LeaseInfo{ID: id, TTL: ttl}
	if ttl != 0 {
		info.ExpireTime = now.Add(ttl)
	}
	idx.ApplyLease(info)
}

// estate is a small index: two roles of a database mount, a shallow KV
// prefix with a pending lease, and a deep prefix the depth cut folds.
func estate() (*model.Index, *churn.Tracker) {
	idx := model.NewIndex()
	lease(idx, "database/creds/app/a1", time.Minute)
	lease(idx, "database/creds/app/a2", 2*time.Hour)
	lease(idx, "database/creds/app/a3", 10*24*time.Hour)
	lease(idx, "database/creds/ro/r1", 30*time.Minute)
	lease(idx, "database/creds/ro/r2", -10*time.Second) // expired, not revoked yet
	lease(idx, "secret/a/k1", time.Hour)
	idx.ApplyListing("secret/a/", []string{"secret/a/deep/"}, []string{"secret/a/k1", "secret/a/k2"}, now) // k2 pending
	lease(idx, "secret/a/deep/x/y/d1", 24*time.Hour+time.Second)

	tr := churn.New(time.Minute, 15)
	tr.Record("database/creds/app/", 5, 2, now)
	tr.Record("secret/a/", 1, 0, now)
	tr.Record("secret/a/deep/x/y/", 2, 1, now)
	return idx, tr
}

func inputs(idx *model.Index, tr *churn.Tracker) Inputs {
	return Inputs{Index: idx, Churn: tr, Now: now,
		Crawl: Crawl{Up: true, Complete: true, Duration: 2500 * time.Millisecond, LastRefresh: now}}
}

const helpLeases = "# HELP leasetop_leases Live leases per prefix (cut at a depth, the prefixes beyond the top N under prefix=\"other\").\n# TYPE leasetop_leases gauge\n"

func TestExpositionOfASmallIndex(t *testing.T) {
	idx, tr := estate()
	in := inputs(idx, tr)
	in.Irrevocable = &vaultclient.IrrevocableCounts{Total: 3, ByMountAccessor: map[string]int{"acc_db": 2, "acc_gone": 1}}
	in.Mounts = []vaultclient.Mount{{Path: "database/", Accessor: "acc_db"}}
	log := audit.NewAttribution()
	app := &audit.Owner{EntityID: "e1", DisplayName: "approle", Metadata: map[string]string{"role_name": "billing"}}
	log.AddAll([]audit.Entry{
		{LeaseID: "database/creds/app/a1", Time: now, Owner: app},
		{LeaseID: "database/creds/app/a2", Time: now, Owner: app},
	})
	in.Owners = &owners.Source{Log: log}
	c := NewCollector()
	c.Publish((&Builder{Context: "prod", TopN: 3}).Build(in))

	want := `
# HELP leasetop_crawl_complete 1 when a full crawl of the context is done and no prefix failed to list, so the lease figures cover all of Vault's leases.
# TYPE leasetop_crawl_complete gauge
leasetop_crawl_complete{context="prod"} 1
# HELP leasetop_crawl_duration_seconds How long the last full crawl of the context took.
# TYPE leasetop_crawl_duration_seconds gauge
leasetop_crawl_duration_seconds{context="prod"} 2.5
# HELP leasetop_crawl_pending_leases Leases listed but not looked up yet: counted in leasetop_leases, missing from the TTL histogram.
# TYPE leasetop_crawl_pending_leases gauge
leasetop_crawl_pending_leases{context="prod"} 1
# HELP leasetop_crawl_prefix_errors Prefixes whose last listing failed; their figures are the last good ones.
# TYPE leasetop_crawl_prefix_errors gauge
leasetop_crawl_prefix_errors{context="prod"} 0
# HELP leasetop_irrevocable_leases Leases whose revocation failed and which Vault gave up retrying, per mount.
# TYPE leasetop_irrevocable_leases gauge
leasetop_irrevocable_leases{context="prod",mount="acc_gone"} 1
leasetop_irrevocable_leases{context="prod",mount="database/"} 2
# HELP leasetop_last_refresh_timestamp_seconds When the last refresh of the context completed, as a Unix time.
# TYPE leasetop_last_refresh_timestamp_seconds gauge
leasetop_last_refresh_timestamp_seconds{context="prod"} 1795694400
# HELP leasetop_lease_next_expiry_timestamp_seconds Soonest expiry of a lease per prefix, as a Unix time (in the past for an expired lease Vault has not revoked yet).
# TYPE leasetop_lease_next_expiry_timestamp_seconds gauge
leasetop_lease_next_expiry_timestamp_seconds{context="prod",prefix="database/creds/app/"} 1795694460
leasetop_lease_next_expiry_timestamp_seconds{context="prod",prefix="database/creds/ro/"} 1795694390
leasetop_lease_next_expiry_timestamp_seconds{context="prod",prefix="secret/a/"} 1795698000
leasetop_lease_next_expiry_timestamp_seconds{context="prod",prefix="other"} 1795780801
# HELP leasetop_lease_ttl_seconds Time left of the leases per prefix with a known expiry, at the last refresh: a distribution, not a rate (bucket le="300" is the leases expiring within 5 minutes).
# TYPE leasetop_lease_ttl_seconds histogram
leasetop_lease_ttl_seconds_bucket{context="prod",prefix="database/creds/app/",le="300"} 1
leasetop_lease_ttl_seconds_bucket{context="prod",prefix="database/creds/app/",le="3600"} 1
leasetop_lease_ttl_seconds_bucket{context="prod",prefix="database/creds/app/",le="86400"} 2
leasetop_lease_ttl_seconds_bucket{context="prod",prefix="database/creds/app/",le="604800"} 2
leasetop_lease_ttl_seconds_bucket{context="prod",prefix="database/creds/app/",le="+Inf"} 3
leasetop_lease_ttl_seconds_sum{context="prod",prefix="database/creds/app/"} 871260
leasetop_lease_ttl_seconds_count{context="prod",prefix="database/creds/app/"} 3
leasetop_lease_ttl_seconds_bucket{context="prod",prefix="database/creds/ro/",le="300"} 1
leasetop_lease_ttl_seconds_bucket{context="prod",prefix="database/creds/ro/",le="3600"} 2
leasetop_lease_ttl_seconds_bucket{context="prod",prefix="database/creds/ro/",le="86400"} 2
leasetop_lease_ttl_seconds_bucket{context="prod",prefix="database/creds/ro/",le="604800"} 2
leasetop_lease_ttl_seconds_bucket{context="prod",prefix="database/creds/ro/",le="+Inf"} 2
leasetop_lease_ttl_seconds_sum{context="prod",prefix="database/creds/ro/"} 1800
leasetop_lease_ttl_seconds_count{context="prod",prefix="database/creds/ro/"} 2
leasetop_lease_ttl_seconds_bucket{context="prod",prefix="secret/a/",le="300"} 0
leasetop_lease_ttl_seconds_bucket{context="prod",prefix="secret/a/",le="3600"} 1
leasetop_lease_ttl_seconds_bucket{context="prod",prefix="secret/a/",le="86400"} 1
leasetop_lease_ttl_seconds_bucket{context="prod",prefix="secret/a/",le="604800"} 1
leasetop_lease_ttl_seconds_bucket{context="prod",prefix="secret/a/",le="+Inf"} 1
leasetop_lease_ttl_seconds_sum{context="prod",prefix="secret/a/"} 3600
leasetop_lease_ttl_seconds_count{context="prod",prefix="secret/a/"} 1
leasetop_lease_ttl_seconds_bucket{context="prod",prefix="other",le="300"} 0
leasetop_lease_ttl_seconds_bucket{context="prod",prefix="other",le="3600"} 0
leasetop_lease_ttl_seconds_bucket{context="prod",prefix="other",le="86400"} 0
leasetop_lease_ttl_seconds_bucket{context="prod",prefix="other",le="604800"} 1
leasetop_lease_ttl_seconds_bucket{context="prod",prefix="other",le="+Inf"} 1
leasetop_lease_ttl_seconds_sum{context="prod",prefix="other"} 86401
leasetop_lease_ttl_seconds_count{context="prod",prefix="other"} 1
` + helpLeases + `leasetop_leases{context="prod",prefix="database/creds/app/"} 3
leasetop_leases{context="prod",prefix="database/creds/ro/"} 2
leasetop_leases{context="prod",prefix="secret/a/"} 2
leasetop_leases{context="prod",prefix="other"} 1
# HELP leasetop_leases_created_total Leases that appeared per prefix since leasetop started (its first crawl's not counted).
# TYPE leasetop_leases_created_total counter
leasetop_leases_created_total{context="prod",prefix="database/creds/app/"} 5
leasetop_leases_created_total{context="prod",prefix="database/creds/ro/"} 0
leasetop_leases_created_total{context="prod",prefix="secret/a/"} 1
leasetop_leases_created_total{context="prod",prefix="other"} 2
# HELP leasetop_leases_gone_total Leases that vanished (revoked or expired) per prefix since leasetop started.
# TYPE leasetop_leases_gone_total counter
leasetop_leases_gone_total{context="prod",prefix="database/creds/app/"} 2
leasetop_leases_gone_total{context="prod",prefix="database/creds/ro/"} 0
leasetop_leases_gone_total{context="prod",prefix="secret/a/"} 0
leasetop_leases_gone_total{context="prod",prefix="other"} 1
# HELP leasetop_owner_leases Live leases per owner, grouped by entity, role or auth mount (owner="unknown": not attributable), when an audit log or the token store names them.
# TYPE leasetop_owner_leases gauge
leasetop_owner_leases{by="entity",context="prod",owner="approle billing · entity e1"} 2
leasetop_owner_leases{by="entity",context="prod",owner="unknown"} 6
leasetop_owner_leases{by="role",context="prod",owner="billing"} 2
leasetop_owner_leases{by="role",context="prod",owner="unknown"} 6
leasetop_owner_leases{by="mount",context="prod",owner="approle"} 2
leasetop_owner_leases{by="mount",context="prod",owner="unknown"} 6
# HELP leasetop_up 1 when the last refresh of the context reached Vault, 0 when it did not (the other series then keep the last data, aged by leasetop_last_refresh_timestamp_seconds).
# TYPE leasetop_up gauge
leasetop_up{context="prod"} 1
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

func TestCollectAndLintFindsNothing(t *testing.T) {
	idx, tr := estate()
	c := NewCollector()
	c.Publish((&Builder{Context: "prod", TopN: 2}).Build(inputs(idx, tr)))
	c.Publish((&Builder{Context: "dr"}).Build(Inputs{Index: idx, Now: now}))
	problems, err := testutil.CollectAndLint(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
	if n := testutil.CollectAndCount(c, "leasetop_leases"); n != 3+4 {
		t.Errorf("%d leasetop_leases series, want 3 for prod (top 2 + other) and 4 for dr", n)
	}
}

// leasesByPrefix is the leasetop_leases series of one context, by prefix.
func leasesByPrefix(t *testing.T, g prometheus.Gatherer, context string) map[string]float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "leasetop_leases" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if label(m, "context") == context {
				out[label(m, "prefix")] = m.GetGauge().GetValue()
			}
		}
	}
	return out
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func TestDepthAndTopNCuts(t *testing.T) {
	idx := model.NewIndex()
	for _, id := range []string{
		"database/creds/app/1", "database/creds/app/2", "database/creds/app/3", "database/creds/app/4",
		"database/creds/ro/1", "database/creds/ro/2", "database/creds/ro/3",
		"auth/approle/login/1", "auth/approle/login/2",
		"pki/issue/web/1",
		"a/b/c/d/e/1", "a/b/c/2", "a/b/x/3",
		"kv/1", "kv/sub/2",
	} {
		lease(idx, id, time.Hour)
	}
	tests := []struct {
		name        string
		depth, topN int
		want        map[string]float64
	}{
		{"defaults: down to the role", 0, 0, map[string]float64{
			"database/creds/app/": 4, "database/creds/ro/": 3, "auth/approle/login/": 2, "pki/issue/web/": 1,
			"a/b/c/": 2, "a/b/x/": 1, "kv/": 1, "kv/sub/": 1}},
		{"depth 2 folds roles into their path", 2, 0, map[string]float64{
			"database/creds/": 7, "auth/approle/": 2, "pki/issue/": 1, "a/b/": 3, "kv/": 1, "kv/sub/": 1}},
		{"depth 1 is per mount", 1, 0, map[string]float64{
			"database/": 7, "auth/": 2, "pki/": 1, "a/": 3, "kv/": 2}},
		{"top 2, the rest under other", 0, 2, map[string]float64{
			"database/creds/app/": 4, "database/creds/ro/": 3, "other": 8}},
		{"top 3: ties broken by name", 0, 3, map[string]float64{
			"database/creds/app/": 4, "database/creds/ro/": 3, "a/b/c/": 2, "other": 6}},
		{"top N above the prefixes: no other", 0, 100, map[string]float64{
			"database/creds/app/": 4, "database/creds/ro/": 3, "auth/approle/login/": 2, "pki/issue/web/": 1,
			"a/b/c/": 2, "a/b/x/": 1, "kv/": 1, "kv/sub/": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewCollector()
			c.Publish((&Builder{Context: "x", Depth: tt.depth, TopN: tt.topN}).Build(Inputs{Index: idx, Now: now}))
			got := leasesByPrefix(t, NewRegistry(c), "x")
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("leases per prefix\n got %v\nwant %v", got, tt.want)
			}
			sum := 0.0
			for _, v := range got {
				sum += v
			}
			if int(sum) != idx.Len() {
				t.Errorf("the series add up to %v, the index holds %d: every lease in exactly one", sum, idx.Len())
			}
		})
	}
}

func TestAVanishedPrefixLeavesNoSeries(t *testing.T) {
	idx, tr := estate()
	c := NewCollector()
	reg := NewRegistry(c)
	b := &Builder{Context: "prod"}
	c.Publish(b.Build(inputs(idx, tr)))
	if _, ok := leasesByPrefix(t, reg, "prod")["database/creds/ro/"]; !ok {
		t.Fatal("database/creds/ro/ should have a series before it vanishes")
	}

	// Vault's listing of database/creds/ no longer has ro/: the index
	// drops the subtree, and the next snapshot has no series for it.
	idx.ApplyListing("database/creds/", []string{"database/creds/app/"}, nil, now)
	c.Publish(b.Build(inputs(idx, tr)))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if p := label(m, "prefix"); strings.HasPrefix(p, "database/creds/ro") {
				t.Errorf("%s still has a series for %s", mf.GetName(), p)
			}
		}
	}
	if got := leasesByPrefix(t, reg, "prod"); got["database/creds/app/"] != 3 {
		t.Errorf("the prefix that stayed lost its series: %v", got)
	}

	// A forgotten context leaves nothing either.
	c.Forget("prod")
	if n := testutil.CollectAndCount(c); n != 0 {
		t.Errorf("%d series after the only context was forgotten", n)
	}
}

// The Other counters never go down while prefixes move in and out of the
// top N: Prometheus would read a drop as a counter reset and invent a
// burst of leases.
func TestOtherCountersStayMonotonic(t *testing.T) {
	idx := model.NewIndex()
	tr := churn.New(time.Minute, 15)
	b := &Builder{Context: "x", TopN: 1}
	c := NewCollector()
	// Each step creates leases under a prefix and records them; some
	// vanish again, so a prefix can have a long history and few leases.
	steps := []struct {
		prefix      string
		live, churn int // leases that stay; leases created and gone again
	}{
		{"a/b/c/", 5, 0},
		{"d/e/f/", 2, 48},  // d: 2 leases, 50 created, in other
		{"d/e/f/", 10, 0},  // d climbs to the top: a, 5 created, falls into other
		{"g/h/i/", 1, 0},   // joins other
		{"a/b/c/", 20, 30}, // a climbs back: d falls into other
	}
	var last, created float64
	at := now
	for i, s := range steps {
		for j := range s.live {
			lease(idx, fmt.Sprintf("%s%d-%d", s.prefix, i, j), time.Hour)
		}
		tr.Record(s.prefix, s.live+s.churn, s.churn, at)
		created += float64(s.live + s.churn)
		at = at.Add(time.Minute)
		c.Publish(b.Build(Inputs{Index: idx, Churn: tr, Now: at}))
		other, _ := valueOf(t, c, "leasetop_leases_created_total", "other")
		if other < last {
			t.Errorf("step %d: other's created_total went from %v down to %v", i, last, other)
		}
		last = other
	}
	// Nothing is counted twice: what other gathered plus the top
	// prefix's own counter is at most everything created.
	top, _ := valueOf(t, c, "leasetop_leases_created_total", "a/b/c/")
	if last+top > created {
		t.Errorf("other %v + a/b/c/ %v > the %v leases created", last, top, created)
	}
}

// valueOf is the value of the series of name with prefix; false when
// there is none.
func valueOf(t *testing.T, c prometheus.Collector, name, prefix string) (float64, bool) {
	t.Helper()
	mfs, err := NewRegistry(c.(*Collector)).Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if label(m, "prefix") == prefix {
				return m.GetCounter().GetValue() + m.GetGauge().GetValue(), true
			}
		}
	}
	return 0, false
}

// A scrape reads published snapshots while the engine publishes new ones;
// under -race this proves the two need no lock between them.
func TestScrapesWhilePublishing(t *testing.T) {
	idx, tr := estate()
	c := NewCollector()
	reg := NewRegistry(c)
	snaps := []*Snapshot{
		(&Builder{Context: "a"}).Build(inputs(idx, tr)),
		(&Builder{Context: "b", TopN: 1}).Build(inputs(idx, tr)),
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 200 {
			c.Publish(snaps[i%2])
		}
	})
	for range 50 {
		if _, err := reg.Gather(); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	got := leasesByPrefix(t, reg, "b")
	if !slices.Equal(slices.Sorted(func(yield func(string) bool) {
		for k := range got {
			if !yield(k) {
				return
			}
		}
	}), []string{"database/creds/app/", "other"}) {
		t.Errorf("context b after the publishing: %v", got)
	}
}

// Owners beyond the top N add up under other (one series even when an
// owner is named "other"), the unattributed under unknown.
func TestOwnersTopN(t *testing.T) {
	idx := model.NewIndex()
	log := audit.NewAttribution()
	var entries []audit.Entry
	for role, n := range map[string]int{"billing": 4, "ci": 3, "other": 2, "web": 1} {
		o := &audit.Owner{EntityID: "e-" + role, DisplayName: "approle", Metadata: map[string]string{"role_name": role}}
		for i := range n {
			id := fmt.Sprintf("database/creds/%s/%d", role, i)
			lease(idx, id, time.Hour)
			entries = append(entries, audit.Entry{LeaseID: id, Time: now, Owner: o})
		}
	}
	log.AddAll(entries)
	lease(idx, "database/creds/nobody/1", time.Hour)
	tests := []struct {
		topN int
		want string
	}{
		{1, "billing:4 other:6 unknown:1"},
		{2, "billing:4 ci:3 other:3 unknown:1"},
		{3, "billing:4 ci:3 other:3 unknown:1"}, // the owner "other" and the rest: one series
		{10, "billing:4 ci:3 other:2 web:1 unknown:1"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.topN), func(t *testing.T) {
			s := (&Builder{Context: "x", TopN: tt.topN}).Build(Inputs{Index: idx, Owners: &owners.Source{Log: log}, Now: now})
			var got []string
			for _, o := range s.Owners {
				if o.By == "role" {
					got = append(got, fmt.Sprintf("%s:%d", o.Owner, o.Leases))
				}
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("role owners %v, want %s", got, tt.want)
			}
			c := NewCollector()
			c.Publish(s)
			if _, err := NewRegistry(c).Gather(); err != nil {
				t.Errorf("gather: %v", err)
			}
		})
	}
}

// The config file's budgets become three gauges each: the budget, where it
// warns, and the leases counted against it (every depth under a prefix,
// whatever the depth cut of leasetop_leases). An owner's budget without
// an audit log cannot be counted and has no series, rather than a zero
// that would read as "within budget".
func TestBudgetSeries(t *testing.T) {
	idx, tr := estate()
	// A prefix's budget is counted once the crawl listed it.
	idx.ApplyListing("database/creds/app/", nil, []string{"database/creds/app/a1", "database/creds/app/a2", "database/creds/app/a3"}, now)
	idx.ApplyListing("secret/", []string{"secret/a/"}, nil, now)
	budgets, err := config.ParseBudgets([]byte("prefix:\n  database/creds/app/: 2\n  secret/: {max: 10, warn: 50%}\nrole:\n  web: 5\n"))
	if err != nil {
		t.Fatal(err)
	}
	in := inputs(idx, tr)
	in.Budgets = budgets
	c := NewCollector()
	c.Publish((&Builder{Context: "prod", Depth: 1}).Build(in))
	want := `# HELP leasetop_budget_used_leases Live leases counted against a budget of the config file: under its prefix, or made by its owner.
# TYPE leasetop_budget_used_leases gauge
leasetop_budget_used_leases{context="prod",name="database/creds/app/",scope="prefix"} 3
leasetop_budget_used_leases{context="prod",name="secret/",scope="prefix"} 3
# HELP leasetop_budget_warn_leases The live leases from which a budget warns (its warn share of leasetop_budget_leases).
# TYPE leasetop_budget_warn_leases gauge
leasetop_budget_warn_leases{context="prod",name="database/creds/app/",scope="prefix"} 2
leasetop_budget_warn_leases{context="prod",name="secret/",scope="prefix"} 5
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), "leasetop_budget_used_leases", "leasetop_budget_warn_leases"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(c, "leasetop_budget_leases"); n != 2 {
		t.Errorf("%d leasetop_budget_leases series, want 2 (the role's budget has no audit log to count it)", n)
	}
	problems, err := testutil.CollectAndLint(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}
