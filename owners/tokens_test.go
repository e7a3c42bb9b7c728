package owners

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/leasetop/leasetop/internal/vaulttest"
	"github.com/leasetop/leasetop/vaultclient"
)

var tokT0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func tokAt(secs float64) time.Time { return tokT0.Add(time.Duration(secs * float64(time.Second))) }

func approle(acc, role string, created, expires time.Time) Token {
	return Token{Accessor: acc, Path: "auth/approle/login", EntityID: "ent-" + role, DisplayName: "approle",
		Meta: map[string]string{"role_name": role}, Policies: []string{"default", role}, Created: created, Expires: expires}
}

func userpass(acc, user string, created, expires time.Time) Token {
	return Token{Accessor: acc, Path: "auth/userpass/login/" + user, EntityID: "ent-" + user, DisplayName: "userpass-" + user,
		Meta: map[string]string{"username": user}, Created: created, Expires: expires}
}

const tokHash = "/h6b9e2a1251369fc573e191ebc3cdd1ce9a003b2fe0ab5711d0528442f73fe785"

func TestTokensMatch(t *testing.T) {
	h := time.Hour
	toks := NewTokens([]Token{
		// Two roles log in within the same second (creation_time is whole
		// seconds), with the same TTL: nothing tells them apart.
		approle("a-billing-0", "billing", tokAt(0), tokAt(0).Add(h)),
		approle("a-ci-0", "ci", tokAt(0), tokAt(0).Add(h)),
		// The same second again, but the roles' TTLs differ: expiry decides.
		approle("a-billing-10", "billing", tokAt(10), tokAt(10).Add(2*h)),
		approle("a-ci-10", "ci", tokAt(10), tokAt(10).Add(h)),
		// Alone in its second, later renewed.
		userpass("u-alice-20", "alice", tokAt(20), tokAt(20).Add(h)),
		// Two tokens of one owner in one second: the owner is known, the token not.
		userpass("u-alice-30a", "alice", tokAt(30), tokAt(30).Add(h)),
		userpass("u-alice-30b", "alice", tokAt(30), tokAt(30).Add(h)),
		// Issue times to the nanosecond (lookup-accessor's issue_time).
		approle("a-billing-40", "billing", tokAt(40.123456789), tokAt(40.123456789).Add(h)),
		approle("a-ci-40", "ci", tokAt(40.5), tokAt(40.5).Add(h)),
		// Whole-second creation times, but expiries to the nanosecond.
		approle("a-billing-60", "billing", tokAt(60), tokAt(60.25).Add(h)),
		approle("a-ci-60", "ci", tokAt(60), tokAt(60.75).Add(h)),
		// Billing's token in one second, ci's in the next, same TTL: a lease
		// issued just past the boundary may be either.
		approle("a-billing-70", "billing", tokAt(70), tokAt(70).Add(h)),
		approle("a-ci-71", "ci", tokAt(71), tokAt(71).Add(h)),
		// The root token never expires.
		{Accessor: "root", Path: "auth/token/create", DisplayName: "root", Policies: []string{"root"}, Created: tokAt(-3600)},
		// Same path and second as root, other owner, with an expiry.
		{Accessor: "tok-ci", Path: "auth/token/create", EntityID: "ent-ci", DisplayName: "token", Created: tokAt(-3600), Expires: tokAt(-3600).Add(h)},
		// A nested auth mount path.
		{Accessor: "k8s", Path: "auth/k8s/prod/login", EntityID: "ent-sa", DisplayName: "k8s-prod-sa", Meta: map[string]string{"service_account_name": "sa"}, Created: tokAt(50), Expires: tokAt(50).Add(h)},
	})
	if toks.Len() != 16 {
		t.Errorf("Len = %d", toks.Len())
	}
	tests := []struct {
		name     string
		id       string
		issued   time.Time
		expires  time.Time
		accessor string // "" with ok: the owner without the token
		entity   string
		ok       bool
	}{
		{"same second, other role, same TTL: ambiguous", "auth/approle/login" + tokHash, tokAt(0.4), tokAt(0.4).Add(h), "", "", false},
		{"same second, TTLs differ: billing", "auth/approle/login" + tokHash, tokAt(10.7), tokAt(10.7).Add(2 * h), "a-billing-10", "ent-billing", true},
		{"same second, TTLs differ: ci", "auth/approle/login" + tokHash, tokAt(10.7), tokAt(10.7).Add(h), "a-ci-10", "ent-ci", true},
		{"alone in its second", "auth/userpass/login/alice" + tokHash, tokAt(20.9), tokAt(20.9).Add(h), "u-alice-20", "ent-alice", true},
		{"renewed between the lookups: creation alone", "auth/userpass/login/alice" + tokHash, tokAt(20.9), tokAt(20.9).Add(3 * h), "u-alice-20", "ent-alice", true},
		{"expiry within two seconds", "auth/userpass/login/alice" + tokHash, tokAt(20.2), tokAt(20).Add(h + 1900*time.Millisecond), "u-alice-20", "ent-alice", true},
		{"one owner, two tokens: owner without accessor", "auth/userpass/login/alice" + tokHash, tokAt(30.5), tokAt(30.5).Add(h), "", "ent-alice", true},
		{"nanosecond issue time: billing", "auth/approle/login" + tokHash, tokAt(40.123456789), tokAt(40.123456789).Add(h), "a-billing-40", "ent-billing", true},
		{"nanosecond issue time: ci", "auth/approle/login" + tokHash, tokAt(40.5), tokAt(40.5).Add(h), "a-ci-40", "ent-ci", true},
		{"nanoseconds that match neither: ambiguous", "auth/approle/login" + tokHash, tokAt(40.3), tokAt(40.3).Add(h), "", "", false},
		{"expiry to the nanosecond: billing", "auth/approle/login" + tokHash, tokAt(60.25), tokAt(60.25).Add(h), "a-billing-60", "ent-billing", true},
		{"expiry to the nanosecond: ci", "auth/approle/login" + tokHash, tokAt(60.75), tokAt(60.75).Add(h), "a-ci-60", "ent-ci", true},
		{"expiry near both: ambiguous", "auth/approle/login" + tokHash, tokAt(60.5), tokAt(60.5).Add(h), "", "", false},
		{"root: never expires", "auth/token/create" + tokHash, tokAt(-3600 + 0.25), time.Time{}, "root", "", true},
		{"token create with expiry", "auth/token/create" + tokHash, tokAt(-3600 + 0.25), tokAt(-3600).Add(h), "tok-ci", "ent-ci", true},
		{"nested mount", "auth/k8s/prod/login" + tokHash, tokAt(50.01), tokAt(50).Add(h), "k8s", "ent-sa", true},
		{"a second late still matches", "auth/k8s/prod/login" + tokHash, tokAt(51), tokAt(50).Add(h), "k8s", "ent-sa", true},
		{"issued just past the next second (the token made just before it)", "auth/k8s/prod/login" + tokHash, tokAt(51.0006), tokAt(50).Add(h), "k8s", "ent-sa", true},
		{"billing's lease issued across a second's boundary, ci's token in that next second: ambiguous, never ci", "auth/approle/login" + tokHash, tokAt(71.0006), tokAt(71.0006).Add(h), "", "", false},
		{"more than a second late: none", "auth/k8s/prod/login" + tokHash, tokAt(51.5), tokAt(50).Add(h), "", "", false},
		{"more than a second early: none", "auth/k8s/prod/login" + tokHash, tokAt(48.9), tokAt(50).Add(h), "", "", false},
		{"other path: none", "auth/approle2/login" + tokHash, tokAt(10.7), tokAt(10.7).Add(h), "", "", false},
		{"parent path: none", "auth/userpass/login" + tokHash, tokAt(20.9), tokAt(20.9).Add(h), "", "", false},
		{"not a token lease", "secret/app/db/erSXNN7rPW155sF0XsIVqsxt", tokAt(20.9), tokAt(20.9).Add(h), "", "", false},
		{"issue time unknown", "auth/userpass/login/alice" + tokHash, time.Time{}, tokAt(20.9).Add(h), "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, ok := toks.Match(tt.id, tt.issued, tt.expires)
			if ok != tt.ok || tok.Accessor != tt.accessor || tok.EntityID != tt.entity {
				t.Errorf("Match = %+v, %v; want accessor %q entity %q, %v", tok, ok, tt.accessor, tt.entity, tt.ok)
			}
			own, acc, ok := toks.Owner(tt.id, tt.issued, tt.expires)
			if ok != tt.ok || acc != tt.accessor || ok && (own.EntityID != tt.entity || own.DisplayName != tok.DisplayName ||
				own.Path+"/" != tt.id[:len(own.Path)+1] || !slices.Equal(own.Policies, tok.Policies)) || !ok && own != nil {
				t.Errorf("Owner = %+v, %q, %v", own, acc, ok)
			}
		})
	}
}

