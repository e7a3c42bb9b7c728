package metrics_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	pmodel "github.com/prometheus/common/model"

	"github.com/leasetop/leasetop/churn"
	"github.com/leasetop/leasetop/crawl"
	"github.com/leasetop/leasetop/internal/vaulttest"
	"github.com/leasetop/leasetop/metrics"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/vaultclient"
)

// vaultListing is Vault's own answer to "which leases are there", read
// with plain HTTP (LIST sys/leases/lookup/, recursively), not with
// leasetop's client.
func vaultListing(t *testing.T, addr, token, prefix string, out *[]string) {
	t.Helper()
	req, err := http.NewRequest("LIST", addr+"/v1/sys/leases/lookup/"+prefix, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Vault-Token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("LIST sys/leases/lookup/%s: %s", prefix, resp.Status)
	}
	var body struct {
		Data struct {
			Keys []string `json:"keys"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	for _, k := range body.Data.Keys {
		if strings.HasSuffix(k, "/") {
			vaultListing(t, addr, token, prefix+k, out)
		} else {
			*out = append(*out, prefix+k)
		}
	}
}

// vaultExpires says whether Vault's own lookup (plain HTTP) gives the
// lease an expiry.
func vaultExpires(t *testing.T, addr, token, id string) bool {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, addr+"/v1/sys/leases/lookup", strings.NewReader(`{"lease_id":"`+id+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Vault-Token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Data struct {
			ExpireTime *string `json:"expire_time"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("lookup %s: %s, %v", id, resp.Status, err)
	}
	return body.Data.ExpireTime != nil && *body.Data.ExpireTime != ""
}

// cutAt is the first depth segments of a lease id's prefix: the expected
// label, written here apart from the package's own cut.
func cutAt(id string, depth int) string {
	segs := strings.Split(id, "/")
	segs = segs[:len(segs)-1] // the lease's key
	if len(segs) > depth {
		segs = segs[:depth]
	}
	return strings.Join(segs, "/") + "/"
}

// scrape GETs /metrics from h as Prometheus would and returns the samples
// of name by the value of label.
func scrape(t *testing.T, h http.Handler, name, label string) map[string]float64 {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(pmodel.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, m := range mfs[name].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == label {
				out[l.GetValue()] = m.GetGauge().GetValue() + m.GetCounter().GetValue() + float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

// The leases per prefix that /metrics publishes for an index crawled from
// a real Vault are Vault's own listing, cut at the depth; after more
// leases are made and the index refreshed, the counters say how many.
func TestLeasesPerPrefixMatchVaultsListing(t *testing.T) {
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for path, n := range map[string]int{"a": 3, "b/c": 4, "b/c/d": 2, "b/e": 5} {
		if _, err := env.Seed.LeasedKV(ctx, path, time.Hour, n); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := env.Seed.Userpass(ctx, "userpass", "bob", time.Hour, 3); err != nil {
		t.Fatal(err)
	}
	c := env.Client(t, "", vaultclient.Config{Concurrency: 4})

	idx, tr := model.NewIndex(), churn.New(time.Minute, 15)
	b := &metrics.Builder{Context: "dev"}
	col := metrics.NewCollector()
	h := metrics.Handler(metrics.NewRegistry(col))
	crawlOnce := func(listOnly bool) {
		t.Helper()
		start := time.Now()
		st := crawl.Stats{Poll: listOnly, Changed: func(prefix string, created, gone int) {
			tr.Record(prefix, created, gone, time.Now())
		}}
		for ev := range c.Walk(ctx, "", vaultclient.WalkOptions{ListOnly: listOnly}) {
			fresh := crawl.Apply(idx, ev, time.Now(), &st)
			if !listOnly {
				continue // a full walk looks its leases up itself
			}
			for _, id := range fresh {
				l, err := c.Lookup(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				idx.ApplyLease(crawl.Info(l))
			}
		}
		if st.Errors != 0 {
			t.Fatalf("crawl: %v", st.LastErr)
		}
		col.Publish(b.Build(metrics.Inputs{Index: idx, Churn: tr, Now: time.Now(),
			Crawl: metrics.Crawl{Up: true, Complete: true, Duration: time.Since(start), LastRefresh: time.Now()}}))
	}
	compare := func() {
		t.Helper()
		var ids []string
		vaultListing(t, env.Server.Addr, env.Server.RootToken, "", &ids)
		want, expiring := map[string]float64{}, map[string]float64{}
		for _, id := range ids {
			want[cutAt(id, metrics.DefaultDepth)]++
			if vaultExpires(t, env.Server.Addr, env.Server.RootToken, id) {
				expiring[cutAt(id, metrics.DefaultDepth)]++
			} else {
				expiring[cutAt(id, metrics.DefaultDepth)] += 0
			}
		}
		got := scrape(t, h, "leasetop_leases", "prefix")
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("leasetop_leases by prefix\n got %v\nwant %v (Vault's listing)", got, want)
		}
		if ttl := scrape(t, h, "leasetop_lease_ttl_seconds", "prefix"); fmt.Sprint(ttl) != fmt.Sprint(expiring) {
			t.Errorf("TTL histogram counts %v, want the leases Vault's lookup gives an expiry: %v", ttl, expiring)
		}
	}

	crawlOnce(false)
	compare()
	if got := scrape(t, h, "leasetop_leases", "prefix"); got["secret/b/c/"] != 6 || got["auth/userpass/login/"] != 3 {
		t.Errorf("the depth cut: secret/b/c/d/ folds into secret/b/c/ (6) and auth/userpass/login/bob/ into auth/userpass/login/ (3): %v", got)
	}

	// More leases, and a refresh that lists, as the engine's poll does.
	if _, err := env.Seed.ReadLeasedKV(ctx, "b/e", 7); err != nil {
		t.Fatal(err)
	}
	crawlOnce(true)
	compare()
	if got := scrape(t, h, "leasetop_leases_created_total", "prefix"); got["secret/b/e/"] != 7 {
		t.Errorf("created_total after 7 new leases under secret/b/e/: %v", got)
	}
}
