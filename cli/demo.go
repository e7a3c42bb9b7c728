package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/leasetop/leasetop/config"
	"github.com/leasetop/leasetop/internal/devvault"
	"github.com/leasetop/leasetop/internal/seed"
	"github.com/leasetop/leasetop/metrics"
	"github.com/leasetop/leasetop/vaultclient"
)

// demoCommand is `leasetop demo`.
func (a *app) demoCommand() *cobra.Command {
	var f uiFlags
	var scale int
	var seedOnly bool
	var serveAddr string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "start a dev Vault with real leases and browse them",
		Long: `Start a real Vault dev server (and PostgreSQL when installed), seed an estate
of real leases, open the UI on it, and stop both on exit. With --serve, run
leasetop serve on the demo's two Vaults instead of the UI: their lease
metrics for Prometheus, owners from the audit logs and the token stores.`,
		Example: `  leasetop demo
  leasetop demo --scale 100
  leasetop demo --serve 127.0.0.1:19155    # then: curl 127.0.0.1:19155/metrics`,
		Args: cobra.NoArgs,
		RunE: run(func(cmd *cobra.Command, _ []string) int {
			return a.runDemo(cmd.Context(), f, scale, seedOnly, serveAddr)
		}),
	}
	f.register(cmd.Flags())
	cmd.Flags().IntVar(&scale, "scale", 1, "multiply the number of seeded leases (e.g. 100 for ~100,000)")
	cmd.Flags().BoolVar(&seedOnly, "seed-only", false, "start and seed, print the address and token, and wait (no UI)")
	cmd.Flags().StringVar(&serveAddr, "serve", "", "serve the demo's lease metrics on this address (leasetop serve) instead of opening the UI")
	return cmd
}

