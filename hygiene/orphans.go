package hygiene

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/leasetop/leasetop/leaseid"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/owners"
	"github.com/leasetop/leasetop/vaultclient"
)

// Deleting a role does not revoke its leases (hashicorp/vault#1243): they
// live on under the role's path until their TTL runs out, and reading the
// role then answers 404. FindOrphans reads the role behind every prefix that
// holds leases, the mounts, and the irrevocable leases.

// roleRoute is where an engine's leases name their role, and where the
// role is read: leases under <mount><op>/<role>/ come from the role at
// <mount><rolePath>/<role>.
type roleRoute struct {
	ops      []string
	rolePath string
}

// pathRoles are the engines whose lease prefixes name the role, by mount
// type.
var pathRoles = map[string]roleRoute{
	"database":     {[]string{"creds"}, "roles"},
	"aws":          {[]string{"creds", "sts"}, "roles"},
	"pki":          {[]string{"issue", "sign"}, "roles"},
	"consul":       {[]string{"creds"}, "roles"},
	"rabbitmq":     {[]string{"creds"}, "roles"},
	"kubernetes":   {[]string{"creds"}, "roles"},
	"azure":        {[]string{"creds"}, "roles"},
	"mongodbatlas": {[]string{"creds"}, "roles"},
	"nomad":        {[]string{"creds"}, "role"},
	"ldap":         {[]string{"creds"}, "role"},
	"openldap":     {[]string{"creds"}, "role"},
	"terraform":    {[]string{"creds"}, "role"},
	"alicloud":     {[]string{"creds"}, "role"},
	// Auth methods whose login path names the user.
	"userpass": {[]string{"login"}, "users"},
}

// tokenRole is where an auth method keeps the role its tokens were made
// with: their leases (auth/<mount>/login/h<hash>) do not name it, the
// token's metadata does.
type tokenRole struct {
	metaKey  string
	rolePath string
}

var tokenRoles = map[string]tokenRole{
	"approle":    {"role_name", "role"},
	"kubernetes": {"role", "role"},
	"jwt":        {"role", "role"},
	"oidc":       {"role", "role"},
	"cert":       {"cert_name", "certs"},
}

// mountGone is the mount_id Vault lists for an irrevocable lease whose
// mount no longer exists.
const mountGone = "mount-accessor-not-found"

// OrphanInput is what FindOrphans looks at besides Vault.
type OrphanInput struct {
	Leases *Leases // what a finished crawl found
	// Tokens, when set, are the token store's tokens; nil reads them from
	// Vault when a token lease's role has to be found.
	Tokens []vaultclient.AccessorInfo
}

// FindOrphans finds leases whose role answers 404 (OrphanRole), leases under a
// path no mount serves (OrphanMount), and irrevocable leases whose mount
// is gone (IrrevocableGone). What the token may not read is Unchecked.
func FindOrphans(ctx context.Context, c Vault, in OrphanInput) ([]Finding, []Unchecked) {
	var fs []Finding
	var un []Unchecked
	gone, u := irrevocableGone(ctx, c)
	un = append(un, u...)
	goneIDs := map[string]bool{}
	for _, f := range gone {
		for _, id := range f.LeaseIDs {
			goneIDs[id] = true
		}
	}
	fs = append(fs, gone...)

	mounts, err := c.Mounts(ctx)
	if err != nil {
		un = append(un, unchecked(OrphanMount, "", err, "read mounts", "sys/mounts", vaultclient.Policy{}))
		un = append(un, Unchecked{Kind: OrphanRole, Reason: "without the mounts, no role can be found"})
		return fs, un
	}
	groups := map[string][]Lease{}
	if in.Leases != nil {
		groups = in.Leases.ByPrefix
	}

	cl := classify(mounts, groups, goneIDs)
	for _, rc := range cl.roles {
		u, ok := checkRole(ctx, c, rc.path, rc.prefix)
		if u != nil {
			un = append(un, *u)
		}
		if ok {
			continue
		}
		ids := idsOf(rc.prefix, groups[rc.prefix])
		m := rc.mount
		fs = append(fs, Finding{
			Kind: OrphanRole, Severity: Warning, Prefix: rc.prefix, Leases: len(ids), LeaseIDs: ids,
			Title: fmt.Sprintf("%s %s is gone; %s live on under %s", roleWord(m), rc.role, leases(len(ids)), rc.prefix),
			Evidence: []string{
				fmt.Sprintf("GET %s answers 404", rc.path),
				fmt.Sprintf("%s under %s (mount %s, type %s)", leases(len(ids)), rc.prefix, m.Path, m.Type),
			},
			Action: Action{Kind: RevokePrefix, Text: "revoke the prefix " + rc.prefix},
		})
	}
	noMount, tokenPrefixes := cl.noMount, cl.tokenPrefixes
	for _, root := range slices.Sorted(maps.Keys(noMount)) {
		ids := noMount[root]
		slices.Sort(ids)
		fs = append(fs, Finding{
			Kind: OrphanMount, Severity: Critical, Prefix: root, Leases: len(ids), LeaseIDs: ids,
			Title: fmt.Sprintf("no mount serves %s; %s remain under it", root, leases(len(ids))),
			Evidence: []string{
				fmt.Sprintf("neither sys/mounts nor sys/auth has a mount at or above %s", root),
				fmt.Sprintf("%s listed under it", leases(len(ids))),
			},
			Action: Action{Kind: ForcePrefix, Text: "force-revoke the prefix " + root + " (no engine is left to revoke them)"},
		})
	}
	if len(tokenPrefixes) > 0 {
		f, u := tokenOrphans(ctx, c, in, mounts, groups, tokenPrefixes)
		fs, un = append(fs, f...), append(un, u...)
	}
	return fs, un
}

