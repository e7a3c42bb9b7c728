package devvault

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/hashicorp/vault/api"
)

// Cluster is a Vault HA cluster with integrated storage (raft) on loopback
// addresses: one process per node, initialised with one key share.
type Cluster struct {
	Nodes     []*Server
	RootToken string
	UnsealKey string
	dir       string
}

// StartCluster starts n raft nodes; node 0 is initialised and the others
// join it. It returns once every node is unsealed and a voter.
func StartCluster(ctx context.Context, bin string, n int) (*Cluster, error) {
	if bin == "" {
		var err error
		if bin, err = Binary(); err != nil {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp("", "leasetop-raft-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir}
	ports := make([][2]int, n)
	for i := range ports {
		for j := range 2 {
			if ports[i][j], err = FreePort(); err != nil {
				return nil, err
			}
		}
	}
	for i := range n {
		join := ""
		if i > 0 {
			join = fmt.Sprintf(`  retry_join { leader_api_addr = "http://127.0.0.1:%d" }`, ports[0][0])
		}
		cfg := fmt.Sprintf(`storage "raft" {
  path    = %q
  node_id = "node%d"
  performance_multiplier = 1
%s
}
listener "tcp" {
  address         = "127.0.0.1:%d"
  cluster_address = "127.0.0.1:%d"
  tls_disable     = true
}
api_addr      = "http://127.0.0.1:%d"
cluster_addr  = "https://127.0.0.1:%d"
disable_mlock = true
`, filepath.Join(dir, fmt.Sprint(i), "raft"), i, join, ports[i][0], ports[i][1], ports[i][0], ports[i][1])
		nodeDir := filepath.Join(dir, fmt.Sprint(i))
		if err := os.MkdirAll(filepath.Join(nodeDir, "raft"), 0o700); err != nil {
			c.Stop()
			return nil, err
		}
		s, err := startConfigured(bin, nodeDir, cfg, fmt.Sprintf("http://127.0.0.1:%d", ports[i][0]))
		if err != nil {
			c.Stop()
			return nil, err
		}
		c.Nodes = append(c.Nodes, s)
		if i == 0 {
			if err := c.initialise(ctx); err != nil {
				c.Stop()
				return nil, err
			}
			continue
		}
		if err := c.unseal(ctx, s); err != nil {
			c.Stop()
			return nil, err
		}
	}
	if err := c.waitVoters(ctx, n); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// startConfigured runs `vault server -config` with cfg in dir.
func startConfigured(bin, dir, cfg, addr string) (*Server, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
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
	ownGroup(cmd)
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	s := &Server{Addr: addr, LogPath: logPath, cmd: cmd, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(s.exited)
	}()
	return s, nil
}

func (c *Cluster) client(s *Server) (*api.Client, error) {
	a, err := s.Client()
	if err != nil {
		return nil, err
	}
	a.SetToken(c.RootToken)
	return a, nil
}

func (c *Cluster) initialise(ctx context.Context) error {
	s := c.Nodes[0]
	a, err := s.Client()
	if err != nil {
		return err
	}
	if err := waitAnswer(ctx, s, a); err != nil {
		return err
	}
	init, err := a.Sys().InitWithContext(ctx, &api.InitRequest{SecretShares: 1, SecretThreshold: 1})
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	c.UnsealKey, c.RootToken = init.Keys[0], init.RootToken
	for _, n := range c.Nodes {
		n.RootToken = c.RootToken
	}
	if err := c.unseal(ctx, s); err != nil {
		return err
	}
	if err := s.waitReady(ctx, 60*time.Second); err != nil {
		return err
	}
	a.SetToken(c.RootToken)
	// New voters count only after a stabilisation time (10 s by default).
	_, err = a.Logical().WriteWithContext(ctx, "sys/storage/raft/autopilot/configuration", map[string]any{
		"server_stabilization_time": "1s", "cleanup_dead_servers": false,
	})
	return err
}

func waitAnswer(ctx context.Context, s *Server, a *api.Client) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := a.Sys().SealStatusWithContext(ctx); err == nil {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("vault node exited during start-up:\n%s", s.LogTail(20))
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("vault node at %s did not answer:\n%s", s.Addr, s.LogTail(20))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *Cluster) unseal(ctx context.Context, s *Server) error {
	a, err := s.Client()
	if err != nil {
		return err
	}
	if err := waitAnswer(ctx, s, a); err != nil {
		return err
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, err := a.Sys().UnsealWithContext(ctx, c.UnsealKey)
		if err == nil && !st.Sealed {
			s.RootToken = c.RootToken
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("node %s did not unseal (%v):\n%s", s.Addr, err, s.LogTail(20))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitVoters waits until n healthy voters are in the raft configuration.
func (c *Cluster) waitVoters(ctx context.Context, n int) error {
	deadline := time.Now().Add(90 * time.Second)
	for {
		if a, err := c.client(c.Nodes[0]); err == nil {
			if st, err := a.Logical().ReadWithContext(ctx, "sys/storage/raft/autopilot/state"); err == nil && st != nil {
				voters, _ := st.Data["voters"].([]any)
				healthy, _ := st.Data["healthy"].(bool)
				if len(voters) == n && healthy {
					return nil
				}
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the raft cluster did not get %d healthy voters:\n%s", n, c.Nodes[0].LogTail(20))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// Active returns the index of the active node, or -1.
func (c *Cluster) Active(ctx context.Context) int {
	for i, s := range c.Nodes {
		select {
		case <-s.exited:
			continue
		default:
		}
		a, err := s.Client()
		if err != nil {
			continue
		}
		a.SetClientTimeout(2 * time.Second)
		resp, err := a.Logical().ReadRawWithDataWithContext(ctx, "sys/health", nil)
		if err == nil {
			code := resp.StatusCode
			resp.Body.Close()
			if code == http.StatusOK {
				return i
			}
		}
	}
	return -1
}

// Stop ends every node and removes the data.
func (c *Cluster) Stop() {
	for _, s := range c.Nodes {
		s.Stop()
	}
	os.RemoveAll(c.dir)
}
