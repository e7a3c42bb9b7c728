package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/leasetop/leasetop/internal/vaulttest"
	"github.com/leasetop/leasetop/vaultclient"
)

// A refresh re-lists the selected prefix's subtree, starting there, and
// leaves the rest for a later round when they exceed its budget (here lowered to 4 leases, so that 9 behave like a million):
// counted at a proxy in front of a real Vault. New leases under the
// selection still show at once.
func TestEndToEndRefreshRelistsWhatIsLookedAt(t *testing.T) {
	pol := relistKnobs(4, 1)
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, p := range []string{"relist/a/x", "relist/b/x", "relist/c/x"} {
		if _, err := env.Seed.LeasedKV(ctx, p, time.Hour, 3); err != nil {
			t.Fatal(err)
		}
	}
	p, a := env.Proxied(t)
	r := startProgram(t, vaultclient.NewFromAPI(a, vaultclient.Config{}), Options{Prefix: "secret/relist/", Refresh: time.Hour, Policy: pol})
	r.waitFor("9 leases")
	r.waitIdle(p)
	r.press("tab", "j") // select a/
	r.waitFor("LEASE (after secret/relist/a/)")
	p.Reset()
	if _, err := env.Seed.LeasedKV(ctx, "relist/a/x", time.Hour, 2); err != nil {
		t.Fatal(err)
	}
	r.press("ctrl+r")
	r.waitFor("11 leases") // the new ones under the selection
	r.waitIdle(p)
	listed := map[string]bool{}
	for _, req := range p.Requests() {
		if path, ok := strings.CutPrefix(req.Path, "sys/leases/lookup/"); ok && (req.Method == "LIST" || strings.Contains(req.Query, "list=true")) {
			listed[strings.TrimSuffix(path, "/")+"/"] = true // the path as the proxy saw it, slash or not
		}
	}
	for _, want := range []string{"secret/relist/a/", "secret/relist/a/x/"} {
		if !listed[want] {
			t.Errorf("the refresh did not list %s (listed %v)", want, listed)
		}
	}
	// Not even the way to a/: a LIST of a prefix costs Vault its whole
	// subtree, and the walk starts at a/.
	for _, not := range []string{"secret/relist/", "secret/relist/b/", "secret/relist/c/", "secret/relist/b/x/", "secret/relist/c/x/"} {
		if listed[not] {
			t.Errorf("the refresh listed %s, which nobody looks at and was listed moments ago", not)
		}
	}
	if !strings.Contains(r.screen(), "the rest of the tree") {
		t.Errorf("the status bar does not say when the rest was listed:\n%s", r.screen())
	}
}
