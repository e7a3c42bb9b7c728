// Package seed makes real leases on a Vault server, of every kind leasetop
// shows: leased KV reads, userpass and approle logins, token creation, PKI
// certificates and database credentials. Each function sets up its mount
// (idempotently) and then makes n leases concurrently, returning their ids.
package seed

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/vault/api"
)

// DefaultConcurrency keeps both cores of a small machine busy.
const DefaultConcurrency = 32

// Seeder makes leases through one client.
type Seeder struct {
	C           *api.Client
	Concurrency int
	// Progress, when set, is called with the count made so far (from many
	// goroutines).
	Progress func(done int)
}

func (s *Seeder) conc() int {
	if s.Concurrency > 0 {
		return s.Concurrency
	}
	return DefaultConcurrency
}

// parallel runs mk(i) for i in [0,n) on s.conc() goroutines and collects
// the lease ids. It stops at the first error.
func (s *Seeder) parallel(ctx context.Context, n int, mk func(ctx context.Context, i int) (string, error)) ([]string, error) {
	ids := make([]string, n)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next     atomic.Int64
		done     atomic.Int64
		firstErr error
		once     sync.Once
		wg       sync.WaitGroup
	)
	for range min(s.conc(), max(n, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				id, err := mk(ctx, i)
				if err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
				ids[i] = id
				if d := done.Add(1); s.Progress != nil {
					s.Progress(int(d))
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return ids, ctx.Err()
}

// enable mounts a secrets engine (or, with auth, an auth method) unless a
// mount is already at path.
func enable(ctx context.Context, c *api.Client, path, typ string, auth bool) error {
	var err error
	if auth {
		err = c.Sys().EnableAuthWithOptionsWithContext(ctx, path, &api.EnableAuthOptions{Type: typ})
	} else {
		err = c.Sys().MountWithContext(ctx, path, &api.MountInput{Type: typ})
	}
	if err != nil && !strings.Contains(err.Error(), "path is already in use") {
		return fmt.Errorf("enable %s at %s: %w", typ, path, err)
	}
	return nil
}

func secs(d time.Duration) string { return fmt.Sprintf("%ds", int(d/time.Second)) }

// LeasedKV writes secret/<path> with a ttl and reads it n times: on a dev
// server started with -dev-leased-kv each read makes a renewable lease
// under secret/<path>/.
func (s *Seeder) LeasedKV(ctx context.Context, path string, ttl time.Duration, n int) ([]string, error) {
	full := "secret/" + strings.Trim(path, "/")
	if _, err := s.C.Logical().WriteWithContext(ctx, full, map[string]any{
		"ttl": secs(ttl), "access_key": "AKIA" + strings.ToUpper(strings.ReplaceAll(path, "/", "")), "secret_key": "not-a-real-key",
	}); err != nil {
		return nil, fmt.Errorf("write %s: %w", full, err)
	}
	return s.ReadLeasedKV(ctx, path, n)
}

// Userpass logs in n times as one user on auth/<mount>: each login's token
// has a lease under auth/<mount>/login/<user>/. It returns the tokens.
func (s *Seeder) Userpass(ctx context.Context, mount, user string, ttl time.Duration, n int) ([]string, error) {
	if err := enable(ctx, s.C, mount, "userpass", true); err != nil {
		return nil, err
	}
	if _, err := s.C.Logical().WriteWithContext(ctx, "auth/"+mount+"/users/"+user, map[string]any{
		"password": "seed-password", "token_ttl": secs(ttl), "token_max_ttl": secs(ttl * 4), "token_policies": "default",
	}); err != nil {
		return nil, fmt.Errorf("create user %s: %w", user, err)
	}
	return s.parallel(ctx, n, func(ctx context.Context, _ int) (string, error) {
		c, err := s.C.Clone()
		if err != nil {
			return "", err
		}
		c.ClearToken()
		sec, err := c.Logical().WriteWithContext(ctx, "auth/"+mount+"/login/"+user, map[string]any{"password": "seed-password"})
		if err != nil {
			return "", fmt.Errorf("userpass login: %w", err)
		}
		return loginToken(sec)
	})
}

// AppRole logs in n times with one role on auth/<mount>: leases under
// auth/<mount>/login/. It returns the tokens.
func (s *Seeder) AppRole(ctx context.Context, mount, role string, ttl time.Duration, n int) ([]string, error) {
	creds, err := s.approleRole(ctx, mount, role, map[string]any{
		"token_ttl": secs(ttl), "token_max_ttl": secs(ttl * 4), "token_policies": "default", "secret_id_num_uses": 0,
	})
	if err != nil {
		return nil, err
	}
	return s.parallel(ctx, n, func(ctx context.Context, _ int) (string, error) {
		c, err := s.C.Clone()
		if err != nil {
			return "", err
		}
		c.ClearToken()
		sec, err := c.Logical().WriteWithContext(ctx, "auth/"+mount+"/login", creds)
		if err != nil {
			return "", fmt.Errorf("approle login: %w", err)
		}
		return loginToken(sec)
	})
}

// approleRole creates (or updates) an AppRole role on auth/<mount> and
// returns the credentials to log in with it.
func (s *Seeder) approleRole(ctx context.Context, mount, role string, settings map[string]any) (map[string]any, error) {
	if err := enable(ctx, s.C, mount, "approle", true); err != nil {
		return nil, err
	}
	base := "auth/" + mount + "/role/" + role
	if _, err := s.C.Logical().WriteWithContext(ctx, base, settings); err != nil {
		return nil, fmt.Errorf("create approle %s: %w", role, err)
	}
	rid, err := s.C.Logical().ReadWithContext(ctx, base+"/role-id")
	if err != nil || rid == nil {
		return nil, fmt.Errorf("read role-id: %w", err)
	}
	sid, err := s.C.Logical().WriteWithContext(ctx, base+"/secret-id", nil)
	if err != nil || sid == nil {
		return nil, fmt.Errorf("make secret-id: %w", err)
	}
	return map[string]any{"role_id": rid.Data["role_id"], "secret_id": sid.Data["secret_id"]}, nil
}

// loginToken returns the token a login made. Vault does not return the
// lease id of a login: it is auth/<mount>/<path>/h<salted hash of the
// token>, which only a LIST of the prefix shows.
func loginToken(sec *api.Secret) (string, error) {
	if sec == nil || sec.Auth == nil || sec.Auth.ClientToken == "" {
		return "", errors.New("login returned no token")
	}
	return sec.Auth.ClientToken, nil
}

// Tokens creates n orphan tokens through auth/token/create: leases under
// auth/token/create/. It returns the tokens.
func (s *Seeder) Tokens(ctx context.Context, ttl time.Duration, n int) ([]string, error) {
	return s.parallel(ctx, n, func(ctx context.Context, _ int) (string, error) {
		sec, err := s.C.Auth().Token().CreateWithContext(ctx, &api.TokenCreateRequest{
			TTL: secs(ttl), Policies: []string{"default"}, NoParent: true,
		})
		if err != nil {
			return "", fmt.Errorf("token create: %w", err)
		}
		return loginToken(sec)
	})
}

// PKI issues n certificates from a role with generate_lease=true on mount:
// non-renewable leases under <mount>/issue/<role>/.
func (s *Seeder) PKI(ctx context.Context, mount, role string, ttl time.Duration, n int) ([]string, error) {
	if err := enable(ctx, s.C, mount, "pki", false); err != nil {
		return nil, err
	}
	if err := s.C.Sys().TuneMountWithContext(ctx, mount, api.MountConfigInput{MaxLeaseTTL: "87600h"}); err != nil {
		return nil, fmt.Errorf("tune %s: %w", mount, err)
	}
	ca, err := s.C.Logical().ReadWithContext(ctx, mount+"/cert/ca")
	if err != nil || ca == nil || ca.Data["certificate"] == "" {
		if _, err := s.C.Logical().WriteWithContext(ctx, mount+"/root/generate/internal", map[string]any{
			"common_name": "leasetop seed CA", "ttl": "87600h", "key_type": "ec", "key_bits": 256,
		}); err != nil {
			return nil, fmt.Errorf("generate root CA: %w", err)
		}
	}
	if _, err := s.C.Logical().WriteWithContext(ctx, mount+"/roles/"+role, map[string]any{
		"allow_any_name": true, "generate_lease": true, "ttl": secs(ttl), "max_ttl": secs(ttl * 4),
		"key_type": "ec", "key_bits": 256,
	}); err != nil {
		return nil, fmt.Errorf("create PKI role: %w", err)
	}
	return s.parallel(ctx, n, func(ctx context.Context, i int) (string, error) {
		sec, err := s.C.Logical().WriteWithContext(ctx, mount+"/issue/"+role, map[string]any{
			"common_name": fmt.Sprintf("host-%d.example.internal", i),
		})
		if err != nil {
			return "", fmt.Errorf("issue certificate: %w", err)
		}
		if sec == nil || sec.LeaseID == "" {
			return "", errors.New("certificate came without a lease: generate_lease not honoured")
		}
		return sec.LeaseID, nil
	})
}

// DatabaseConfig names the PostgreSQL that database credentials are made
// on, in Vault's connection_url form.
type DatabaseConfig struct {
	Mount         string // e.g. "database"
	Connection    string // e.g. "pg"
	ConnectionURL string // postgresql://{{username}}:{{password}}@127.0.0.1:port/postgres?sslmode=disable
	Username      string // superuser Vault connects as
	Password      string
}

// DatabaseRole configures the database engine and a role, then reads
// <mount>/creds/<role> n times: renewable leases under
// <mount>/creds/<role>/, each a real PostgreSQL login.
func (s *Seeder) DatabaseRole(ctx context.Context, db DatabaseConfig, role string, ttl, maxTTL time.Duration, n int) ([]string, error) {
	if err := enable(ctx, s.C, db.Mount, "database", false); err != nil {
		return nil, err
	}
	if _, err := s.C.Logical().WriteWithContext(ctx, db.Mount+"/config/"+db.Connection, map[string]any{
		"plugin_name":       "postgresql-database-plugin",
		"connection_url":    db.ConnectionURL,
		"username":          db.Username,
		"password":          db.Password,
		"allowed_roles":     "*",
		"verify_connection": true,
	}); err != nil {
		return nil, fmt.Errorf("configure database connection: %w", err)
	}
	if _, err := s.C.Logical().WriteWithContext(ctx, db.Mount+"/roles/"+role, map[string]any{
		"db_name": db.Connection,
		"creation_statements": []string{
			`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
		},
		"default_ttl": secs(ttl),
		"max_ttl":     secs(maxTTL),
	}); err != nil {
		return nil, fmt.Errorf("create database role: %w", err)
	}
	return s.parallel(ctx, n, func(ctx context.Context, _ int) (string, error) {
		sec, err := s.C.Logical().ReadWithContext(ctx, db.Mount+"/creds/"+role)
		if err != nil {
			return "", fmt.Errorf("read database creds: %w", err)
		}
		if sec == nil || sec.LeaseID == "" {
			return "", errors.New("database creds came without a lease")
		}
		return sec.LeaseID, nil
	})
}

// BreakDatabaseRevocation rewrites role so that every revocation of its
// leases fails (its revocation statement drops a role that does not
// exist). Vault retries, then gives up and marks the leases irrevocable:
// the honest way to make one.
func (s *Seeder) BreakDatabaseRevocation(ctx context.Context, db DatabaseConfig, role string, ttl, maxTTL time.Duration) error {
	_, err := s.C.Logical().WriteWithContext(ctx, db.Mount+"/roles/"+role, map[string]any{
		"db_name": db.Connection,
		"creation_statements": []string{
			`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
		},
		"revocation_statements": []string{`DROP ROLE "leasetop_no_such_role_{{name}}";`},
		"default_ttl":           secs(ttl),
		"max_ttl":               secs(maxTTL),
	})
	return err
}
