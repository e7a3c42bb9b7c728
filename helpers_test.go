package main

import (
	"io"

	"github.com/leasetop/leasetop/vaultclient"
)

func vaultclientConfig() vaultclient.Config { return vaultclient.Config{} }

// The exit codes the tests pin: check's, as monitoring plugins expect
// them, and who's.
const (
	exitOK       = 0
	exitWarning  = 1
	exitCritical = 2
	exitUnknown  = 3

	whoKnown   = 0
	whoUnknown = 3
)

func runRevoke(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return run(append([]string{"revoke"}, args...), stdin, stdout, stderr)
}

func runOwners(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return run(append([]string{"owners"}, args...), stdin, stdout, stderr)
}
