// Package hygiene finds the leases that should not exist: orphans (whose
// role or mount is gone), clients that make a lease per read and never
// reuse one, leases that are effectively permanent, prefixes and owners
// over their budgets, and what a crawl costs the audit log. Each check
// returns Findings; `leasetop doctor` prints them and the hygiene screen
// lists them, both ranked by the leases they hold.
package hygiene

import (
	"cmp"
	"slices"
)

// Kind names a check.
type Kind string

const (
	OrphanRole      Kind = "orphan-role"      // the role that made the leases answers 404
	OrphanMount     Kind = "orphan-mount"     // no mount serves the leases' path
	IrrevocableGone Kind = "irrevocable-gone" // irrevocable leases whose mount is gone
	NoReuse         Kind = "no-reuse"         // a client that makes a lease per read
	Permanent       Kind = "permanent"        // TTLs at the system maximum or beyond a threshold
	OverBudget      Kind = "over-budget"      // a prefix or owner over its budget
	AuditCost       Kind = "audit-cost"       // a crawl's LISTs write every key to an audit device
)

// Severity orders findings of equal size and sets `doctor`'s exit code
// (as `check` does: 0 ok, 1 warning, 2 critical, 3 could not check).
type Severity int

const (
	Info Severity = iota
	Warning
	Critical
)

// String is the severity's word: info, warning or critical.
func (s Severity) String() string {
	switch s {
	case Warning:
		return "warning"
	case Critical:
		return "critical"
	}
	return "info"
}

// ActionKind is what fixes a finding. Destructive ones act on the ids in
// Finding.LeaseIDs or on Finding.Prefix, never on a row of a list.
type ActionKind int

const (
	NoAction     ActionKind = iota // advice only (Action.Text says what to do)
	RevokePrefix                   // sys/leases/revoke-prefix/<Prefix>
	ForcePrefix                    // sys/leases/revoke-force/<Prefix>: Vault cannot revoke them otherwise
	RevokeLeases                   // each of LeaseIDs
)

// Action is what fixes a finding, in words and as something leasetop can do.
type Action struct {
	Kind ActionKind
	Text string // e.g. "revoke the prefix database/creds/old/" or "set elide_list_responses=true on audit device file/"
}

// Finding is one thing that should not be, with its evidence.
type Finding struct {
	Kind     Kind
	Severity Severity
	Prefix   string   // where its leases are ("" when it is about no prefix)
	Owner    string   // who made them, when the audit log or token store says
	Leases   int      // how many leases it holds: the ranking
	LeaseIDs []string // the leases an action acts on, when it acts on ids
	Title    string   // one line, e.g. "role database/roles/old is gone; 1,204 leases live on"
	Evidence []string // what was seen, one fact per line
	Action   Action
}

// Unchecked is a check that could not run, and why: the policy line the
// token lacks, or what Vault answered. It is shown instead of a guess.
type Unchecked struct {
	Kind    Kind
	Prefix  string
	Missing string // e.g. `path "sys/mounts" { capabilities = ["read"] }`
	Reason  string
}

// Rank orders findings by the leases they hold, then by severity, then by
// prefix, so the biggest problem comes first and the order is stable.
func Rank(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if c := cmp.Compare(b.Leases, a.Leases); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Severity, a.Severity); c != 0 {
			return c
		}
		return cmp.Compare(a.Prefix+a.Owner, b.Prefix+b.Owner)
	})
}
