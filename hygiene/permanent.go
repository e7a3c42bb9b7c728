package hygiene

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/vaultclient"
)

// DefaultPermanentAfter is the lease duration from which a lease counts as
// effectively permanent: beyond Vault's own default maximum (32 days, the
// 768h of max_lease_ttl) a credential outlives most rotations.
const DefaultPermanentAfter = 30 * 24 * time.Hour

// atMaxSlack is how close to its mount's max_lease_ttl a lease's duration
// must be to count as granted the maximum: Vault measures both from
// instants a request apart.
const atMaxSlack = time.Minute

// FindPermanent finds the leases that are effectively permanent: they never
// expire, or were granted a duration of at least after (from their issue
// or last renewal to their expiry). Each prefix that holds some is one
// finding, which says whether its mount's max_lease_ttl is what allowed
// them. Leases not looked up are left out: their TTL is unknown.
func FindPermanent(ctx context.Context, c Vault, ls *Leases, after time.Duration) ([]Finding, []Unchecked) {
	if after <= 0 {
		after = DefaultPermanentAfter
	}
	if ls == nil {
		return nil, nil
	}
	type group struct {
		ids              []string
		never            int
		longest, atLeast time.Duration
	}
	groups := map[string]*group{}
	for p, leases := range ls.ByPrefix {
		for _, l := range leases {
			if !l.Known {
				continue
			}
			d, never := grant(l)
			if !never && d < after {
				continue
			}
			g := groups[p]
			if g == nil {
				g = &group{atLeast: d}
				groups[p] = g
			}
			g.ids = append(g.ids, p+l.Key)
			if never {
				g.never++
				continue
			}
			g.longest, g.atLeast = max(g.longest, d), min(g.atLeast, d)
		}
	}
	if len(groups) == 0 {
		return nil, nil
	}
	var fs []Finding
	var un []Unchecked
	mounts, mountsErr := c.Mounts(ctx)
	if mountsErr != nil {
		un = append(un, unchecked(Permanent, "", mountsErr, "read mounts", "sys/mounts", vaultclient.Policy{}))
	}
	tunes := map[string]vaultclient.MountTTLs{}
	for _, p := range slices.Sorted(maps.Keys(groups)) {
		g := groups[p]
		slices.Sort(g.ids)
		long := len(g.ids) - g.never
		var ev []string
		title := ""
		switch {
		case g.never == len(g.ids):
			title = fmt.Sprintf("no expiry: %s under %s", leases(g.never), p)
			ev = append(ev, fmt.Sprintf("%s without an expire_time", leases(g.never)))
		default:
			title = fmt.Sprintf("granted %s or more: %s under %s", model.FormatDuration(g.atLeast), leases(long), p)
			granted := "granted " + model.FormatDuration(g.atLeast)
			if g.longest > g.atLeast+time.Second {
				granted = fmt.Sprintf("granted between %s and %s", model.FormatDuration(g.atLeast), model.FormatDuration(g.longest))
			}
			ev = append(ev, fmt.Sprintf("%s %s (threshold %s)", leases(long), granted, model.FormatDuration(after)))
			if g.never > 0 {
				ev = append(ev, fmt.Sprintf("and %s that never expire", leases(g.never)))
			}
		}
		advice := "shorten the TTL the clients ask for, or the role's max_ttl"
		if long == 0 && strings.HasPrefix(p, "auth/") {
			advice = "tokens that never expire: revoke each once it is unused (vault token revoke), and give their roles a token_max_ttl"
		}
		if m, ok := vaultclient.MountOf(mounts, p); ok && long > 0 {
			t, seen := tunes[m.Path]
			if !seen {
				var err error
				if t, err = c.TuneOf(ctx, m); err != nil {
					tunePath := "sys/mounts/" + m.Path + "tune"
					if m.Auth {
						tunePath = "sys/" + m.Path + "tune"
					}
					un = append(un, unchecked(Permanent, p, err, "read tune", tunePath, vaultclient.Policy{}))
				}
				tunes[m.Path] = t
			}
			if t.Max > 0 {
				ev = append(ev, fmt.Sprintf("mount %s allows up to %s (max_lease_ttl)", m.Path, model.FormatDuration(t.Max)))
				if g.longest >= t.Max-atMaxSlack {
					title = fmt.Sprintf("granted up to the mount's maximum (%s): %s under %s", model.FormatDuration(t.Max), leases(long), p)
				}
				if t.Max > after {
					advice = fmt.Sprintf("lower the mount's maximum: vault %s tune -max-lease-ttl=%s %s",
						map[bool]string{false: "secrets", true: "auth"}[m.Auth], hours(after), trimAuth(m))
				}
			}
		}
		fs = append(fs, Finding{
			Kind: Permanent, Severity: Warning, Prefix: p, Leases: len(g.ids), LeaseIDs: g.ids,
			Title: title, Evidence: ev, Action: Action{Kind: NoAction, Text: advice},
		})
	}
	return fs, un
}

// grant is the duration Vault last granted l: from its last renewal (else
// its issue) to its expiry; never is true for a lease with no expiry.
func grant(l Lease) (d time.Duration, never bool) {
	if l.expires == 0 {
		return 0, true
	}
	from := max(l.issued, l.renewed)
	return time.Duration(l.expires - from), false
}

// hours writes d as Vault's CLI takes it, in whole hours.
func hours(d time.Duration) string { return fmt.Sprintf("%dh", int(d/time.Hour)) }

// trimAuth is a mount's path as `vault secrets|auth tune` takes it.
func trimAuth(m vaultclient.Mount) string {
	p := m.Path
	if m.Auth {
		p = p[len("auth/"):]
	}
	return p
}
