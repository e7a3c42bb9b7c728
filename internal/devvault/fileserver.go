package devvault

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
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
	cfgPath := filepath.Join(dir, "vault.hcl")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "vault.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "server", "-config="+cfgPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = serverEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	s := &Server{Addr: "http://" + addr, LogPath: logPath, cmd: cmd, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(s.exited)
	}()
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
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := c.Sys().SealStatusWithContext(ctx); err == nil {
			break
		}
		select {
		case <-fs.exited:
			return fmt.Errorf("vault server exited during start-up:\n%s", fs.LogTail(20))
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("vault server at %s did not answer:\n%s", fs.Addr, fs.LogTail(20))
		}
		time.Sleep(50 * time.Millisecond)
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