// The owner a token gives groups like the audit log's owner of the same
// client, so token leases and the leases made with them land together.
func TestTokenOwnerGroupsLikeTheAuditLog(t *testing.T) {
	toks := NewTokens([]Token{approle("a", "billing", tokAt(0), tokAt(3600)), userpass("u", "alice", tokAt(5), tokAt(3605))})
	own, _, ok := toks.Owner("auth/approle/login"+tokHash, tokAt(0.5), tokAt(3600))
	if !ok {
		t.Fatal("no owner")
	}
	for by, want := range map[By]string{ByEntity: "entity:ent-billing", ByRole: "role:role_name=billing", ByMount: "mount:approle"} {
		if g := OfOwner(own, by); g.Key != want || g.Name != "billing" && by != ByMount {
			t.Errorf("OfOwner(%v) = %+v, want key %s", by, g, want)
		}
	}
	if own, _, _ := toks.Owner("auth/userpass/login/alice"+tokHash, tokAt(5), tokAt(3605)); Name(own) != "alice" {
		t.Errorf("Name = %q", Name(own))
	}
}

func TestTokensEmptyAndNil(t *testing.T) {
	var nilTokens *Tokens
	if _, ok := nilTokens.Match("auth/approle/login"+tokHash, tokAt(0), tokAt(1)); ok || nilTokens.Len() != 0 {
		t.Error("a nil index matches nothing")
	}
	if _, _, ok := NewTokens(nil).Owner("auth/approle/login"+tokHash, tokAt(0), tokAt(1)); ok {
		t.Error("an empty index matches nothing")
	}
	// Empty metadata is nil, as in audit.Owner.
	toks := NewTokens([]Token{{Accessor: "x", Path: "auth/token/create", Meta: map[string]string{}, Created: tokAt(0)}})
	if own, _, ok := toks.Owner("auth/token/create"+tokHash, tokAt(0), time.Time{}); !ok || own.Metadata != nil {
		t.Errorf("Owner = %+v, %v", own, ok)
	}
}

