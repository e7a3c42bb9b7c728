package crawl

import (
	"errors"
	"slices"
	"testing"

	"github.com/leasetop/leasetop/vaultclient"
)

// The hints name a mount when Vault made clearly more leases there than
// the listings found: more than hintMin, and three times the usual gap.
func TestGrowthHintsNameTheMountWhereLeasesWentUnseen(t *testing.T) {
	type step struct {
		made  map[string]float64 // Vault's counters
		found map[string]int     // what the listings found since the last step
		hot   []string
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"the first figures only set the baseline", []step{
			{made: map[string]float64{"secret/": 5000}},
		}},
		{"made and found alike: nothing", []step{
			{made: map[string]float64{"secret/": 100}},
			{made: map[string]float64{"secret/": 1100}, found: map[string]int{"secret/big/p1/": 1000}},
		}},
		{"an unseen thousand in one mount: that mount", []step{
			{made: map[string]float64{"secret/": 100, "auth/approle/": 10}},
			{made: map[string]float64{"secret/": 1100, "auth/approle/": 20}, hot: []string{"secret/"}},
		}},
		{"a few unseen: below hintMin", []step{
			{made: map[string]float64{"secret/": 100}},
			{made: map[string]float64{"secret/": 150}},
		}},
		{"a busy mount's usual gap is not news; three times it is", []step{
			{made: map[string]float64{"db/": 0}},
			{made: map[string]float64{"db/": 300}, hot: []string{"db/"}},
			{made: map[string]float64{"db/": 600}, hot: []string{"db/"}},
			{made: map[string]float64{"db/": 900}},
			{made: map[string]float64{"db/": 1200}},
			{made: map[string]float64{"db/": 1500}},
			{made: map[string]float64{"db/": 1800}},
			{made: map[string]float64{"db/": 2100}},
			{made: map[string]float64{"db/": 5100}, hot: []string{"db/"}},
		}},
		{"a restarted Vault counts from zero: nothing", []step{
			{made: map[string]float64{"secret/": 5000}},
			{made: map[string]float64{"secret/": 10}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := growthHints{min: DefaultPolicy().HintMin}
			for i, s := range tc.steps {
				for p, n := range s.found {
					h.saw(p, n)
				}
				h.update(s.made, nil)
				if !slices.Equal(h.hot, s.hot) {
					t.Errorf("step %d: hot %v, want %v", i, h.hot, s.hot)
				}
			}
		})
	}
}

// Without figures (no telemetry, no read on sys/metrics) the hints stop
// asking and name nothing. A read that failed for now (a timeout, Vault
// busy or away, or leasetop stopped past the read's deadline) leaves that
// refresh without hints, and the next one asks again: one such failure
// turned them off for good, and growth under a new prefix went unnamed.
func TestGrowthHintsStopWithoutFiguresButNotForAFailureOfNow(t *testing.T) {
	for _, tc := range []struct {
		name    string
		err     error
		wantOff bool
	}{
		{"no read on sys/metrics", &vaultclient.Error{Kind: vaultclient.KindPermissionDenied}, true},
		{"no telemetry", &vaultclient.Error{Kind: vaultclient.KindBadRequest}, true},
		{"the read timed out", &vaultclient.Error{Kind: vaultclient.KindUnreachable, Hint: "cancelled"}, false},
		{"Vault busy", &vaultclient.Error{Kind: vaultclient.KindServer, Status: 503}, false},
		{"the body cut short", errors.New("unexpected EOF"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := growthHints{min: DefaultPolicy().HintMin}
			h.update(map[string]float64{"secret/": 1}, nil)
			h.update(nil, tc.err)
			if h.off != tc.wantOff || h.hot != nil || h.covers("secret/x/") {
				t.Errorf("after the error: off %v (want %v), hot %v", h.off, tc.wantOff, h.hot)
			}
			if tc.wantOff {
				return
			}
			// The next read finds 500 made that no listing found: news.
			h.update(map[string]float64{"secret/": 501}, nil)
			if !slices.Equal(h.hot, []string{"secret/"}) {
				t.Errorf("the read after the failure names %v, want secret/", h.hot)
			}
		})
	}
}

// A probe between refreshes names a mount whose gap is already news, and
// changes nothing: the refresh it starts reads the same gap.
func TestGrowthHintsProbeNamesNewsBetweenRefreshes(t *testing.T) {
	h := growthHints{min: DefaultPolicy().HintMin}
	if got := h.probe(map[string]float64{"secret/": 5000}); got != "" {
		t.Errorf("without a baseline the probe named %q", got)
	}
	h.update(map[string]float64{"secret/": 100, "db/": 10, "auth/approle/": 0}, nil)
	h.saw("db/role/", 40)
	for _, tc := range []struct {
		made map[string]float64
		want string
	}{
		{map[string]float64{"secret/": 150, "db/": 50, "auth/approle/": 0}, ""},                  // under hintMin; db's 40 were found
		{map[string]float64{"secret/": 150, "db/": 250, "auth/approle/": 0}, "db/"},              // 200 made, 40 found
		{map[string]float64{"secret/": 1100, "db/": 250, "auth/approle/": 500}, "auth/approle/"}, // several: the first by name
		{map[string]float64{"secret/": 50}, ""},                                                  // a restarted Vault
	} {
		if got := h.probe(tc.made); got != tc.want {
			t.Errorf("probe(%v) = %q, want %q", tc.made, got, tc.want)
		}
	}
	if h.last["secret/"] != 100 || h.found["db/"] != 40 || h.hot != nil {
		t.Errorf("the probes changed the hints: last %v found %v hot %v", h.last, h.found, h.hot)
	}
}