// runDemo starts a real dev Vault (and PostgreSQL when installed), seeds
// an estate of real leases, opens the UI on it and stops both on exit.
func (a *app) runDemo(ctx context.Context, f uiFlags, scale int, seedOnly bool, serveAddr string) int {
	const cmd = "leasetop demo"
	stdout, stderr := a.stdout, a.stderr
	if scale < 1 {
		return a.fail(2, cmd, "--scale must be 1 or more")
	}
	if seedOnly && serveAddr != "" {
		return a.fail(2, cmd, "--seed-only and --serve: choose one")
	}
	if serveAddr != "" {
		// Said now, not after a minute of starting and seeding Vaults.
		if _, _, err := net.SplitHostPort(serveAddr); err != nil {
			return a.fail(2, cmd, "--serve %s: give a host and port, e.g. 127.0.0.1:19155", serveAddr)
		}
	}
	given, err := f.given(nil)
	if err != nil {
		fmt.Fprintln(stderr, "leasetop demo:", err)
		return 2
	}
	s, err := a.conn.plain(given)
	if err != nil {
		return a.fail(2, cmd, "%v", err)
	}
	// SIGHUP too: a closed terminal must still stop the servers (the
	// deferred Stops below), not leave them running.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()

	bin, err := demoBinary(ctx, stdout, stderr)
	if err != nil {
		return a.fail(1, cmd, "%v", err)
	}
	fmt.Fprintln(stdout, "Starting a Vault dev server…")
	srv, err := devvault.Start(ctx, devvault.Options{Bin: bin})
	if err != nil {
		return a.fail(1, cmd, "%v", err)
	}
	defer srv.Stop()

	var pg *devvault.Postgres
	if p, err := devvault.StartPostgres(ctx); err != nil {
		fmt.Fprintf(stdout, "No database leases: %v\n", err)
	} else {
		pg = p
		defer pg.Stop()
	}
	// Vault's audit log, so that the owners screen (w) names who made
	// each lease: the demo's clients are two AppRole roles and two users.
	auditDir, err := os.MkdirTemp("", "leasetop-demo-audit-")
	if err != nil {
		return a.fail(1, cmd, "%v", err)
	}
	defer os.RemoveAll(auditDir)
	auditPath := filepath.Join(auditDir, "vault_audit.log")
	actors, err := seedEstate(ctx, srv, pg, scale, auditPath, stdout)
	if err != nil {
		return a.fail(1, cmd, "seeding: %v", err)
	}
	if seedOnly {
		fmt.Fprintf(stdout, "export VAULT_ADDR=%s VAULT_TOKEN=%s\nVault's audit log: %s\nCtrl-C stops the server.\n", srv.Addr, srv.RootToken, auditPath)
		<-ctx.Done()
		return 0
	}
	api, err := srv.Client()
	if err != nil {
		return a.fail(1, cmd, "%v", err)
	}
	client := vaultclient.NewFromAPI(api, vaultclient.Config{Concurrency: s.cfg.Concurrency, RateLimit: s.cfg.RateLimit, FixedConcurrency: s.cfg.FixedConcurrency})
	// A second Vault, so that a newcomer switches contexts in the first
	// minute (:ctx prod-eu): a throw-away config names both, prod-eu
	// read-only and red.
	// serve reads the demo's config whatever the user's own holds.
	if s.file == nil || serveAddr != "" {
		fmt.Fprintln(stdout, "Starting a second Vault, prod-eu (read-only in the demo's config)…")
		srv2, err := devvault.Start(ctx, devvault.Options{Bin: bin})
		if err != nil {
			return a.fail(1, cmd, "%v", err)
		}
		defer srv2.Stop()
		prodAudit := filepath.Join(auditDir, "prod_audit.log")
		if err := seedProd(ctx, srv2, scale, prodAudit, stdout); err != nil {
			return a.fail(1, cmd, "seeding prod-eu: %v", err)
		}
		cfg, err := demoConfig(auditDir, srv, srv2, auditPath, prodAudit, scale)
		if err != nil {
			return a.fail(1, cmd, "%v", err)
		}
		s = s.inContext(cfg, &cfg.Contexts[0])
		if serveAddr == "" {
			fmt.Fprintln(stdout, "Contexts in", cfg.Path, "— press : and type ctx prod-eu to switch.")
		}
	}
	// A small, steady lease explosion, so that the growth column, the
	// fastest-growing prefix and the owners screen's "new" count have
	// something to show: the CI deployer keeps reading its credentials.
	go grow(ctx, actors["ci-deployer"], "gcp/ci/deployer", time.Second)
	if serveAddr != "" {
		fmt.Fprintf(stdout, "Serving the lease metrics of staging and prod-eu on %s (/metrics); Ctrl-C stops it and the servers.\n", serveAddr)
		// serve finds its contexts in the demo's config file.
		a.conn.config, a.conn.context = s.file.Path, ""
		// The token stores are small here: read them every minute, so that
		// the logins' owners show as they come.
		return a.runServe(ctx, serveFlags{fs: pflag.NewFlagSet("demo", pflag.ContinueOnError), listen: serveAddr,
			depth: metrics.DefaultDepth, top: metrics.DefaultTopN, tokenStore: time.Minute})
	}
	return a.runUI(ctx, client, s, f)
}

// demoBinary finds a vault binary, building the dev one (with its output
// shown, since it takes minutes the first time) when inside a checkout.
func demoBinary(ctx context.Context, stdout, stderr io.Writer) (string, error) {
	if bin, err := devvault.Binary(); err == nil {
		return bin, nil
	}
	root, err := devvault.RepoRoot()
	if err != nil {
		return "", fmt.Errorf("%w (or run leasetop demo inside a leasetop checkout, which can build one)", devvault.ErrNoBinary)
	}
	fmt.Fprintln(stdout, "No vault binary yet: building Vault from source once (5-8 minutes on 2 cores; cached afterwards)…")
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, "tools", "devvault", "build.sh"))
	cmd.Stdout, cmd.Stderr = stdout, stderr
	done := make(chan struct{})
	go func() { // a heartbeat, so minutes of compiling do not look like a hang
		start := time.Now()
		t := time.NewTicker(15 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fmt.Fprintf(stdout, "  …still building (%s)\n", time.Since(start).Round(time.Second))
			}
		}
	}()
	err = cmd.Run()
	close(done)
	if err != nil {
		return "", fmt.Errorf("building vault: %w", err)
	}
	return devvault.Binary()
}

