package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/leasetop/leasetop/audit"
	"github.com/leasetop/leasetop/crawl"
	"github.com/leasetop/leasetop/hygiene"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/owners"
	"github.com/leasetop/leasetop/vaultclient"
)

// onePrefix takes zero or one positional prefix.
func onePrefix(pos []string) (string, error) {
	switch len(pos) {
	case 0:
		return "", nil
	case 1:
		return vaultclient.CleanPrefix(pos[0])
	}
	return "", fmt.Errorf("one prefix at most, got %q", strings.Join(pos, " "))
}

// interruptible runs body with the command's context cancelled by SIGINT
// and SIGTERM, from the moment the command starts until it returns: its
// crawl stops and it reports what it has (check: UNKNOWN, interrupted)
// rather than dying mid-output.
func interruptible(body func(*cobra.Command, []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		cmd.SetContext(ctx)
		return body(cmd, args)
	}
}

// progress draws a one-line crawl counter on stderr when it is a terminal
// and stays quiet otherwise (pipes, CI logs).
type progress struct {
	w       io.Writer
	on      bool
	last    time.Time
	listed  int
	leases  int
	started time.Time
}

func newProgress(stderr io.Writer) *progress {
	f, ok := stderr.(*os.File)
	return &progress{w: stderr, on: ok && term.IsTerminal(f.Fd()), started: time.Now()}
}

func (p *progress) event(ev vaultclient.Event) {
	switch ev.Kind {
	case vaultclient.EventListed:
		p.listed++
	case vaultclient.EventLease:
		p.leases++
	}
	if p.on && time.Since(p.last) > 100*time.Millisecond {
		p.last = time.Now()
		fmt.Fprintf(p.w, "\r\x1b[Kcrawling: %d prefixes listed, %d leases looked up (%s)", p.listed, p.leases, time.Since(p.started).Round(time.Second))
	}
}

func (p *progress) done() {
	if p.on {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

// reportFailures ends a crawling command: 0, or 1 with what failed.
func (a *app) reportFailures(cmd string, failures []error) int {
	switch len(failures) {
	case 0:
		return 0
	case 1:
		return a.fail(1, cmd, "the crawl failed: %s", failures[0])
	}
	return a.fail(1, cmd, "%d parts of the crawl failed; the output is partial. First: %s", len(failures), failures[0])
}

// crawlIndex walks prefix into a model.Index (every lease looked up).
func crawlIndex(ctx context.Context, c *vaultclient.Client, prefix string, stderr io.Writer) (*model.Index, []error) {
	idx := model.NewIndex()
	prog := newProgress(stderr)
	now := time.Now()
	var failures []error
	for ev := range c.Walk(ctx, prefix, vaultclient.WalkOptions{}) {
		prog.event(ev)
		crawl.Apply(idx, ev, now, nil)
		if ev.Kind == vaultclient.EventError {
			failures = append(failures, ev.Err)
		}
	}
	prog.done()
	idx.PurgeGone(now.Add(time.Hour))
	return idx, failures
}

func displayPrefix(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// auditFlags are the flags of the script commands that name owners from
// Vault's audit log.
type auditFlags struct {
	path string
	by   string
}

func (a *auditFlags) register(cmd *cobra.Command, withBy bool) {
	fs := cmd.Flags()
	fs.StringVar(&a.path, "vault-audit", "", "Vault's audit log, to see who made each lease: a file, a .gz file or a folder of rotated files, read once to its end, or - for stdin")
	_ = cmd.MarkFlagFilename("vault-audit")
	if withBy {
		fs.StringVar(&a.by, "by", "entity", "group owners by entity, role, mount, remote or agent")
		_ = cmd.RegisterFlagCompletionFunc("by", cobra.FixedCompletions([]string{"entity", "role", "mount", "remote", "agent"}, cobra.ShellCompDirectiveNoFileComp))
	}
}

// needPath checks that --vault-audit was given and exists.
func (a *auditFlags) needPath() error {
	if a.path == "" {
		return errors.New("--vault-audit PATH is required: Vault's file audit log (a file, a .gz file, a folder of rotated files, or - for stdin)")
	}
	return a.checkPath()
}

// needSource checks that something names the owners: --vault-audit (which
// must exist) or --token-store.
func (a *auditFlags) needSource(tokenStore bool) error {
	if a.path == "" && !tokenStore {
		return errors.New("--vault-audit PATH or --token-store is required: Vault's file audit log (a file, a .gz file, a folder of rotated files, or - for stdin) names who made the leases of secrets engines, the token store who made token leases")
	}
	return a.checkPath()
}

func (a *auditFlags) checkPath() error {
	if a.path != "" && a.path != "-" {
		if _, err := os.Stat(a.path); err != nil {
			return fmt.Errorf("--vault-audit: %w", err)
		}
	}
	return nil
}

// readAudit reads the audit log once, to its end, into an owners.Source.
// strict refuses a log that could only be read in part; otherwise the
// problem is told on stderr and the owners come from what was read.
func readAudit(ctx context.Context, cmd, path string, stdin io.Reader, stderr io.Writer, strict bool) (owners.Source, error) {
	a := audit.NewAttribution()
	st, err := audit.Read(ctx, path, stdin, a.AddAll)
	a.SeenFrom(st.First)
	name := path
	if path == "-" {
		name = "stdin"
	}
	switch {
	case err != nil && (strict || st.Lines == 0 || ctx.Err() != nil):
		return owners.Source{}, fmt.Errorf("reading the audit log %s: %w", name, err)
	case err != nil:
		fmt.Fprintf(stderr, "%s: warning: part of the audit log %s could not be read (the owners come from the rest): %v\n", cmd, name, err)
	}
	if st.Leases == 0 {
		fmt.Fprintf(stderr, "%s: warning: the audit log %s holds no lease creations (%d lines): is it Vault's file audit log?\n", cmd, name, st.Lines)
	}
	return owners.Source{Log: a}, nil
}

// ownerSource is what names the owners for a script: the audit log at
// auditPath when one is given, and the token store when asked. A token
// store that cannot be read is a warning: token leases then stay without
// an owner, and their reason says why.
func ownerSource(ctx context.Context, cmd string, c *vaultclient.Client, auditPath string, tokenStore bool, stdin io.Reader, stderr io.Writer) (owners.Source, error) {
	var src owners.Source
	if auditPath != "" {
		var err error
		if src, err = readAudit(ctx, cmd, auditPath, stdin, stderr, false); err != nil {
			return src, err
		}
	}
	if tokenStore {
		tokens, err := readTokenStore(ctx, c)
		if err != nil {
			fmt.Fprintf(stderr, "%s: warning: token leases stay without an owner: %v\n", cmd, err)
			src.TokensWhy = vaultclient.KindOf(err).String()
		}
		src.Tokens = tokens
	}
	return src, nil
}

// readTokenStore reads every token (one LIST, a lookup each), for the
// owners of token leases.
func readTokenStore(ctx context.Context, c *vaultclient.Client) (*owners.Tokens, error) {
	infos, err := c.Tokens(ctx, 0, nil)
	if err != nil {
		return nil, fmt.Errorf("reading the token store: %w", err)
	}
	return hygiene.TokenIndex(infos), nil
}

// noOwnerReason is the reason of a group without an owner, in words
// ("a token lease (…)"), from its label.
func noOwnerReason(g owners.Group) string {
	if g.Owned {
		return ""
	}
	return strings.TrimPrefix(g.Label, "no owner: ")
}

func or(v, none string) string {
	if v == "" {
		return none
	}
	return v
}
