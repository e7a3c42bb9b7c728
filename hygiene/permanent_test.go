package hygiene

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
	"github.com/leasetop/leasetop/internal/vaulttest"
	"github.com/leasetop/leasetop/vaultclient"
)

// A mount tuned to let leases live a year, leased KV read with a TTL of
// 83 days and with one beyond the mount's maximum, beside short leases:
// the long ones are found, per prefix, with Vault's own ids; the capped
// ones are said to sit at the mount's maximum; the dev root token's lease
// never expires; the short ones are not found.
func TestPermanentFindsLeasesGrantedBeyondTheThresholdOrAtTheMountMaximum(t *testing.T) {
	env := vaulttest.Start(t)
	ctx := ctxT(t)
	if err := env.API.Sys().TuneMountWithContext(ctx, "secret", api.MountConfigInput{MaxLeaseTTL: "8760h"}); err != nil {
		t.Fatal(err)
	}
	s := env.Seed
	for _, kv := range []struct {
		path string
		ttl  time.Duration
		n    int
	}{{"app/long", 2000 * time.Hour, 3}, {"app/max", 9000 * time.Hour, 2}, {"app/short", time.Hour, 4}} {
		if _, err := s.LeasedKV(ctx, kv.path, kv.ttl, kv.n); err != nil {
			t.Fatal(err)
		}
	}
	all := env.AllLeaseIDs(t)
	c := env.Client(t, "", vaultclient.Config{})
	fs, un := FindPermanent(ctx, c, Snapshot(crawlAll(t, c), ""), DefaultPermanentAfter)
	if len(un) != 0 {
		t.Fatalf("unchecked with a root token: %+v", un)
	}
	got := map[string]Finding{}
	for _, f := range fs {
		got[f.Prefix] = f
	}
	for _, tt := range []struct {
		prefix    string
		atMax     bool
		advice    string
		wantFound bool
	}{
		{"secret/app/long/", false, "vault secrets tune -max-lease-ttl=720h secret/", true},
		{"secret/app/max/", true, "vault secrets tune -max-lease-ttl=720h secret/", true},
		{"auth/token/create/", false, "", true},
		{"secret/app/short/", false, "", false},
	} {
		f, ok := got[tt.prefix]
		if ok != tt.wantFound {
			t.Errorf("%s: found %v, want %v (%+v)", tt.prefix, ok, tt.wantFound, f)
			continue
		}
		if !ok {
			continue
		}
		if want := under(all, tt.prefix); !slices.Equal(f.LeaseIDs, want) || f.Leases != len(want) {
			t.Errorf("%s: %d leases %v, want Vault's %v", tt.prefix, f.Leases, f.LeaseIDs, want)
		}
		if strings.Contains(f.Title, "maximum") != tt.atMax {
			t.Errorf("%s: title %q, at the mount's maximum: %v", tt.prefix, f.Title, tt.atMax)
		}
		if !strings.Contains(f.Action.Text, tt.advice) || f.Action.Kind != NoAction {
			t.Errorf("%s: action %v %q, want advice with %q", tt.prefix, f.Action.Kind, f.Action.Text, tt.advice)
		}
	}
	if len(fs) != 3 {
		t.Errorf("%d findings, want 3: %+v", len(fs), fs)
	}
}
