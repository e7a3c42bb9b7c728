package cli

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/leasetop/leasetop/model"
)

func TestParseRate(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want float64
	}{{"500/m", 500}, {"10/s", 600}, {"120/h", 2}, {"30", 30}, {"", 0}} {
		if got, err := parseRate(tt.in); err != nil || got != tt.want {
			t.Errorf("parseRate(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestCheckSaysHowCompleteAnUnfinishedCrawlWas(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	build := func(lookups int) *model.Index {
		x := model.NewIndex()
		x.ApplyListing("", []string{"db/"}, nil, now)
		ids := make([]string, 1500)
		for i := range ids {
			ids[i] = fmt.Sprintf("db/%04d", i)
		}
		x.ApplyListing("db/", nil, ids, now)
		for _, id := range ids[:lookups] {
			x.ApplyLease(model.LeaseInfo{ID: id, ExpireTime: now.Add(time.Hour)})
		}
		return x
	}
	for _, tt := range []struct {
		name        string
		idx         *model.Index
		failures    []error
		interrupted bool
		want        string
	}{
		{"complete", build(1500), nil, false, ""},
		{"interrupted", build(1200), nil, true, "the crawl of db/ was interrupted: TTLs known for 1,200 of 1,500 leases"},
		{"a lookup failed", build(1499), []error{errors.New("permission denied")}, false,
			"the crawl of db/ failed (TTLs known for 1,499 of 1,500 leases): permission denied"},
		{"leases left pending", build(7), nil, false, "the crawl of db/ did not finish: TTLs known for 7 of 1,500 leases"},
	} {
		if got := incomplete(tt.idx, "db/", tt.failures, tt.interrupted); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
