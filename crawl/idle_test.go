package crawl

import (
	"errors"
	"testing"

	"github.com/leasetop/leasetop/vaultclient"
)

// A refresh is quiet when its figures are the last refresh's, which a
// walk followed: the same creations per mount and the same count of
// leases Vault holds.
func TestGrowthHintsQuietOnlyWhenNothingChangedSinceAWalk(t *testing.T) {
	figures := func(secret, held float64) map[string]float64 {
		return map[string]float64{"secret/": secret, "auth/token/": 5, vaultclient.NumLeases: held}
	}
	for _, tc := range []struct {
		name   string
		last   map[string]float64
		walked bool
		now    map[string]float64
		err    error
		want   bool
	}{
		{name: "unchanged after a walk", last: figures(10, 15), walked: true, now: figures(10, 15), want: true},
		{name: "unchanged, but no walk followed the last figures", last: figures(10, 15), now: figures(10, 15)},
		{name: "a mount made leases", last: figures(10, 15), walked: true, now: figures(11, 16)},
		{name: "Vault holds fewer (revoked or expired)", last: figures(10, 15), walked: true, now: figures(10, 14)},
		{name: "no count of the leases held", last: map[string]float64{"secret/": 10}, walked: true, now: map[string]float64{"secret/": 10}},
		{name: "a new mount", last: figures(10, 15), walked: true, now: map[string]float64{"secret/": 10, "auth/token/": 5, "db/": 0, vaultclient.NumLeases: 15}},
		{name: "no figures now", last: figures(10, 15), walked: true, err: errors.New("timeout")},
		{name: "the first figures", walked: true, now: figures(10, 15)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := growthHints{last: tc.last, walked: tc.walked, found: map[string]int{}, min: DefaultPolicy().HintMin}
			h.update(tc.now, tc.err)
			if h.quiet != tc.want {
				t.Errorf("quiet = %v, want %v", h.quiet, tc.want)
			}
			if h.walked {
				t.Error("walked stays set: the next refresh would compare with figures no walk followed")
			}
			for _, m := range h.hot {
				if m == vaultclient.NumLeases {
					t.Errorf("the count of leases held taken for a mount: %v", h.hot)
				}
			}
		})
	}
}
