package seed

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/vault/api"
)

// Actors: clients other than the root token, so that an audit log names
// who made each lease (the owners screen, the demo).

// EnableFileAudit turns on Vault's file audit device, writing to path.
func (s *Seeder) EnableFileAudit(ctx context.Context, path string) error {
	err := s.C.Sys().EnableAuditWithOptionsWithContext(ctx, "file", &api.EnableAuditOptions{
		Type: "file", Options: map[string]string{"file_path": path},
	})
	if err != nil && !strings.Contains(err.Error(), "path already in use") {
		return fmt.Errorf("enable the file audit device: %w", err)
	}
	return nil
}

// ReaderPolicy may read every leased path the seeder makes.
const ReaderPolicy = "leasetop-seed-reader"

func (s *Seeder) readerPolicy(ctx context.Context) error {
	return s.C.Sys().PutPolicyWithContext(ctx, ReaderPolicy, `
path "secret/*" { capabilities = ["read"] }
path "database/creds/*" { capabilities = ["read"] }
path "pki/issue/*" { capabilities = ["create", "update"] }
`)
}

// Actor is a client logged in as someone, with what Vault said about it.
type Actor struct {
	Name     string // what the actor is called in the log: role or user name
	EntityID string
	Seeder   *Seeder // a seeder that makes leases as this actor
}

// AppRoleActor creates an AppRole role (if needed) with the reader policy
// and logs in once with it.
func (s *Seeder) AppRoleActor(ctx context.Context, mount, role string) (*Actor, error) {
	return s.AppRoleActorWith(ctx, mount, role)
}

// AppRoleActorWith is AppRoleActor whose tokens also have the policies
// named: a client that may do more than read, leasetop itself for one.
func (s *Seeder) AppRoleActorWith(ctx context.Context, mount, role string, policies ...string) (*Actor, error) {
	if err := s.readerPolicy(ctx); err != nil {
		return nil, err
	}
	creds, err := s.approleRole(ctx, mount, role, map[string]any{"token_policies": strings.Join(append([]string{ReaderPolicy}, policies...), ","), "token_ttl": "24h"})
	if err != nil {
		return nil, err
	}
	return s.login(ctx, role, "auth/"+mount+"/login", creds)
}

// UserpassActor creates a userpass user (if needed) with the reader policy
// and logs in once as it.
func (s *Seeder) UserpassActor(ctx context.Context, mount, user string) (*Actor, error) {
	if err := s.readerPolicy(ctx); err != nil {
		return nil, err
	}
	if err := enable(ctx, s.C, mount, "userpass", true); err != nil {
		return nil, err
	}
	if _, err := s.C.Logical().WriteWithContext(ctx, "auth/"+mount+"/users/"+user, map[string]any{
		"password": "seed-password", "token_policies": ReaderPolicy, "token_ttl": "24h",
	}); err != nil {
		return nil, fmt.Errorf("create user %s: %w", user, err)
	}
	return s.login(ctx, user, "auth/"+mount+"/login/"+user, map[string]any{"password": "seed-password"})
}

func (s *Seeder) login(ctx context.Context, name, path string, body map[string]any) (*Actor, error) {
	c, err := s.C.Clone()
	if err != nil {
		return nil, err
	}
	c.ClearToken()
	sec, err := c.Logical().WriteWithContext(ctx, path, body)
	if err != nil {
		return nil, fmt.Errorf("login %s: %w", name, err)
	}
	if sec == nil || sec.Auth == nil || sec.Auth.ClientToken == "" {
		return nil, fmt.Errorf("login %s returned no token", name)
	}
	c.SetToken(sec.Auth.ClientToken)
	return &Actor{Name: name, EntityID: sec.Auth.EntityID, Seeder: &Seeder{C: c, Concurrency: s.Concurrency}}, nil
}

// ReadLeasedKV reads secret/<path> n times as the seeder's client: the
// path must have been written (LeasedKV or WriteLeasedKV) by a client
// that may write it.
func (s *Seeder) ReadLeasedKV(ctx context.Context, path string, n int) ([]string, error) {
	full := "secret/" + strings.Trim(path, "/")
	return s.parallel(ctx, n, func(ctx context.Context, _ int) (string, error) {
		sec, err := s.C.Logical().ReadWithContext(ctx, full)
		if err != nil {
			return "", fmt.Errorf("read %s: %w", full, err)
		}
		if sec == nil || sec.LeaseID == "" {
			return "", fmt.Errorf("read %s made no lease: is the server started with -dev-leased-kv?", full)
		}
		return sec.LeaseID, nil
	})
}
