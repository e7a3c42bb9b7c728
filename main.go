// Command leasetop is `top` for the leases of HashiCorp Vault and OpenBao.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("leasetop", flag.ContinueOnError)
	fs.SetOutput(stderr)
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() { usage(fs, stderr) }
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			usage(fs, stdout)
			return 0
		}
		return 2
	}
	if *showVersion {
		fmt.Fprintln(stdout, "leasetop", version)
		return 0
	}
	usage(fs, stdout)
	return 0
}

func usage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprint(w, `leasetop: top for Vault leases

Usage:
  leasetop [flags]

Vault is configured as for the vault CLI: VAULT_ADDR, VAULT_TOKEN or
~/.vault-token, VAULT_NAMESPACE, VAULT_CACERT, VAULT_SKIP_VERIFY, ...

Flags:
`)
	fs.SetOutput(w)
	fs.PrintDefaults()
}