// benchEstate is n tokens over a day on 20 login paths (some roles sharing
// a path), and the n leases they made, issue times to the nanosecond or, with
// secs, tokens known to the second only.
func benchEstate(n int, secs bool) (*Tokens, []Token) {
	r := rand.New(rand.NewPCG(1, 2))
	toks := make([]Token, n)
	for i := range toks {
		created := tokT0.Add(time.Duration(r.Int64N(int64(24 * time.Hour))))
		role := fmt.Sprintf("role-%d", r.IntN(200))
		toks[i] = approle(fmt.Sprintf("acc-%d", i), role, created, created.Add(time.Duration(1+r.IntN(4))*time.Hour))
		toks[i].Path = fmt.Sprintf("auth/approle-%d/login", r.IntN(20))
	}
	idx := toks
	if secs {
		idx = slices.Clone(toks)
		for i := range idx {
			idx[i].Created = idx[i].Created.Truncate(time.Second)
		}
	}
	return NewTokens(idx), toks
}

func BenchmarkTokensMatch100k(b *testing.B) {
	for _, secs := range []bool{false, true} {
		b.Run(fmt.Sprintf("seconds=%v", secs), func(b *testing.B) {
			const n = 100_000
			toks, leases := benchEstate(n, secs)
			ids := make([]string, n)
			for i, l := range leases {
				ids[i] = l.Path + tokHash
			}
			var matched, exact int
			for b.Loop() {
				matched, exact = 0, 0
				for i, l := range leases {
					if tok, ok := toks.Match(ids[i], l.Created, l.Expires); ok {
						matched++
						if tok.Accessor == l.Accessor {
							exact++
						} else if tok.Accessor != "" || tok.EntityID != l.EntityID {
							b.Fatalf("lease of %s matched %s (%s)", l.Accessor, tok.Accessor, tok.EntityID)
						}
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/lease")
			b.ReportMetric(float64(matched)/n*100, "%matched")
			b.ReportMetric(float64(exact)/n*100, "%token")
		})
	}
}

func BenchmarkNewTokens100k(b *testing.B) {
	_, toks := benchEstate(100_000, false)
	for b.Loop() {
		NewTokens(toks)
	}
}

// fromStore converts the token store's tokens; nanos chooses issue_time (to
// the nanosecond) over creation_time (whole seconds) as Created.
func fromStore(infos []vaultclient.AccessorInfo, nanos bool) []Token {
	out := make([]Token, 0, len(infos))
	for _, in := range infos {
		created := in.CreationTime
		if nanos && !in.IssueTime.IsZero() {
			created = in.IssueTime
		}
		out = append(out, Token{Accessor: in.Accessor, Path: in.Path, EntityID: in.EntityID, DisplayName: in.DisplayName,
			Meta: in.Meta, Policies: in.Policies, Created: created, Expires: in.ExpireTime})
	}
	return out
}

// On a real Vault: two AppRole roles and two users log in several times at
// once (on one AppRole mount, so many logins of different roles share a
// path and a second), and one token is renewed after its lease was looked
// up. Every token lease must be matched to the token that made it, or (with
// creation times in whole seconds) to nobody, never to a wrong one. The
// truth comes from Vault: each token is revoked by accessor in turn and the
// one lease that vanishes with it is its lease.
func TestTokensMatchOnARealVault(t *testing.T) {
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := env.Client(t, "", vaultclient.Config{})
	type login struct {
		who  string
		make func() ([]string, error)
	}
	logins := []login{
		{"billing", func() ([]string, error) { return env.Seed.AppRole(ctx, "approle", "billing", time.Hour, 6) }},
		{"ci", func() ([]string, error) { return env.Seed.AppRole(ctx, "approle", "ci", time.Hour, 6) }},
		{"alice", func() ([]string, error) { return env.Seed.Userpass(ctx, "userpass", "alice", time.Hour, 4) }},
		{"bob", func() ([]string, error) { return env.Seed.Userpass(ctx, "userpass", "bob", time.Hour, 4) }},
	}
	// Mounts first, so the concurrent logins below do not race to enable them.
	if _, err := env.Seed.AppRole(ctx, "approle", "setup", time.Hour, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Seed.Userpass(ctx, "userpass", "setup", time.Hour, 0); err != nil {
		t.Fatal(err)
	}
	tokens := make([][]string, len(logins))
	var wg sync.WaitGroup
	for i, l := range logins {
		wg.Go(func() {
			var err error
			if tokens[i], err = l.make(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	whoOf := map[string]string{} // accessor -> actor
	var renewed string
	for i, toks := range tokens {
		for _, tok := range toks {
			self, err := env.Client(t, tok, vaultclient.Config{}).Self(ctx)
			if err != nil {
				t.Fatal(err)
			}
			whoOf[self.Accessor] = logins[i].who
			if renewed == "" {
				renewed = tok
			}
		}
	}
	self, err := c.Self(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rootAcc := self.Accessor

	leases := map[string]vaultclient.Lease{}
	for ev := range c.Walk(ctx, "auth/", vaultclient.WalkOptions{}) {
		switch ev.Kind {
		case vaultclient.EventLease:
			leases[ev.Lease.ID] = ev.Lease
		case vaultclient.EventError:
			t.Fatal(ev.Err)
		}
	}
	if len(leases) != len(whoOf)+1 {
		t.Fatalf("%d token leases for %d logins and the root token", len(leases), len(whoOf))
	}
	// A renewal between the lease's lookup and the token's moves the expiry.
	rc := env.Client(t, renewed, vaultclient.Config{}).API()
	if _, err := rc.Auth().Token().RenewSelfWithContext(ctx, 7200); err != nil {
		t.Fatal(err)
	}
	infos, err := c.Tokens(ctx, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	info := map[string]vaultclient.AccessorInfo{}
	for _, in := range infos {
		info[in.Accessor] = in
	}

	// The truth: revoke each login's token and see which lease goes.
	truth := map[string]string{} // lease id -> accessor
	left := maps.Clone(leases)
	for acc := range whoOf {
		if err := c.RevokeAccessor(ctx, acc); err != nil {
			t.Fatal(err)
		}
		var gone []string
		for id := range left {
			if _, err := c.Lookup(ctx, id); errors.Is(err, vaultclient.ErrInvalidLease) {
				gone = append(gone, id)
			} else if err != nil {
				t.Fatal(err)
			}
		}
		if len(gone) != 1 {
			t.Fatalf("revoking %s (%s) removed leases %v, want one", acc, whoOf[acc], gone)
		}
		truth[gone[0]] = acc
		delete(left, gone[0])
	}
	for id := range left {
		truth[id] = rootAcc
	}

	var sameIssue, sameExpiry int
	for id, l := range leases {
		in := info[truth[id]]
		if l.IssueTime.Equal(in.IssueTime) {
			sameIssue++
		}
		if l.ExpireTime.Equal(in.ExpireTime) {
			sameExpiry++
		}
		// The token is made a moment before its lease is issued, so its
		// creation_time (whole seconds) is the issue_time's second or,
		// across a second's boundary, the one before.
		if sec := l.IssueTime.Truncate(time.Second); !in.CreationTime.Equal(sec) && !in.CreationTime.Equal(sec.Add(-time.Second)) {
			t.Errorf("%s: creation_time %v is neither its lease's issue_time %v to the second nor the second before", in.Accessor, in.CreationTime, l.IssueTime)
		}
	}
	t.Logf("%d token leases: issue_time equal to the nanosecond for %d, expire_time for %d (one token renewed in between)", len(leases), sameIssue, sameExpiry)
	if sameIssue != len(leases) {
		t.Errorf("the token's issue_time is not its lease's for %d leases", len(leases)-sameIssue)
	}

	for _, nanos := range []bool{true, false} {
		idx := NewTokens(fromStore(infos, nanos))
		var exact, ownerOnly, none int
		for id, l := range leases {
			want := info[truth[id]]
			own, acc, ok := idx.Owner(id, l.IssueTime, l.ExpireTime)
			switch {
			case !ok:
				none++
			case acc == want.Accessor:
				exact++
			case acc == "" && own.EntityID == want.EntityID && own.DisplayName == want.DisplayName && maps.Equal(own.Metadata, want.Meta):
				ownerOnly++
			default:
				t.Errorf("nanos=%v: lease %s of %s (%s) attributed to %s %+v", nanos, id, want.Accessor, whoOf[want.Accessor], acc, own)
			}
		}
		t.Logf("nanos=%v: %d leases to their token, %d to their owner only, %d to nobody", nanos, exact, ownerOnly, none)
		if nanos && exact != len(leases) {
			t.Errorf("with issue times to the nanosecond every lease must find its token: %d of %d did", exact, len(leases))
		}
	}
}
