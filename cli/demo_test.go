package cli

import (
	"context"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/leasetop/leasetop/internal/vaulttest"
)

// crawlingLine is serve's log line naming a context's Vault.
var crawlingLine = regexp.MustCompile(`msg=crawling context=(\S+) vault=(\S+)`)

// The demo with --serve, as a newcomer runs it: two real Vaults seeded,
// serve on both; prod-eu's leases per prefix equal its Vault's own listing,
// staging's AppRole logins are named by the token store (role ci, whose
// 60 logins the demo seeds), and stopping the demo stops the Vaults.
func TestDemoServesTheLeaseMetricsOfBothVaults(t *testing.T) {
	vaulttest.Integration(t)
	useVault(t, "http://127.0.0.1:1", "unused")
	// The demo names its tokens in the environment; restore it afterwards.
	t.Setenv("LEASETOP_DEMO_TOKEN_STAGING", "")
	t.Setenv("LEASETOP_DEMO_TOKEN_PROD", "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"demo", "--serve", "127.0.0.1:0"}, strings.NewReader(""), stdout, stderr)
	}()

	var base string
	vaults := map[string]string{}
	waitFor(t, "the demo to serve", func() bool {
		select {
		case code := <-done:
			t.Fatalf("the demo ended: exit %d\n%s\n%s", code, stdout.String(), stderr.String())
		default:
		}
		log := stderr.String()
		for _, m := range crawlingLine.FindAllStringSubmatch(log, -1) {
			vaults[m[1]] = m[2]
		}
		if m := listenLine.FindStringSubmatch(log); m != nil && len(vaults) == 2 {
			base = "http://" + m[1]
			return true
		}
		return false
	})
	if !strings.Contains(stdout.String(), "Serving the lease metrics of staging and prod-eu") {
		t.Errorf("the demo does not say what it serves:\n%s", stdout.String())
	}

	want := vaultPerPrefix(t, vaults["prod-eu"], os.Getenv("LEASETOP_DEMO_TOKEN_PROD"))
	waitUntil(t, "prod-eu's leases per prefix equal to its Vault's listing", stderr, func() bool {
		return sameCounts(byLabel(t, base, "leasetop_leases", "prod-eu", "prefix"), want)
	})
	waitUntil(t, "staging's AppRole logins named by the token store", stderr, func() bool {
		for _, s := range scrapeFamily(t, base, "leasetop_owner_leases") {
			if s.labels["context"] == "staging" && s.labels["by"] == "role" && s.labels["owner"] == "ci" {
				return s.value == 60
			}
		}
		return false
	})

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("the demo stopped with exit %d\n%s", code, stderr.String())
		}
	case <-time.After(2 * time.Minute):
		t.Fatalf("the demo did not stop\n%s", stderr.String())
	}
	for name, addr := range vaults {
		c := &http.Client{Timeout: 5 * time.Second}
		if resp, err := c.Get(addr + "/v1/sys/health"); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			t.Errorf("%s's Vault at %s still answers after the demo stopped", name, addr)
		}
	}
}
