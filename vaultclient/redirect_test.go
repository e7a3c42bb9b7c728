package vaultclient_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leasetop/leasetop/internal/vaulttest"
	"github.com/leasetop/leasetop/vaultclient"
)

// A standby Vault answers 307 with the active node's address, and the api
// package sends the request again there, re-encoding its body. A lookup's
// body is written by leasetop, not encoded from a map (leaseIDBody), so
// this checks that it survives the redirect: the real Vault behind the
// redirect must name the lease asked for.
func TestLookupKeepsItsBodyAcrossARedirect(t *testing.T) {
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ids, err := env.Seed.LeasedKV(ctx, "redirect/p", time.Hour, 1)
	if err != nil || len(ids) != 1 {
		t.Fatalf("seed: %v %v", ids, err)
	}
	var redirected atomic.Int32
	standby := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		redirected.Add(1)
		http.Redirect(w, r, env.Server.Addr+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}))
	defer standby.Close()
	a, err := env.Server.Client()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SetAddress(standby.URL); err != nil {
		t.Fatal(err)
	}
	c := vaultclient.NewFromAPI(a, vaultclient.Config{})
	l, err := c.Lookup(ctx, ids[0])
	if err != nil {
		t.Fatalf("lookup through a redirect: %v", err)
	}
	if l.ID != ids[0] || l.ExpireTime.IsZero() {
		t.Errorf("lookup through a redirect: %+v, want lease %s with its expiry", l, ids[0])
	}
	if redirected.Load() == 0 {
		t.Error("the lookup never went through the redirecting front")
	}
}
