package hygiene

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
	"github.com/leasetop/leasetop/internal/vaulttest"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/vaultclient"
)

// auditTolerance is how far the estimate may be from what a real file
// device wrote: the entries carry timestamps, request ids and numbers
// whose widths vary a little from request to request.
const auditTolerance = 0.05

func fileSize(t *testing.T, path string) int {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return int(st.Size())
}

// within fails when got is further than auditTolerance from want.
func within(t *testing.T, what string, got, want int) {
	t.Helper()
	if want == 0 || math.Abs(float64(got-want))/float64(want) > auditTolerance {
		t.Errorf("%s: the audit file grew by %d bytes, the estimate is %d (tolerance %.0f%%)", what, got, want, auditTolerance*100)
	} else {
		t.Logf("%s: the audit file grew by %d bytes, the estimate is %d", what, got, want)
	}
}

// Two real file audit devices, one with elide_list_responses=true: a
// crawl by leasetop grows the first by what the estimate says and the
// second by that less the keys, and only the first is a finding.
func TestAuditCostEstimateMatchesARealAuditFile(t *testing.T) {
	env := vaulttest.Start(t)
	ctx := ctxT(t)
	dir := t.TempDir()
	plain, elided := filepath.Join(dir, "plain.log"), filepath.Join(dir, "elided.log")
	if err := env.Seed.EnableFileAudit(ctx, plain); err != nil {
		t.Fatal(err)
	}
	if err := env.API.Sys().EnableAuditWithOptionsWithContext(ctx, "elided", &api.EnableAuditOptions{
		Type: "file", Options: map[string]string{"file_path": elided, "elide_list_responses": "true"},
	}); err != nil {
		t.Fatal(err)
	}
	for _, kv := range []struct {
		path string
		n    int
	}{{"app/web", 600}, {"app/batch/nightly", 250}, {"ci", 40}} {
		if _, err := env.Seed.LeasedKV(ctx, kv.path, time.Hour, kv.n); err != nil {
			t.Fatal(err)
		}
	}
	c := env.Client(t, "", vaultclient.Config{})

	// One LIST of 600 keys, then one lookup: the parts of the estimate.
	p0, e0 := fileSize(t, plain), fileSize(t, elided)
	l, err := c.List(ctx, "secret/app/web/")
	if err != nil || len(l.LeaseIDs) != 600 {
		t.Fatalf("list: %d keys, %v", len(l.LeaseIDs), err)
	}
	p1, e1 := fileSize(t, plain), fileSize(t, elided)
	one := CrawlShape{Lists: 1, Keys: 600, PathBytes: len("secret/app/web/")}
	total, keys := VaultAuditBytes.Bytes(one, false)
	within(t, "one LIST of 600 keys", p1-p0, total)
	within(t, "the keys of one LIST of 600 keys", (p1-p0)-(e1-e0), keys)
	if _, err := c.Lookup(ctx, l.LeaseIDs[0]); err != nil {
		t.Fatal(err)
	}
	p2, e2 := fileSize(t, plain), fileSize(t, elided)
	within(t, "one lookup", p2-p1, VaultAuditBytes.PerLookup)

	// A whole crawl.
	idx := crawlAll(t, c)
	p3, e3 := fileSize(t, plain), fileSize(t, elided)
	shape := ShapeOf(idx, "")
	total, keys = VaultAuditBytes.Bytes(shape, false)
	t.Logf("crawl: %+v", shape)
	within(t, "a crawl of "+model.FormatCount(idx.Len())+" leases", p3-p2, total)
	within(t, "a crawl's LIST keys", (p3-p2)-(e3-e2), keys)

	fs, un := FindAuditCost(ctx, c, Snapshot(idx, ""))
	if len(un) != 0 || len(fs) != 1 || fs[0].Kind != AuditCost {
		t.Fatalf("findings %+v, unchecked %+v: want one audit-cost finding", fs, un)
	}
	if want := "audit device file/"; !strings.Contains(fs[0].Title, want) || !strings.Contains(fs[0].Title, FormatBytes(total)) {
		t.Errorf("title %q, want it to name %s and %s", fs[0].Title, want, FormatBytes(total))
	}
}
