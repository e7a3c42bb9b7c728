// Package cli is leasetop's command line: the default command that opens
// the UI, the demo, the script commands (ls, count, check, revoke, renew,
// owners, who), shell completion, man pages and contexts. Every flag is
// declared once, on the command it belongs to; the connection flags are
// persistent flags of the root, shared by every command.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/leasetop/leasetop/crawl"
)

// Version is set at build time with -ldflags "-X main.version=..." (main
// passes it on).
var Version = "dev"

// exitError ends a command with a code; its message, if any, was printed.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit %d", int(e)) }

// code turns a command's exit code into the error cobra carries.
func code(c int) error {
	if c == 0 {
		return nil
	}
	return exitError(c)
}

// flagError is a flag cobra could not parse: exit 2 (check: 3, UNKNOWN).
type flagError struct{ err error }

func (e flagError) Error() string { return e.err.Error() }

// app is what every command shares: the streams and the connection flags.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	conn           connFlags
	checkCmd       *cobra.Command // its errors are UNKNOWN, exit 3
	doctorCmd      *cobra.Command // as check's
	// program runs the UI's model; nil runs it in the terminal. A test
	// drives the model itself.
	program func(ctx context.Context, m tea.Model) error
	// policy is the crawl engine's for the commands that watch (zero:
	// crawl.DefaultPolicy()); a test sets its own.
	policy crawl.Policy
}

// Run runs the command line args (without the program name) under ctx, the
// context every command's work is done in, and returns the exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return (&app{stdin: stdin, stdout: stdout, stderr: stderr}).execute(ctx, args)
}

// execute runs the command line args with a's streams and settings.
func (a *app) execute(ctx context.Context, args []string) int {
	root := a.newRoot()
	if len(args) == 0 || !strings.HasPrefix(args[0], "__complete") {
		args = longFlags(root, args)
	}
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	var ee exitError
	var fe flagError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return int(ee)
	case errors.As(err, &fe) && cmd == a.checkCmd:
		fmt.Fprintf(a.stdout, "LEASETOP UNKNOWN - %v\n", fe.err)
		return exitUnknown
	}
	// A bad flag, an unknown subcommand, a wrong number of arguments.
	fmt.Fprintf(a.stderr, "%s: %v\nRun '%s --help' for usage.\n", cmd.CommandPath(), err, cmd.CommandPath())
	if cmd == a.checkCmd || cmd == a.doctorCmd {
		return exitUnknown
	}
	return 2
}

// newRoot builds the command tree; a fresh one each run, since the flags
// are bound to a's fields.
func (a *app) newRoot() *cobra.Command {
	root := a.uiCommand()
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SilenceErrors = true
	root.SilenceUsage = true
	root.CompletionOptions.DisableDefaultCmd = true // completion.go declares it
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return flagError{err} })
	a.conn.register(root)
	// Go's flag package took --o and --r as well as -o and -r.
	root.SetGlobalNormalizationFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		switch name {
		case "o":
			name = "output"
		case "r":
			name = "recursive"
		}
		return pflag.NormalizedName(name)
	})
	root.AddGroup(&cobra.Group{ID: "scripts", Title: "For scripts (each takes --help):"},
		&cobra.Group{ID: "other", Title: "Other commands:"})
	// The commands for scripts stop their work on SIGINT and SIGTERM and
	// say what they have; the UI leaves those signals to Bubble Tea, and
	// the demo adds SIGHUP (demo.go).
	for _, c := range []*cobra.Command{a.lsCommand(), a.countCommand(), a.checkCommand(), a.revokeCommand(),
		a.renewCommand(), a.ownersCommand(), a.whoCommand(), a.doctorCommand()} {
		c.GroupID = "scripts"
		c.RunE = interruptible(c.RunE)
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{a.demoCommand(), a.ctxCommand(), a.completionCommand(), a.manCommand()} {
		c.GroupID = "other"
		root.AddCommand(c)
	}
	serve := a.serveCommand()
	serve.GroupID = "other"
	serve.RunE = interruptible(serve.RunE) // SIGINT, SIGTERM: a clean stop, exit 0
	root.AddCommand(serve)
	root.SetHelpCommandGroupID("other")
	return root
}

// longFlags accepts the single-dash long flags that Go's flag package
// took (-addr, -expiring-within=1h): they become --addr, … so that
// scripts written for earlier versions keep working. Shorthands (-r, -o,
// -h) are left alone, and nothing after "--" is touched.
func longFlags(root *cobra.Command, args []string) []string {
	names := map[string]bool{"help": true}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		add := func(f *pflag.Flag) { names[f.Name] = true }
		c.Flags().VisitAll(add)
		c.PersistentFlags().VisitAll(add)
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
	out := make([]string, len(args))
	copy(out, args)
	for i, arg := range out {
		if arg == "--" {
			break
		}
		if len(arg) < 3 || arg[0] != '-' || arg[1] == '-' {
			continue
		}
		name, _, _ := strings.Cut(arg[1:], "=")
		if len(name) > 1 && names[name] {
			out[i] = "-" + arg
		}
	}
	return out
}

// buildVersion is the -ldflags version, else the module version that
// `go install …@vX` recorded, else "dev".
func buildVersion() string {
	if Version != "dev" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return Version
}

// run wraps a command body that returns an exit code.
func run(f func(cmd *cobra.Command, args []string) int) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error { return code(f(cmd, args)) }
}

// fail ends a command that cannot go on: it prints "name: " and the
// message (format and v, as fmt.Sprintf formats them) on stderr and
// returns exit, the command's exit code.
func (a *app) fail(exit int, name, format string, v ...any) int {
	fmt.Fprintf(a.stderr, "%s: %s\n", name, fmt.Sprintf(format, v...))
	return exit
}