// seedEstate makes a realistic mix of leases: cloud-style leased KV paths,
// database credentials for two roles, approle/userpass logins, tokens and
// PKI certificates; some with TTLs of seconds so countdowns run out. The
// file audit device writes to auditPath, and most KV leases are made by
// four clients (two AppRole roles, two userpass users), so that the log
// names their owners.
func seedEstate(ctx context.Context, srv *devvault.Server, pg *devvault.Postgres, scale int, auditPath string, out io.Writer) (map[string]*seed.Actor, error) {
	api, err := srv.Client()
	if err != nil {
		return nil, err
	}
	s := &seed.Seeder{C: api}
	if err := s.EnableFileAudit(ctx, auditPath); err != nil {
		return nil, err
	}
	actors := map[string]*seed.Actor{}
	for _, a := range []struct{ kind, name string }{{"approle", "billing"}, {"approle", "ci-deployer"}, {"userpass", "alice"}, {"userpass", "bob"}} {
		var actor *seed.Actor
		if a.kind == "approle" {
			actor, err = s.AppRoleActor(ctx, "approle", a.name)
		} else {
			actor, err = s.UserpassActor(ctx, "userpass", a.name)
		}
		if err != nil {
			return nil, err
		}
		actors[a.name] = actor
	}
	n := func(k int) int { return k * scale }
	start := time.Now()
	total := 0
	step := func(what string, count int, f func() ([]string, error)) error {
		line := fmt.Sprintf("  seeding %-40s %6d", what, count)
		fmt.Fprint(out, line+"…")
		// With --scale a step takes minutes: show a percentage as it goes
		// (on a terminal; a log gets the plain lines).
		var mu sync.Mutex
		shown := 0
		f2, isFile := out.(*os.File)
		s.Progress = nil
		if isFile && term.IsTerminal(f2.Fd()) {
			s.Progress = func(done int) {
				mu.Lock()
				defer mu.Unlock()
				if pct := done * 100 / count; pct >= shown+10 {
					shown = pct - pct%10
					fmt.Fprintf(out, "\r%s… %3d%%", line, shown)
				}
			}
		}
		ids, err := f()
		if err != nil {
			fmt.Fprintln(out)
			return fmt.Errorf("%s: %w", what, err)
		}
		total += len(ids)
		if s.Progress != nil {
			fmt.Fprintf(out, "\r%s  done   \n", line)
		} else {
			fmt.Fprintln(out, " done")
		}
		s.Progress = nil
		return nil
	}
	kv := []struct {
		path  string
		ttl   time.Duration
		count int
		by    string // the actor that reads it; "" for the root token
	}{
		{"aws/prod/s3-writer", time.Hour, 300, "billing"},
		{"aws/prod/rds-admin", 6 * time.Hour, 40, "alice"},
		{"aws/dev/ec2-admin", 20 * time.Minute, 80, "bob"},
		{"gcp/ci/deployer", 24 * time.Hour, 150, "ci-deployer"},
		{"azure/prod/service-principal", 3 * time.Minute, 30, "alice"},
		{"cloudflare/api-token", 45 * time.Second, 12, ""},
	}
	fmt.Fprintln(out, "Seeding real leases:")
	for _, k := range kv {
		what := "secret/" + k.path + "/"
		if k.by != "" {
			what += " (by " + k.by + ")"
		}
		if err := step(what, n(k.count), func() ([]string, error) {
			if k.by == "" {
				return s.LeasedKV(ctx, k.path, k.ttl, n(k.count))
			}
			if _, err := s.LeasedKV(ctx, k.path, k.ttl, 0); err != nil { // write it
				return nil, err
			}
			return actors[k.by].Seeder.ReadLeasedKV(ctx, k.path, n(k.count))
		}); err != nil {
			return nil, err
		}
	}
	if pg != nil {
		db := seed.DatabaseConfig{Mount: "database", Connection: "pg", ConnectionURL: pg.URL(), Username: "postgres", Password: "unused-trust-auth"}
		if err := step("database/creds/readonly/", n(40), func() ([]string, error) {
			return s.DatabaseRole(ctx, db, "readonly", time.Hour, 24*time.Hour, n(40))
		}); err != nil {
			return nil, err
		}
		if err := step("database/creds/app-rw/", n(25), func() ([]string, error) {
			return s.DatabaseRole(ctx, db, "app-rw", 10*time.Minute, time.Hour, n(25))
		}); err != nil {
			return nil, err
		}
	}
	if err := step("auth/approle/login/ (role ci)", n(60), func() ([]string, error) { return s.AppRole(ctx, "approle", "ci", 30*time.Minute, n(60)) }); err != nil {
		return nil, err
	}
	if err := step("auth/userpass/login/alice/", n(5), func() ([]string, error) { return s.Userpass(ctx, "userpass", "alice", 8*time.Hour, n(5)) }); err != nil {
		return nil, err
	}
	if err := step("auth/token/create/", n(20), func() ([]string, error) { return s.Tokens(ctx, 5*time.Minute, n(20)) }); err != nil {
		return nil, err
	}
	if err := step("pki/issue/web/", n(25), func() ([]string, error) { return s.PKI(ctx, "pki", "web", 72*time.Hour, n(25)) }); err != nil {
		return nil, err
	}
	// Certificates of a role retired since: its leases live on, which the
	// hygiene screen (D) and leasetop doctor find.
	if err := step("pki/issue/legacy/ (role deleted)", n(8), func() ([]string, error) {
		ids, err := s.PKI(ctx, "pki", "legacy", 48*time.Hour, n(8))
		if err == nil {
			_, err = api.Logical().DeleteWithContext(ctx, "pki/roles/legacy")
		}
		return ids, err
	}); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "Seeded %d leases in %s.\n", total, time.Since(start).Round(time.Millisecond))
	return actors, nil
}