// roleCheck is a role to read: the leases under prefix come from it.
type roleCheck struct {
	prefix, path, role string
	mount              vaultclient.Mount
}

// classified is where each prefix's leases come from.
type classified struct {
	noMount       map[string][]string // leases under no mount, by the mount root they had
	roles         []roleCheck         // prefixes whose path names their role
	tokenPrefixes []string            // login prefixes whose tokens' metadata names the role
}

// classify sorts the prefixes (in order) by where their role is found,
// leaving out of noMount the leases already reported as irrevocable.
func classify(mounts []vaultclient.Mount, groups map[string][]Lease, goneIDs map[string]bool) classified {
	cl := classified{noMount: map[string][]string{}}
	for _, p := range slices.Sorted(maps.Keys(groups)) {
		m, ok := vaultclient.MountOf(mounts, p)
		if !ok {
			root := mountRoot(p)
			for _, l := range groups[p] {
				if id := p + l.Key; !goneIDs[id] {
					cl.noMount[root] = append(cl.noMount[root], id)
				}
			}
			continue
		}
		if _, ok := tokenRoles[m.Type]; ok && m.Auth && p == m.Path+"login/" {
			cl.tokenPrefixes = append(cl.tokenPrefixes, p)
			continue
		}
		if path, role, ok := rolePathOf(m, p); ok {
			cl.roles = append(cl.roles, roleCheck{prefix: p, path: path, role: role, mount: m})
		}
	}
	return cl
}

// checkRole reads a role: ok when it exists, a non-nil Unchecked when the
// read failed other than with a 404.
func checkRole(ctx context.Context, c Vault, path, prefix string) (u *Unchecked, ok bool) {
	exists, err := c.Exists(ctx, path)
	if err != nil {
		un := unchecked(OrphanRole, prefix, err, "read", path, vaultclient.Policy{Pattern: path, Caps: []string{"read"}, What: "reading the role"})
		return &un, true
	}
	return nil, exists
}

// tokenOrphans finds the token leases whose token's role is gone: the
// token store names each token's role in its metadata, and a token lease
// is joined to its token by issue time (owners.Tokens).
func tokenOrphans(ctx context.Context, c Vault, in OrphanInput, mounts []vaultclient.Mount, groups map[string][]Lease, prefixes []string) ([]Finding, []Unchecked) {
	infos := in.Tokens
	if infos == nil {
		var err error
		if infos, err = c.Tokens(ctx, 0, nil); err != nil {
			var un []Unchecked
			for _, p := range prefixes {
				un = append(un, unchecked(OrphanRole, p, err, "list accessors", "auth/token/accessors", vaultclient.Policy{}))
			}
			return nil, un
		}
	}
	tokens := TokenIndex(infos)
	var fs []Finding
	var un []Unchecked
	for _, p := range prefixes {
		m, _ := vaultclient.MountOf(mounts, p)
		tr := tokenRoles[m.Type]
		byRole := map[string][]string{}
		unmatched := 0
		for _, l := range groups[p] {
			id := p + l.Key
			tok, ok := tokens.Match(id, l.Issued(), l.Expires())
			role := tok.Meta[tr.metaKey]
			if !ok || role == "" {
				unmatched++
				continue
			}
			byRole[role] = append(byRole[role], id)
		}
		for _, role := range slices.Sorted(maps.Keys(byRole)) {
			path := m.Path + tr.rolePath + "/" + role
			u, ok := checkRole(ctx, c, path, p)
			if u != nil {
				un = append(un, *u)
			}
			if ok {
				continue
			}
			ids := byRole[role]
			slices.Sort(ids)
			ev := []string{
				fmt.Sprintf("GET %s answers 404", path),
				fmt.Sprintf("%s of the %s leases under %s are tokens whose metadata has %s=%s (matched through the token store)",
					model.FormatCount(len(ids)), model.FormatCount(len(groups[p])), p, tr.metaKey, role),
			}
			if unmatched > 0 {
				ev = append(ev, fmt.Sprintf("%s under %s could not be matched to a token", leases(unmatched), p))
			}
			fs = append(fs, Finding{
				Kind: OrphanRole, Severity: Warning, Prefix: p, Owner: tr.metaKey + "=" + role, Leases: len(ids), LeaseIDs: ids,
				Title:    fmt.Sprintf("%s role %s is gone; %s of its tokens' leases live on", m.Type, role, model.FormatCount(len(ids))),
				Evidence: ev,
				Action:   Action{Kind: RevokeLeases, Text: fmt.Sprintf("revoke these %s (and with them their tokens)", leases(len(ids)))},
			})
		}
	}
	return fs, un
}

