// Package vaulttest starts real Vault dev servers (and PostgreSQL) for
// leasetop's tests. With -short the integration tests skip; otherwise a
// missing vault binary or PostgreSQL fails the test with what to install,
// and under CI=true it is never a skip.
package vaulttest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
	"github.com/leasetop/leasetop/internal/devvault"
	"github.com/leasetop/leasetop/internal/faultproxy"
	"github.com/leasetop/leasetop/internal/seed"
	"github.com/leasetop/leasetop/vaultclient"
)

// Env is one running dev server.
type Env struct {
	Server *devvault.Server
	// API is a root-token client, for setting things up.
	API *api.Client
	// Seed makes leases through API.
	Seed *seed.Seeder
}

// Integration skips the test under -short and otherwise returns the vault
// binary, failing the test when there is none.
func Integration(t testing.TB) string {
	t.Helper()
	if testing.Short() && os.Getenv("CI") != "true" {
		t.Skip("integration test against a real Vault: run without -short")
	}
	bin, err := devvault.Binary()
	if err != nil {
		t.Fatalf("%v (in CI, .ci/run builds it)", err)
	}
	return bin
}

// Start runs a fresh dev server for this test and stops it at cleanup.
func Start(t testing.TB, opts ...func(*devvault.Options)) *Env {
	t.Helper()
	bin := Integration(t)
	opt := devvault.Options{Bin: bin}
	for _, o := range opts {
		o(&opt)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	s, err := devvault.Start(ctx, opt)
	if err != nil {
		t.Fatalf("start vault dev server: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("vault server log (tail):\n%s", s.LogTail(30))
		}
		s.Stop()
	})
	c, err := s.Client()
	if err != nil {
		t.Fatal(err)
	}
	return &Env{Server: s, API: c, Seed: &seed.Seeder{C: c}}
}

// Client is a vaultclient for the server with the given token ("" for root).
func (e *Env) Client(t testing.TB, token string, cfg vaultclient.Config) *vaultclient.Client {
	t.Helper()
	c, err := e.Server.Client()
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		c.SetToken(token)
	}
	return vaultclient.NewFromAPI(c, cfg)
}

// Proxied puts a fault-injecting proxy in front of the server, closed at
// cleanup, and returns it with a root client that talks through it: the
// requests a test counts there are the ones the code under test sent.
func (e *Env) Proxied(t testing.TB) (*faultproxy.Proxy, *api.Client) {
	t.Helper()
	p, err := faultproxy.New(e.Server.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	a, err := e.Server.Client()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SetAddress(p.URL); err != nil {
		t.Fatal(err)
	}
	return p, a
}

// TokenWithPolicy writes policy under name and returns a token that has
// only it (and default).
func (e *Env) TokenWithPolicy(t testing.TB, name, policy string) string {
	t.Helper()
	if err := e.API.Sys().PutPolicy(name, policy); err != nil {
		t.Fatalf("put policy %s: %v", name, err)
	}
	sec, err := e.API.Auth().Token().Create(&api.TokenCreateRequest{Policies: []string{name}, TTL: "1h"})
	if err != nil {
		t.Fatalf("create token: %v", err)
	}
	return sec.Auth.ClientToken
}

// Postgres runs a private PostgreSQL for this test and stops it at cleanup.
func Postgres(t testing.TB) *devvault.Postgres {
	t.Helper()
	if testing.Short() && os.Getenv("CI") != "true" {
		t.Skip("integration test against PostgreSQL: run without -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p, err := devvault.StartPostgres(ctx)
	if err != nil {
		t.Fatalf("start PostgreSQL: %v", err)
	}
	t.Cleanup(p.Stop)
	return p
}

// Database is the seed.DatabaseConfig for p, mounted at mount.
func Database(p *devvault.Postgres, mount string) seed.DatabaseConfig {
	return seed.DatabaseConfig{Mount: mount, Connection: "pg", ConnectionURL: p.URL(), Username: "postgres", Password: "unused-trust-auth"}
}

// StartFile runs a non-dev Vault with file storage (initialised and
// unsealed) for this test, for what a dev server cannot do: seal, unseal.
func StartFile(t testing.TB) *devvault.FileServer {
	t.Helper()
	bin := Integration(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	s, err := devvault.StartFile(ctx, bin)
	if err != nil {
		t.Fatalf("start vault with file storage: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("vault server log (tail):\n%s", s.LogTail(30))
		}
		s.Stop()
	})
	return s
}

// StartCluster runs an n-node HA cluster with integrated storage (raft) on
// loopback addresses for this test.
func StartCluster(t testing.TB, n int) *devvault.Cluster {
	t.Helper()
	bin := Integration(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := devvault.StartCluster(ctx, bin, n)
	if err != nil {
		t.Fatalf("start raft cluster: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for i, s := range c.Nodes {
				t.Logf("node %d log (tail):\n%s", i, s.LogTail(15))
			}
		}
		c.Stop()
	})
	return c
}

// AllLeaseIDs is Vault's own answer to "which leases exist": a recursive
// LIST of sys/leases/lookup/ from the root with the root token. It is read
// with plain net/http and encoding/json and shares no code with leasetop's
// walker or its listing parser, so a test that compares leasetop's answer
// with it can catch a subtree leasetop skips.
func (e *Env) AllLeaseIDs(t testing.TB) map[string]bool {
	t.Helper()
	return AllLeaseIDs(t, e.Server.Addr, e.Server.RootToken)
}

// AllLeaseIDs lists every lease id under sys/leases/lookup/ of the Vault at
// addr with token (see Env.AllLeaseIDs). Keys ending in "/" are folders,
// listed in turn; the others are leases.
func AllLeaseIDs(t testing.TB, addr, token string) map[string]bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	hc := &http.Client{Timeout: time.Minute}
	ids := map[string]bool{}
	for queue := []string{""}; len(queue) > 0; queue = queue[1:] {
		prefix := queue[0]
		u := strings.TrimRight(addr, "/") + "/v1/sys/leases/lookup/" + (&url.URL{Path: prefix}).EscapedPath()
		req, err := http.NewRequestWithContext(ctx, "LIST", u, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Vault-Token", token)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("LIST sys/leases/lookup/%s: %v", prefix, err)
		}
		var body struct {
			Data struct {
				Keys []string `json:"keys"`
			} `json:"data"`
			Errors []string `json:"errors"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusNotFound && len(body.Errors) == 0:
			continue // nothing listed under prefix (any more)
		case resp.StatusCode != http.StatusOK || err != nil:
			t.Fatalf("LIST sys/leases/lookup/%s: %s %v %v", prefix, resp.Status, body.Errors, err)
		}
		for _, k := range body.Data.Keys {
			if strings.HasSuffix(k, "/") {
				queue = append(queue, prefix+k)
			} else {
				ids[prefix+k] = true
			}
		}
	}
	return ids
}
