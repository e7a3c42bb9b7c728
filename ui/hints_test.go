package ui

import (
	"errors"
	"slices"
	"testing"
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
			var h growthHints
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
// asking and name nothing.
func TestGrowthHintsStopWithoutFigures(t *testing.T) {
	var h growthHints
	h.update(map[string]float64{"secret/": 1}, nil)
	h.update(nil, errors.New("permission denied"))
	if !h.off || h.hot != nil || h.covers("secret/x/") {
		t.Errorf("after an error: off %v, hot %v", h.off, h.hot)
	}
}
