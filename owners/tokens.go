package owners

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/leasetop/leasetop/audit"
	"github.com/leasetop/leasetop/leaseid"
)

// Token leases (auth/<mount>/login/h<hash>, auth/token/create/h<hash>) have
// ids that are salted hashes of the token, so the audit log cannot name
// their owners. The token store can: a token lease's lookup gives the
// token's issue time and expiry, and the token's lookup (by accessor) gives
// the same two times beside its path, entity, display name and metadata.
// Tokens joins the two, and refuses whenever the join is not certain.

// Token is one token as the token store describes it (the caller converts
// vaultclient.AccessorInfo, so that this package stays free of HTTP).
type Token struct {
	Accessor    string
	Path        string // the path that created it: "auth/approle/login", "auth/userpass/login/alice"
	EntityID    string
	DisplayName string
	Meta        map[string]string
	Policies    []string
	// Created is when the token was made: its issue_time to the nanosecond
	// when Vault gives it (AccessorInfo.IssueTime), else its creation_time
	// in whole seconds (AccessorInfo.CreationTime).
	Created time.Time
	// Expires is the token's expiry (moved by renewals); zero for a token
	// that never expires.
	Expires time.Time
}

// Windows of the join. creation_time is whole seconds while a lease's
// issue_time has nanoseconds, hence a second either way; an expiry may be
// read a moment apart on each side, hence two.
//
// issueLag is how long after its token a lease may be issued: Vault makes
// the token, then registers its lease. A token made at 35.9996 s whose
// lease was issued at 36.0006 s has a creation_time of 35, more than a
// second before the issue_time (seen on a real Vault under load).
const (
	createdSlack = time.Second
	expiresSlack = 2 * time.Second
	issueLag     = 250 * time.Millisecond
)

// Tokens is an index of tokens by creation path, each path's tokens sorted
// by creation time. It is read-only once built and safe for concurrent use.
type Tokens struct {
	byPath map[string][]Token
	n      int
}

// NewTokens indexes tokens. It keeps its own copy of the slice (not of the
// maps and slices inside each Token, which callers must not change).
func NewTokens(tokens []Token) *Tokens {
	t := &Tokens{byPath: map[string][]Token{}, n: len(tokens)}
	for _, tok := range tokens {
		if len(tok.Meta) == 0 {
			tok.Meta = nil
		}
		t.byPath[tok.Path] = append(t.byPath[tok.Path], tok)
	}
	for _, ts := range t.byPath {
		slices.SortStableFunc(ts, func(a, b Token) int { return a.Created.Compare(b.Created) })
	}
	return t
}

// Len is how many tokens the index holds.
func (t *Tokens) Len() int {
	if t == nil {
		return 0
	}
	return t.n
}

// Match finds the token behind the token lease leaseID, given the lease's
// issue time and expiry (zero: never expires) from its lookup. The
// candidates are the tokens made by the lease's path within a second of
// issued; the one candidate whose Created equals issued to the nanosecond
// (when issued has nanoseconds), or else whose Expires equals expires to
// the nanosecond, is the token. Otherwise those whose expiry is
// within two seconds of expires are kept, or, when none is (a renewal
// between the two lookups moved it), all of them. Several candidates are
// one answer only when they share entity, display name and metadata: the
// owner is then known but not which of its tokens it was, and the returned
// Token has no Accessor. Anything else is false: never a wrong owner.
func (t *Tokens) Match(leaseID string, issued, expires time.Time) (Token, bool) {
	if t == nil || !leaseid.IsToken(leaseID) || issued.IsZero() {
		return Token{}, false
	}
	path := strings.TrimSuffix(leaseid.Prefix(leaseID), "/")
	ts := t.byPath[path]
	lo, _ := slices.BinarySearchFunc(ts, issued.Add(-createdSlack-issueLag), func(tok Token, at time.Time) int {
		return tok.Created.Compare(at)
	})
	hi := lo
	for hi < len(ts) && !ts[hi].Created.After(issued.Add(createdSlack)) {
		hi++
	}
	cands := ts[lo:hi]
	if len(cands) == 0 {
		return Token{}, false
	}
	// Times to the nanosecond are the token's own: Vault gives a token lease
	// the token's issue_time and expire_time.
	if i, ok := only(cands, func(c Token) bool { return issued.Nanosecond() != 0 && c.Created.Equal(issued) }); ok {
		return cands[i], true
	}
	if i, ok := only(cands, func(c Token) bool { return expires.Nanosecond() != 0 && c.Expires.Equal(expires) }); ok {
		return cands[i], true
	}
	anyExpiry := slices.ContainsFunc(cands, func(c Token) bool { return expiresNear(c.Expires, expires) })
	first, n := -1, 0
	for i, c := range cands {
		if anyExpiry && !expiresNear(c.Expires, expires) {
			continue
		}
		n++
		if first < 0 {
			first = i
			continue
		}
		f := &cands[first]
		if c.EntityID != f.EntityID || c.DisplayName != f.DisplayName || !maps.Equal(c.Meta, f.Meta) {
			return Token{}, false
		}
	}
	tok := cands[first]
	if n > 1 {
		tok.Accessor = ""
	}
	return tok, true
}

// only is the index of the one token that is, if exactly one is.
func only(ts []Token, is func(Token) bool) (int, bool) {
	at := -1
	for i, t := range ts {
		if is(t) {
			if at >= 0 {
				return -1, false
			}
			at = i
		}
	}
	return at, at >= 0
}

// expiresNear: both never expire, or both expire within the slack.
func expiresNear(a, b time.Time) bool {
	if a.IsZero() || b.IsZero() {
		return a.IsZero() && b.IsZero()
	}
	d := a.Sub(b)
	return -expiresSlack <= d && d <= expiresSlack
}

// Owner is the owner of the token lease leaseID (see Match) as the audit
// log would have named it: entity, display name, metadata and policies of
// the token, and its creation path as Path. accessor is the token's, or ""
// when several tokens of that owner fit. Callers must not change the
// owner's map and slice, which are the token's.
func (t *Tokens) Owner(leaseID string, issued, expires time.Time) (own *audit.Owner, accessor string, ok bool) {
	tok, ok := t.Match(leaseID, issued, expires)
	if !ok {
		return nil, "", false
	}
	return tok.AsOwner(), tok.Accessor, true
}

// Each calls fn for every token.
func (t *Tokens) Each(fn func(Token)) {
	if t == nil {
		return
	}
	for _, ts := range t.byPath {
		for _, tok := range ts {
			fn(tok)
		}
	}
}

// AsOwner is the token's owner as the audit log would name it.
func (tok Token) AsOwner() *audit.Owner {
	return &audit.Owner{EntityID: tok.EntityID, DisplayName: tok.DisplayName, Metadata: tok.Meta, Policies: tok.Policies, Path: tok.Path}
}

// Accessors are the accessors of the tokens whose owner falls in the
// group key under by, sorted: what revoking an owner's tokens is bound to.
func (t *Tokens) Accessors(by By, key string) []string {
	var out []string
	t.Each(func(tok Token) {
		if tok.Accessor != "" && OfOwner(tok.AsOwner(), by).Key == key {
			out = append(out, tok.Accessor)
		}
	})
	slices.Sort(out)
	return out
}
