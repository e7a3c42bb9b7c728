package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/leasetop/leasetop/config"
)

// configPath is --config, else config.DefaultPath().
func (c *connFlags) configPath() string {
	if c.config != "" {
		return c.config
	}
	return config.DefaultPath()
}

// loadConfig reads the config file: nil, nil when there is none.
func (c *connFlags) loadConfig() (*config.File, error) {
	path := c.configPath()
	if path == "" {
		return nil, nil
	}
	f, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	if f == nil && (c.config != "" || c.context != "") {
		what := "--context " + c.context
		if c.context == "" {
			what = "--config"
		}
		return nil, fmt.Errorf("%s: no config file at %s", what, path)
	}
	return f, nil
}

// fromContext is the selected context (--context, else the file's
// current one), or nothing without a config file.
func (c *connFlags) fromContext() (settings, error) {
	f, err := c.loadConfig()
	if err != nil || f == nil {
		return settings{}, err
	}
	if c.context == "" && f.Current == "" && len(f.Contexts) != 1 {
		return settings{file: f}, nil // a file without a current context: the environment, as without one
	}
	ctx, err := f.Find(c.context)
	if err != nil {
		return settings{}, err
	}
	return settings{ctx: ctx, file: f}, nil
}

// completeContexts completes --context with the names in the config file.
func (c *connFlags) completeContexts(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	f, err := config.Load(c.configPath())
	if err != nil || f == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return f.Names(), cobra.ShellCompDirectiveNoFileComp
}

// ctxCommand is `leasetop ctx`: list the contexts, or switch the current one.
func (a *app) ctxCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ctx",
		Short: "list the contexts of the config file (the current one marked *)",
		Long: `List the contexts of leasetop's config file (--config, else $LEASETOP_CONFIG,
else leasetop/config.yaml in the user's config directory), the current one
marked with *. A context names a Vault: its address, namespace, TLS
settings, where its token comes from, and whether it is read-only.`,
		Example: `  leasetop ctx
  leasetop ctx use staging
  leasetop ls --context prod secret/`,
		Args: cobra.NoArgs,
		RunE: run(func(*cobra.Command, []string) int {
			f, err := a.conn.loadConfig()
			if err != nil {
				return a.fail(2, "leasetop ctx", "%v", err)
			}
			if f == nil {
				fmt.Fprintf(a.stderr, "leasetop ctx: no config file at %s: leasetop uses VAULT_ADDR, VAULT_TOKEN, … as the vault CLI does\n", a.conn.configPath())
				return 0
			}
			for _, c := range f.Contexts {
				mark := " "
				if c.Name == f.Current {
					mark = "*"
				}
				line := fmt.Sprintf("%s %s\t%s", mark, c.Name, c.Address)
				if c.Namespace != "" {
					line += "\tnamespace " + c.Namespace
				}
				if c.ReadOnly {
					line += "\tread-only"
				}
				fmt.Fprintln(a.stdout, line)
			}
			return 0
		}),
	}
	use := &cobra.Command{
		Use:   "use NAME",
		Short: "make NAME the current context (saves the config file)",
		Args:  cobra.ExactArgs(1),
		ValidArgsFunction: func(c *cobra.Command, args []string, s string) ([]string, cobra.ShellCompDirective) {
			return a.conn.completeContexts(c, args, s)
		},
		RunE: run(func(_ *cobra.Command, pos []string) int {
			f, err := a.conn.loadConfig()
			if err == nil && f == nil {
				err = fmt.Errorf("no config file at %s", a.conn.configPath())
			}
			if err == nil {
				err = f.Use(pos[0])
			}
			if err != nil {
				return a.fail(2, "leasetop ctx use", "%v", err)
			}
			fmt.Fprintf(a.stdout, "current context: %s (%s)\n", pos[0], f.Path)
			return 0
		}),
	}
	cmd.AddCommand(use)
	return cmd
}
