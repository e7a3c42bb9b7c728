package ui

import (
	"context"
	"time"

	"github.com/leasetop/leasetop/vaultclient"
)

// Backend is what the UI needs from Vault; *vaultclient.Client is one.
type Backend interface {
	Address() string
	Namespace() string
	// Concurrency is the adaptive limit on requests in flight, and its
	// ceiling (--concurrency).
	Concurrency() (current, ceiling int)
	// LimitedByOverload: the limit last fell because Vault said it was
	// overloaded (429, 502-504, no answer), not because it slowed down.
	LimitedByOverload() bool
	Walk(ctx context.Context, prefix string, opt vaultclient.WalkOptions) <-chan vaultclient.Event
	Lookup(ctx context.Context, id string) (vaultclient.Lease, error)
	Renew(ctx context.Context, id string, increment time.Duration) (vaultclient.RenewResult, error)
	Revoke(ctx context.Context, id string, sync bool) (vaultclient.RevokeResult, error)
	RevokePrefix(ctx context.Context, prefix string, sync bool) (vaultclient.RevokeResult, error)
	RevokeForce(ctx context.Context, prefix string) error
	Mounts(ctx context.Context) ([]vaultclient.Mount, error)
	Capabilities(ctx context.Context, paths []string) (map[string][]string, error)
	Self(ctx context.Context) (vaultclient.TokenInfo, error)
	Irrevocable(ctx context.Context, limit int) (vaultclient.IrrevocableList, error)
	IrrevocableCount(ctx context.Context) (vaultclient.IrrevocableCounts, error)
	// The token store: the owners of token leases, and revoking by accessor.
	Tokens(ctx context.Context, concurrency int, progress func(done, total int)) ([]vaultclient.AccessorInfo, error)
	RevokeAccessor(ctx context.Context, accessor string) error
	// Entity names an entity and its aliases.
	Entity(ctx context.Context, id string) (vaultclient.Entity, error)
	// LeaseCreations is Vault's count of leases made per mount, from its
	// telemetry: where to look when leases appear under quiet prefixes.
	LeaseCreations(ctx context.Context) (map[string]float64, error)
	// The hygiene checks' reads: a role, a mount's TTLs, the audit devices.
	Exists(ctx context.Context, path string) (bool, error)
	TuneOf(ctx context.Context, m vaultclient.Mount) (vaultclient.MountTTLs, error)
	AuditDevices(ctx context.Context) ([]vaultclient.AuditDevice, error)
}

var _ Backend = (*vaultclient.Client)(nil)
