// Package owners groups leases by who made them: the rules shared by the
// owners screen and the owners, who and revoke --owner commands. An owner
// comes from Vault's audit log (package audit); a lease without one is
// grouped by the reason, in words.
package owners

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/leasetop/leasetop/audit"
	"github.com/leasetop/leasetop/leaseid"
	"github.com/leasetop/leasetop/model"
)

// By is what leases are grouped by.
type By int

const (
	ByEntity By = iota
	ByRole
	ByMount
	ByRemote
	ByAgent
	numBy
)

var byNames = [...]string{"entity", "role", "mount", "remote", "agent"}

// String is the grouping's name as flags spell it.
func (b By) String() string { return byNames[b] }

// Words is the grouping in words, for titles.
func (b By) Words() string {
	return [...]string{"entity", "role", "auth mount", "remote address", "user agent"}[b]
}

// Next is the grouping after b, round.
func (b By) Next() By { return (b + 1) % numBy }

// ParseBy reads a grouping's name.
func ParseBy(s string) (By, error) {
	if i := slices.Index(byNames[:], s); i >= 0 {
		return By(i), nil
	}
	return 0, fmt.Errorf("unknown grouping %q: use one of %s", s, strings.Join(byNames[:], ", "))
}

// Source is what is known about owners.
type Source struct {
	// Log is the audit log's attribution; nil when no log was given.
	Log *audit.Attribution
	// Tokens is the token store, which names the owners of token leases;
	// nil when it was not read, and TokensWhy then says why in words.
	Tokens    *Tokens
	TokensWhy string
}

// Group is the owner group of one lease under one grouping.
type Group struct {
	Key   string // what every lease of the group shares
	Label string // the group in words
	Name  string // the short name typed to act on the group; "" for no owner
	Owned bool   // false: the lease has no known owner, and Label says why
}

// The groups of leases without an owner, by reason.
var (
	NoSource       = Group{Key: "!nosource", Label: "no owner: no audit log given (--vault-audit FILE, or - for stdin)"}
	TokenLease     = Group{Key: "!token", Label: "no owner: a token lease (the audit log cannot name it: its id is a salted hash)"}
	Unseen         = Group{Key: "!unseen", Label: "no owner: not in the audit log read so far"}
	TokenUnmatched = Group{Key: "!tokenunmatched", Label: "no owner: a token lease the token store cannot tell apart (or its token is gone)"}
)

func before(since time.Time) Group {
	return Group{Key: "!before", Label: "no owner: created before the audit log starts (" + since.UTC().Format("Jan 02 15:04:05 UTC") + ")"}
}

// Of is the group of the lease with this id (issued and expiring at those
// times, zero when unknown) under by, and when it was made (zero if
// unknown). A token lease's owner comes from the token store, every other
// lease's from the audit log.
func Of(id string, issued, expires time.Time, by By, src Source) (Group, time.Time) {
	if leaseid.IsToken(id) {
		if src.Tokens == nil {
			g := TokenLease
			if src.TokensWhy != "" {
				g.Label += "; token store not read: " + src.TokensWhy
			}
			return g, time.Time{}
		}
		if own, _, ok := src.Tokens.Owner(id, issued, expires); ok {
			return OfOwner(own, by), issued
		}
		return TokenUnmatched, time.Time{}
	}
	if src.Log == nil {
		return NoSource, time.Time{}
	}
	own, created, ok := src.Log.Owner(id)
	if !ok {
		since := src.Log.Since()
		switch {
		case !since.IsZero() && !issued.IsZero() && issued.Before(since):
			return before(since), time.Time{}
		}
		return Unseen, time.Time{}
	}
	return OfOwner(own, by), created
}

