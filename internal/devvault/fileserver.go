package devvault

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/vault/api"
)

// FileServer is a non-dev Vault with file storage: it starts sealed, is
// initialised with one key share, and can be sealed and unsealed again,
// which a dev server cannot show.
type FileServer struct {
	*Server
	UnsealKey string
	dir       string
}

// StartFile runs `vault server -config` with file storage in a temp dir on a
// free loopback port, initialises it (one key share) and unseals it.
func StartFile(ctx context.Context, bin string) (*FileServer, error) {
	if bin == "" {
		var err error
		if bin, err = Binary(); err != nil {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp("", "leasetop-vault-file-")
	if err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cfg := fmt.Sprintf(`storage "file" { path = %q }
listener "tcp" {
  address     = %q
  tls_disable = true
}
disable_mlock = true
api_addr      = "http://%s"
`, filepath.Join(dir, "data"), addr, addr)
	s, err := startConfigured(bin, dir, cfg, "http://"+addr)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	fs := &FileServer{Server: s, dir: dir}
	if err := fs.initialise(ctx); err != nil {
		fs.Stop()
		return nil, err
	}
	return fs, nil
}

func (fs *FileServer) initialise(ctx context.Context) error {
	c, err := fs.Client()
	if err != nil {
		return err
	}
	if err := waitAnswer(ctx, fs.Server, c); err != nil {
		return err
	}
	init, err := c.Sys().InitWithContext(ctx, &api.InitRequest{SecretShares: 1, SecretThreshold: 1})
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	fs.UnsealKey, fs.RootToken = init.Keys[0], init.RootToken
	return fs.Unseal(ctx)
}

// Unseal unseals the server and waits until it is active.
func (fs *FileServer) Unseal(ctx context.Context) error {
	c, err := fs.Client()
	if err != nil {
		return err
	}
	if _, err := c.Sys().UnsealWithContext(ctx, fs.UnsealKey); err != nil {
		return fmt.Errorf("unseal: %w", err)
	}
	return fs.waitReady(ctx, 60*time.Second)
}

// Seal seals the server, as `vault operator seal` does.
func (fs *FileServer) Seal(ctx context.Context) error {
	c, err := fs.Client()
	if err != nil {
		return err
	}
	return c.Sys().SealWithContext(ctx)
}

// Stop ends the server and removes its files.
func (fs *FileServer) Stop() {
	fs.Server.Stop()
	os.RemoveAll(fs.dir)
}
