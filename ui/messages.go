package ui

import (
	"time"

	"github.com/leasetop/leasetop/vaultclient"
)

// tickMsg drives the 1 s countdown redraw; it never calls Vault.
type tickMsg time.Time

type mountsMsg struct {
	mounts []vaultclient.Mount
	err    error
}

type capsMsg struct {
	caps map[string][]string
	err  error
}

type selfMsg struct {
	self vaultclient.TokenInfo
	err  error
}

// statusExpiredMsg clears a transient status message.
type statusExpiredMsg struct{ seq int }