// TokenIndex is the token store as the owners package joins it: the
// hygiene checks, the owners screen and serve all read it this way.
func TokenIndex(infos []vaultclient.AccessorInfo) *owners.Tokens {
	ts := make([]owners.Token, len(infos))
	for i, a := range infos {
		created := a.IssueTime
		if created.IsZero() {
			created = a.CreationTime
		}
		ts[i] = owners.Token{Accessor: a.Accessor, Path: a.Path, EntityID: a.EntityID, DisplayName: a.DisplayName,
			Meta: a.Meta, Policies: a.Policies, Created: created, Expires: a.ExpireTime}
	}
	return owners.NewTokens(ts)
}

// irrevocableGone lists the irrevocable leases whose mount is gone, by
// prefix. Only a force revoke removes them: no engine is left to ask.
func irrevocableGone(ctx context.Context, c Vault) ([]Finding, []Unchecked) {
	list, err := c.Irrevocable(ctx, -1)
	if err != nil {
		return nil, []Unchecked{unchecked(IrrevocableGone, "", err, "list irrevocable", "sys/leases", vaultclient.Policy{})}
	}
	byP := map[string][]vaultclient.IrrevocableLease{}
	for _, l := range list.Leases {
		if l.MountID == mountGone {
			byP[leaseid.Prefix(l.LeaseID)] = append(byP[leaseid.Prefix(l.LeaseID)], l)
		}
	}
	var fs []Finding
	for _, p := range slices.Sorted(maps.Keys(byP)) {
		ls := byP[p]
		ids := make([]string, len(ls))
		for i, l := range ls {
			ids[i] = l.LeaseID
		}
		slices.Sort(ids)
		ev := []string{fmt.Sprintf("sys/leases?type=irrevocable lists %s under %s with mount_id %s", leases(len(ids)), p, mountGone)}
		if ls[0].Error != "" {
			ev = append(ev, "the last revocation failed with: "+ls[0].Error)
		}
		fs = append(fs, Finding{
			Kind: IrrevocableGone, Severity: Critical, Prefix: p, Leases: len(ids), LeaseIDs: ids,
			Title:    fmt.Sprintf("%s irrevocable leases under %s belong to a mount that is gone", model.FormatCount(len(ids)), p),
			Evidence: ev,
			Action:   Action{Kind: ForcePrefix, Text: "force-revoke the prefix " + p + " (Vault cannot revoke them otherwise)"},
		})
	}
	return fs, nil
}

// rolePathOf is the path of the role behind the leases under prefix, on
// engines whose lease paths name it; false for any other prefix.
func rolePathOf(m vaultclient.Mount, prefix string) (path, role string, ok bool) {
	r, known := pathRoles[m.Type]
	if !known || (m.Type == "userpass") != m.Auth {
		return "", "", false
	}
	rest := strings.Split(strings.TrimSuffix(strings.TrimPrefix(prefix, m.Path), "/"), "/")
	if len(rest) != 2 || !slices.Contains(r.ops, rest[0]) || rest[1] == "" {
		return "", "", false
	}
	return m.Path + r.rolePath + "/" + rest[1], rest[1], true
}

// roleWord names what a role path holds, for titles.
func roleWord(m vaultclient.Mount) string {
	if m.Type == "userpass" {
		return "userpass user"
	}
	return m.Type + " role"
}

// mountRoot is the mount a prefix would be under: its first segment, or
// its first two for auth/.
func mountRoot(prefix string) string {
	parts := strings.SplitAfter(prefix, "/")
	if parts[0] == "auth/" && len(parts) > 1 && parts[1] != "" {
		return parts[0] + parts[1]
	}
	return parts[0]
}

// unchecked explains a read that failed: the policy line it needs when
// Vault said 403 (from leasetop's policy table, else fallback), what Vault
// answered otherwise.
func unchecked(k Kind, prefix string, err error, op, path string, fallback vaultclient.Policy) Unchecked {
	u := Unchecked{Kind: k, Prefix: prefix, Reason: err.Error()}
	// The call that failed may be another than the one named (the token
	// store's lookups after its listing): the error knows which.
	var e *vaultclient.Error
	if errors.As(err, &e) && e.Path != "" && e.Path != path {
		op, path, fallback = e.Op, e.Path, vaultclient.Policy{}
	}
	if vaultclient.KindOf(err) == vaultclient.KindPermissionDenied {
		p, ok := vaultclient.PolicyFor(op, path)
		if !ok {
			p = fallback
		}
		if p.Pattern != "" {
			u.Missing = p.Line()
		}
		u.Reason = "permission denied on " + path
	}
	return u
}

// leases is n leases in words: "1 lease", "1,204 leases".
func leases(n int) string {
	if n == 1 {
		return "1 lease"
	}
	return model.FormatCount(n) + " leases"
}
