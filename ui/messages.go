package ui

import (
	"time"

	"github.com/leasetop/leasetop/vaultclient"
)

// walkBatchMsg carries the events a crawl produced since the last batch;
// the command that made it is queued again until the crawl ends (done).
type walkBatchMsg struct {
	gen    int
	poll   bool // a list-only refresh, not the first full crawl
	events []vaultclient.Event
	done   bool
}

// lookupsMsg answers the lookups a refresh asked for (new ids, renewals).
type lookupsMsg struct {
	leases   []vaultclient.Lease
	vanished []string
	errs     []error
}

// tickMsg drives the 1 s countdown redraw; it never calls Vault.
type tickMsg time.Time

// pollMsg starts a refresh.
type pollMsg struct{ gen int }

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