// grow makes one lease every interval as actor, under secret/<path>, until
// ctx ends.
func grow(ctx context.Context, actor *seed.Actor, path string, interval time.Duration) {
	if actor == nil {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_, _ = actor.Seeder.ReadLeasedKV(ctx, path, 1) // a failed read only means one lease fewer
		}
	}
}

// demoConfig writes the demo's throw-away config: staging (the main
// estate) and prod-eu (read-only, red), their tokens read from the demo's
// own environment, never written into the file. Staging's budgets show in
// the tree: the CI deployer's prefix, which grows, is over its budget,
// AWS's near it; and on the owners screen by role, billing near its own.
func demoConfig(dir string, staging, prod *devvault.Server, stagingAudit, prodAudit string, scale int) (*config.File, error) {
	os.Setenv("LEASETOP_DEMO_TOKEN_STAGING", staging.RootToken)
	os.Setenv("LEASETOP_DEMO_TOKEN_PROD", prod.RootToken)
	path := filepath.Join(dir, "config.yaml")
	text := fmt.Sprintf(`# leasetop demo: two dev Vaults as two contexts (removed on exit)
current-context: staging
contexts:
  - name: staging
    address: %s
    token: {env: LEASETOP_DEMO_TOKEN_STAGING}
    vault-audit: %s
    color: "#005f87"
    budgets:
      prefix:
        secret/gcp/ci/deployer/: %d
        secret/aws/dev/ec2-admin/: %d
      role:
        billing: %d
  - name: prod-eu
    address: %s
    token: {env: LEASETOP_DEMO_TOKEN_PROD}
    vault-audit: %s
    read-only: true
    color: "#d70000"
`, staging.Addr, stagingAudit, 120*scale, 95*scale, 350*scale, prod.Addr, prodAudit)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		return nil, err
	}
	return config.Load(path)
}

// seedProd makes prod-eu's smaller, different estate: payment credentials
// read by one AppRole client, logins, and certificates.
func seedProd(ctx context.Context, srv *devvault.Server, scale int, auditPath string, out io.Writer) error {
	api, err := srv.Client()
	if err != nil {
		return err
	}
	s := &seed.Seeder{C: api}
	if err := s.EnableFileAudit(ctx, auditPath); err != nil {
		return err
	}
	payments, err := s.AppRoleActor(ctx, "approle", "payments-api")
	if err != nil {
		return err
	}
	total := 0
	for _, k := range []struct {
		path  string
		ttl   time.Duration
		count int
	}{{"payments/prod/db-admin", 2 * time.Hour, 120}, {"payments/prod/stripe-key", 15 * time.Minute, 40}} {
		if _, err := s.LeasedKV(ctx, k.path, k.ttl, 0); err != nil {
			return err
		}
		ids, err := payments.Seeder.ReadLeasedKV(ctx, k.path, k.count*scale)
		if err != nil {
			return err
		}
		total += len(ids)
	}
	ids, err := s.PKI(ctx, "pki", "api", 48*time.Hour, 10*scale)
	if err != nil {
		return err
	}
	total += len(ids)
	fmt.Fprintf(out, "Seeded %d leases on prod-eu.\n", total)
	return nil
}
