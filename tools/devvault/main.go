// Command devvault is the vault binary (server and CLI), built from the
// github.com/hashicorp/vault module so that tests, benchmarks and the demo can
// run a real dev server on a machine where no prebuilt Vault can be fetched.
//
// It lives in its own module because it needs a patched copy of the Vault SDK
// (see build.sh); the leasetop module itself stays free of replace lines.
package main

import (
	"os"

	"github.com/hashicorp/vault/command"
)

func main() {
	os.Exit(command.Run(os.Args[1:]))
}
