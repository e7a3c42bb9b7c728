package vaultclient_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/hashicorp/vault/api"
	"github.com/leasetop/leasetop/vaultclient"
)

// The answers in testdata/irrevocable were captured from a real v1.21.4
// dev server (internal/capture/main.go): a database lease whose revocation
// statement failed until Vault gave up, 8 minutes after it expired. They
// are replayed here so that parsing is checked on every run; the slow test
// that makes a real irrevocable lease is TestEndToEndRealIrrevocableLease.
func TestIrrevocableParsesACapturedAnswer(t *testing.T) {
	files := map[string]string{
		"/v1/sys/leases":       "testdata/irrevocable/irrevocable_list.json",
		"/v1/sys/leases/count": "testdata/irrevocable/irrevocable_count.json",
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("type") != "irrevocable" {
			http.Error(w, `{"errors":[]}`, http.StatusNotFound)
			return
		}
		b, err := os.ReadFile(files[r.URL.Path])
		if err != nil {
			http.Error(w, `{"errors":["no such capture"]}`, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	}))
	defer srv.Close()
	cfg := api.DefaultConfig()
	cfg.Address = srv.URL
	a, err := api.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a.SetToken("captured")
	c := vaultclient.NewFromAPI(a, vaultclient.Config{})
	ctx := context.Background()
	l, err := c.Irrevocable(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if l.Count != 1 || len(l.Leases) != 1 {
		t.Fatalf("list %+v", l)
	}
	got := l.Leases[0]
	if got.LeaseID != "database/creds/doomed/v3tyXPyTcblNcmdMW1wgxAw5" || got.MountID != "database_974e20b1" ||
		!strings.HasPrefix(got.Error, "out of retries: failed to revoke entry") {
		t.Errorf("lease %+v", got)
	}
	n, err := c.IrrevocableCount(ctx)
	if err != nil || n.Total != 1 || n.ByMountAccessor["database_974e20b1"] != 1 {
		t.Errorf("count %+v %v", n, err)
	}
}
