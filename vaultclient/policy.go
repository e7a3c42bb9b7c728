package vaultclient

import (
	"slices"
	"strconv"
	"strings"
)

// Policy is what one Vault call leasetop makes needs from the token's
// policy: the path pattern of the policy line, the capabilities on it, and
// what the call does in a few words, for messages.
type Policy struct {
	Pattern string   // the path of the policy line: "sys/leases/revoke-prefix/*"
	Caps    []string // the capabilities the call needs: ["update", "sudo"]
	What    string   // what the call does: "revoking a prefix"
}

// Line is the policy line that grants p, as an operator would paste it:
//
//	path "sys/leases/revoke-prefix/*" { capabilities = ["update", "sudo"] }
func (p Policy) Line() string {
	caps := make([]string, len(p.Caps))
	for i, c := range p.Caps {
		caps[i] = strconv.Quote(c)
	}
	return "path " + strconv.Quote(p.Pattern) + " { capabilities = [" + strings.Join(caps, ", ") + "] }"
}

// Allows reports whether capabilities granted on a path (as
// sys/capabilities-self answers them) let the call through: "root" allows
// everything, "deny" nothing, and otherwise every capability in p.Caps
// must be granted.
func (p Policy) Allows(granted []string) bool {
	switch {
	case slices.Contains(granted, "root"):
		return true
	case slices.Contains(granted, "deny"):
		return false
	}
	for _, c := range p.Caps {
		if !slices.Contains(granted, c) {
			return false
		}
	}
	return true
}

// policyRule maps the calls on some paths to the policy they need.
type policyRule struct {
	op    string // "" for any operation; else only this one (Error.Op)
	path  string // the path, or with under set the path and what is below it
	under bool
	Policy
}

// clone is the rule's policy with its own Caps, so a caller cannot change
// the table.
func (r policyRule) clone() Policy {
	p := r.Policy
	p.Caps = slices.Clone(p.Caps)
	return p
}

func (r policyRule) matches(op, path string) bool {
	if r.op != "" && r.op != op {
		return false
	}
	if r.under {
		return strings.HasPrefix(path, r.path+"/")
	}
	return path == r.path
}

// Policies for each call, shared by the rules below.
var (
	polList   = Policy{"sys/leases/lookup/*", []string{"list", "sudo"}, "listing leases"}
	polLookup = Policy{"sys/leases/lookup", []string{"update"}, "looking up a lease"}
	// polListRoot: Vault checks a LIST against its path without the
	// trailing '/', so the root's listing, sys/leases/lookup/, needs list
	// and sudo on sys/leases/lookup itself, beside the lookups' update:
	// one line for both, as a policy gives one per path.
	polListRoot     = Policy{"sys/leases/lookup", []string{"list", "sudo", "update"}, "listing the leases' root (and looking up a lease)"}
	polRenew        = Policy{"sys/leases/renew", []string{"update"}, "renewing"}
	polRevoke       = Policy{"sys/leases/revoke", []string{"update"}, "revoking"}
	polRevokePrefix = Policy{"sys/leases/revoke-prefix/*", []string{"update", "sudo"}, "revoking a prefix"}
	polRevokeForce  = Policy{"sys/leases/revoke-force/*", []string{"update", "sudo"}, "force-revoking"}
	polIrrevocable  = Policy{"sys/leases", []string{"read", "sudo"}, "listing irrevocable leases"}
	polCount        = Policy{"sys/leases/count", []string{"read"}, "counting irrevocable leases"}
	polMounts       = Policy{"sys/mounts", []string{"read"}, "reading mounts"}
	polAuthMounts   = Policy{"sys/auth", []string{"read"}, "reading mounts"}
	polMetrics      = Policy{"sys/metrics", []string{"read"}, "reading lease creations per mount"}
	polMountTune    = Policy{"sys/mounts/*", []string{"read"}, "reading a mount's lease TTLs"}
	polAuthTune     = Policy{"sys/auth/*", []string{"read"}, "reading an auth mount's lease TTLs"}
	polAudit        = Policy{"sys/audit", []string{"read", "sudo"}, "reading the audit devices"}

	// The token store, which names the owners of token leases.
	polAccessors      = Policy{"auth/token/accessors", []string{"list", "sudo"}, "listing tokens"}
	polLookupAccessor = Policy{"auth/token/lookup-accessor", []string{"update"}, "looking up a token"}
	polRevokeAccessor = Policy{"auth/token/revoke-accessor", []string{"update"}, "revoking a token"}
	polEntity         = Policy{"identity/entity/id/*", []string{"read"}, "reading an entity"}
)

// policyTable is the one table of what each Vault call needs: the hints of
// 403 errors and the UI's capability checks both read it. The first rule
// that matches wins. One path serves two calls: listing
// sys/leases/lookup/<prefix> needs list and sudo (on sys/leases/lookup
// itself for the root's listing), while a lookup, an update of
// sys/leases/lookup, needs only update.
var policyTable = []policyRule{
	{path: "sys/leases/lookup", under: true, Policy: polList},
	{op: "list", path: "sys/leases/lookup", Policy: polListRoot},
	{path: "sys/leases/lookup", Policy: polLookup},
	{path: "sys/leases/renew", Policy: polRenew},
	{path: "sys/leases/revoke", Policy: polRevoke},
	{path: "sys/leases/revoke-prefix", under: true, Policy: polRevokePrefix},
	{path: "sys/leases/revoke-prefix", Policy: polRevokePrefix},
	{path: "sys/leases/revoke-force", under: true, Policy: polRevokeForce},
	{path: "sys/leases/revoke-force", Policy: polRevokeForce},
	{path: "sys/leases/count", Policy: polCount},
	{path: "sys/leases", Policy: polIrrevocable},
	{path: "sys/mounts", Policy: polMounts},
	{path: "sys/auth", Policy: polAuthMounts},
	{path: "sys/mounts", under: true, Policy: polMountTune},
	{path: "sys/auth", under: true, Policy: polAuthTune},
	{path: "sys/audit", Policy: polAudit},
	{path: "sys/metrics", Policy: polMetrics},
	{path: "auth/token/accessors", Policy: polAccessors},
	{path: "auth/token/lookup-accessor", Policy: polLookupAccessor},
	{path: "auth/token/revoke-accessor", Policy: polRevokeAccessor},
	{path: "identity/entity/id", under: true, Policy: polEntity},
}

// PolicyFor returns the policy a call on path (an API path without /v1/,
// "sys/leases/revoke-prefix/database/") needs, and false for a path
// leasetop does not call. op is the operation as Error.Op names it ("list",
// "lookup", "renew", …); it matters only for sys/leases/lookup, which a
// "list" of the root lists and any other op (a lookup, "update") updates.
func PolicyFor(op, path string) (Policy, bool) {
	for _, r := range policyTable {
		if r.matches(op, path) {
			return r.clone(), true
		}
	}
	return Policy{}, false
}

// Policies lists every policy line leasetop may need, each once, in the
// table's order: the policy a full-featured token should have.
func Policies() []Policy {
	var out []Policy
	for _, r := range policyTable {
		if !slices.ContainsFunc(out, func(p Policy) bool { return p.Pattern == r.Pattern }) {
			out = append(out, r.clone())
		}
	}
	return out
}

// capabilityHint names the policy line a 403 on path is missing.
func capabilityHint(op, path string) string {
	if p, ok := PolicyFor(op, path); ok {
		return p.What + " needs: " + p.Line()
	}
	return ""
}
