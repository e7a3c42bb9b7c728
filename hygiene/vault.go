package hygiene

import (
	"context"

	"github.com/leasetop/leasetop/vaultclient"
)

// Vault is what the checks read from Vault; *vaultclient.Client is one,
// and so is the UI's backend.
type Vault interface {
	Mounts(ctx context.Context) ([]vaultclient.Mount, error)
	Exists(ctx context.Context, path string) (bool, error)
	Irrevocable(ctx context.Context, limit int) (vaultclient.IrrevocableList, error)
	Tokens(ctx context.Context, concurrency int, progress func(done, total int)) ([]vaultclient.AccessorInfo, error)
	TuneOf(ctx context.Context, m vaultclient.Mount) (vaultclient.MountTTLs, error)
	AuditDevices(ctx context.Context) ([]vaultclient.AuditDevice, error)
}

// Revoker is what Fix needs: the revocations.
type Revoker interface {
	Revoke(ctx context.Context, id string, sync bool) (vaultclient.RevokeResult, error)
	RevokePrefix(ctx context.Context, prefix string, sync bool) (vaultclient.RevokeResult, error)
	RevokeForce(ctx context.Context, prefix string) error
}

var (
	_ Vault   = (*vaultclient.Client)(nil)
	_ Revoker = (*vaultclient.Client)(nil)
)