// OfOwner is the group of a known owner under by.
func OfOwner(own *audit.Owner, by By) Group {
	who := Name(own)
	switch by {
	case ByRole:
		for _, k := range roleKeys {
			if v := own.Metadata[k]; v != "" {
				return Group{Key: "role:" + k + "=" + v, Label: k + " " + v, Name: v, Owned: true}
			}
		}
		return Group{Key: "role:?" + own.DisplayName, Label: own.DisplayName + " (no role in its metadata)", Name: own.DisplayName, Owned: true}
	case ByMount:
		m, _, _ := strings.Cut(own.DisplayName, "-")
		return Group{Key: "mount:" + m, Label: "auth/" + m + "/", Name: m, Owned: true}
	case ByRemote:
		if own.RemoteAddr == "" {
			return Group{Key: "remote:", Label: "(no remote address)", Owned: true}
		}
		return Group{Key: "remote:" + own.RemoteAddr, Label: own.RemoteAddr, Name: own.RemoteAddr, Owned: true}
	case ByAgent:
		if own.UserAgent == "" {
			return Group{Key: "agent:", Label: "(user agent not in the audit log)", Owned: true}
		}
		return Group{Key: "agent:" + own.UserAgent, Label: own.UserAgent, Name: own.UserAgent, Owned: true}
	}
	label := own.DisplayName
	if who != own.DisplayName {
		label += " " + who
	}
	if own.EntityID == "" {
		return Group{Key: "dn:" + own.DisplayName + "\x00" + who, Label: label + " (no entity)", Name: who, Owned: true}
	}
	return Group{Key: "entity:" + own.EntityID, Label: label + " · entity " + own.EntityID, Name: who, Owned: true}
}

// roleKeys are the metadata keys that name a client, most telling first:
// AppRole's role, userpass's user, JWT/OIDC and Kubernetes roles.
var roleKeys = []string{"role_name", "username", "role", "service_account_name"}

// Name is the short name of an owner: its role or user name when its
// metadata has one, else its display name.
func Name(o *audit.Owner) string {
	for _, k := range roleKeys {
		if v := o.Metadata[k]; v != "" {
			return v
		}
	}
	return o.DisplayName
}

// Words is an owner on one line: display name, entity, metadata.
func Words(o *audit.Owner) string {
	parts := []string{o.DisplayName}
	if o.EntityID != "" {
		parts = append(parts, "entity "+o.EntityID)
	}
	keys := make([]string, 0, len(o.Metadata))
	for k := range o.Metadata {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		parts = append(parts, k+"="+o.Metadata[k])
	}
	return strings.Join(parts, " · ")
}

// Row is one owner group with what its leases add up to.
type Row struct {
	Group
	Count   int
	Soonest time.Time // the soonest expiry; zero when none expires
	Recent  int       // leases the log says were made within the recent window
}

// Rollup groups the live leases under prefix by owner: owners first, most
// leases first, then the groups without an owner. total is every lease.
func Rollup(idx *model.Index, prefix string, by By, src Source, now time.Time, recent time.Duration) (rows []Row, total int) {
	at := map[string]int{}
	idx.Each(prefix, func(l *model.Lease) {
		g, created := Of(l.ID(), l.IssueTime(), l.ExpireTime(), by, src)
		i, ok := at[g.Key]
		if !ok {
			i = len(rows)
			at[g.Key] = i
			rows = append(rows, Row{Group: g})
		}
		r := &rows[i]
		r.Count++
		total++
		if l.HasExpiry() && (r.Soonest.IsZero() || l.ExpireTime().Before(r.Soonest)) {
			r.Soonest = l.ExpireTime()
		}
		if !created.IsZero() && now.Sub(created) <= recent {
			r.Recent++
		}
	})
	slices.SortFunc(rows, func(a, b Row) int {
		if a.Owned != b.Owned {
			if a.Owned {
				return -1
			}
			return 1
		}
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Label, b.Label)
	})
	return rows, total
}

// Leases are the ids of the live leases under prefix in the group key,
// sorted: what an action on an owner is bound to.
func Leases(idx *model.Index, prefix string, by By, src Source, key string) []string {
	var ids []string
	idx.Each(prefix, func(l *model.Lease) {
		if g, _ := Of(l.ID(), l.IssueTime(), l.ExpireTime(), by, src); g.Key == key {
			ids = append(ids, l.ID())
		}
	})
	slices.Sort(ids)
	return ids
}
