package devvault

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/vault/api"
)

// Options for a dev server. Zero values pick sane defaults.
type Options struct {
	Bin       string   // vault binary; default Binary()
	RootToken string   // default: random
	Addr      string   // host:port to listen on; default 127.0.0.1:<free port>
	LogPath   string   // where the server's output goes; default a temp file
	ExtraArgs []string // more flags for `vault server`
	// NoLeasedKV leaves out -dev-leased-kv (secret/ is then a plain KV v2).
	NoLeasedKV bool
}

// Server is a running `vault server -dev`.
type Server struct {
	Addr      string // http://127.0.0.1:port
	RootToken string
	LogPath   string

	cmd      *exec.Cmd
	exited   chan struct{}
	stopOnce sync.Once
	ownsLog  bool
}

// Start launches a dev server with the leased KV mount at secret/ and
// waits until it answers sys/health as unsealed and active.
func Start(ctx context.Context, opt Options) (*Server, error) {
	bin := opt.Bin
	if bin == "" {
		var err error
		if bin, err = Binary(); err != nil {
			return nil, err
		}
	}
	if opt.RootToken == "" {
		opt.RootToken = "root-" + randomHex(8)
	}
	if opt.Addr == "" {
		port, err := FreePort()
		if err != nil {
			return nil, err
		}
		opt.Addr = fmt.Sprintf("127.0.0.1:%d", port)
	}
	s := &Server{Addr: "http://" + opt.Addr, RootToken: opt.RootToken, LogPath: opt.LogPath, exited: make(chan struct{})}
	if s.LogPath == "" {
		f, err := os.CreateTemp("", "leasetop-vault-*.log")
		if err != nil {
			return nil, err
		}
		f.Close()
		s.LogPath, s.ownsLog = f.Name(), true
	}
	logf, err := os.OpenFile(s.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}

	args := []string{"server", "-dev",
		"-dev-root-token-id=" + opt.RootToken,
		"-dev-listen-address=" + opt.Addr,
		// Never overwrite the user's ~/.vault-token with the dev root token.
		"-dev-no-store-token",
	}
	if !opt.NoLeasedKV {
		args = append(args, "-dev-leased-kv")
	}
	args = append(args, opt.ExtraArgs...)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = serverEnv()
	// Its own process group, so a terminal's ^C reaches leasetop, which
	// then stops the server itself.
	// Pdeathsig stops it too if leasetop dies without cleaning up (killed,
	// or its terminal closed).
	ownGroup(cmd)
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	s.cmd = cmd
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(s.exited)
	}()
	if err := s.waitReady(ctx, 60*time.Second); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// serverEnv is the environment without the user's Vault settings, which
// would otherwise point the dev server's own CLI calls elsewhere.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "VAULT_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func (s *Server) waitReady(ctx context.Context, limit time.Duration) error {
	c, err := s.Client()
	if err != nil {
		return err
	}
	deadline := time.Now().Add(limit)
	for {
		select {
		case <-s.exited:
			return fmt.Errorf("vault server exited during start-up:\n%s", s.LogTail(20))
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		h, err := c.Sys().HealthWithContext(ctx)
		if err == nil && h.Initialized && !h.Sealed && !h.Standby {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("vault server at %s not ready after %s:\n%s", s.Addr, limit, s.LogTail(20))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Client returns a fresh api client for the server, with the root token.
func (s *Server) Client() (*api.Client, error) {
	cfg := api.DefaultConfig()
	cfg.Address = s.Addr
	cfg.MaxRetries = 0
	// Keep enough connections open for concurrent seeding and crawling.
	if t, ok := cfg.HttpClient.Transport.(*http.Transport); ok {
		t.MaxIdleConnsPerHost, t.MaxIdleConns = 64, 128
	}
	c, err := api.NewClient(cfg)
	if err != nil {
		return nil, err
	}
	c.SetToken(s.RootToken)
	c.SetNamespace("")
	return c, nil
}

// Pid is the server's process id.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Stop ends the server (only it): SIGTERM, then SIGKILL after 5 s.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		if s.cmd == nil || s.cmd.Process == nil {
			return
		}
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(5 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
		if s.ownsLog {
			os.Remove(s.LogPath)
		}
	})
}

// Kill ends the server at once with SIGKILL, as a crash would.
func (s *Server) Kill() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// LogTail returns the last n lines of the server's output, with the root
// token and the unseal key left out: failing tests print it, and a token
// belongs in no log, even a throw-away dev server's.
func (s *Server) LogTail(n int) string {
	b, err := os.ReadFile(s.LogPath)
	if err != nil {
		return ""
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	for i, l := range lines {
		for _, label := range []string{"Root Token:", "Unseal Key:"} {
			if at := bytes.Index(l, []byte(label)); at >= 0 {
				lines[i] = append(l[:at+len(label):at+len(label)], " (left out)"...)
			}
		}
		if s.RootToken != "" {
			lines[i] = bytes.ReplaceAll(lines[i], []byte(s.RootToken), []byte("(root token)"))
		}
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// FreePort asks the kernel for a free TCP port on loopback.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
