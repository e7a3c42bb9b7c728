package owners

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leasetop/leasetop/audit"
	"github.com/leasetop/leasetop/model"
)

var now = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func estate(t *testing.T) (*model.Index, Source) {
	t.Helper()
	idx := model.NewIndex()
	idx.ApplyListing("", []string{"auth/", "secret/"}, nil, now)
	idx.ApplyListing("auth/", []string{"auth/approle/"}, nil, now)
	idx.ApplyListing("auth/approle/", []string{"auth/approle/login/"}, nil, now)
	idx.ApplyListing("auth/approle/login/", nil, []string{"auth/approle/login/h1"}, now)
	idx.ApplyListing("secret/", []string{"secret/a/"}, nil, now)
	idx.ApplyListing("secret/a/", nil, []string{"secret/a/1", "secret/a/2", "secret/a/3", "secret/a/old", "secret/a/new"}, now)
	for id, ttl := range map[string]time.Duration{"secret/a/1": time.Hour, "secret/a/2": time.Minute, "secret/a/3": 2 * time.Hour, "secret/a/new": time.Hour} {
		idx.ApplyLease(model.LeaseInfo{ID: id, IssueTime: now.Add(-time.Minute), ExpireTime: now.Add(ttl), Renewable: true, TTL: ttl})
	}
	idx.ApplyLease(model.LeaseInfo{ID: "secret/a/old", IssueTime: now.Add(-48 * time.Hour), ExpireTime: now.Add(time.Hour), TTL: time.Hour})
	log := audit.NewAttribution()
	app := &audit.Owner{EntityID: "e1", DisplayName: "approle", Metadata: map[string]string{"role_name": "billing"}, RemoteAddr: "10.0.0.1", UserAgent: "curl/8"}
	bob := &audit.Owner{EntityID: "e2", DisplayName: "userpass-bob", Metadata: map[string]string{"username": "bob"}, RemoteAddr: "10.0.0.1"}
	log.AddAll([]audit.Entry{
		{LeaseID: "secret/a/1", Time: now.Add(-time.Minute), Owner: app},
		{LeaseID: "secret/a/2", Time: now.Add(-time.Hour), Owner: app},
		{LeaseID: "secret/a/3", Time: now.Add(-2 * time.Minute), Owner: bob},
	})
	return idx, Source{Log: log}
}

func TestRollupGroupsByEachGrouping(t *testing.T) {
	idx, src := estate(t)
	tests := []struct {
		by   By
		want []string // label:count:recent, in order
	}{
		{ByEntity, []string{"approle billing · entity e1:2:1", "userpass-bob bob · entity e2:1:1", "no owner: a token lease (the audit log cannot name it: its id is a salted hash):1:0", "no owner: created before the audit log starts (Nov 26 11:00:00 UTC):1:0", "no owner: not in the audit log read so far:1:0"}},
		{ByRole, []string{"role_name billing:2:1", "username bob:1:1"}},
		{ByMount, []string{"auth/approle/:2:1", "auth/userpass/:1:1"}},
		{ByRemote, []string{"10.0.0.1:3:2"}},
		{ByAgent, []string{"curl/8:2:1", "(user agent not in the audit log):1:1"}},
	}
	for _, tt := range tests {
		t.Run(tt.by.String(), func(t *testing.T) {
			rows, total := Rollup(idx, "", tt.by, src, now, 5*time.Minute)
			if total != 6 {
				t.Errorf("total %d, want 6", total)
			}
			var got []string
			for _, r := range rows {
				got = append(got, r.Label+":"+strconv.Itoa(r.Count)+":"+strconv.Itoa(r.Recent))
			}
			if !slices.Equal(got[:len(tt.want)], tt.want) {
				t.Errorf("rows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestWithoutALogEveryLeaseSaysWhy(t *testing.T) {
	idx, _ := estate(t)
	rows, _ := Rollup(idx, "", ByEntity, Source{TokensWhy: "permission denied"}, now, time.Minute)
	if len(rows) != 2 || rows[0].Group != NoSource || rows[0].Count != 5 || rows[1].Key != TokenLease.Key || rows[1].Count != 1 ||
		!strings.Contains(rows[1].Label, "token store not read: permission denied") {
		t.Errorf("rows %+v", rows)
	}
}

// A token lease's owner comes from the token store, by creation path and
// issue time; revoking the owner's tokens is bound to their accessors.
func TestTokenLeasesFromTheTokenStore(t *testing.T) {
	idx, src := estate(t)
	idx.ApplyLease(model.LeaseInfo{ID: "auth/approle/login/h1", IssueTime: now.Add(-time.Minute), ExpireTime: now.Add(time.Hour), TTL: time.Hour})
	src.Tokens = NewTokens([]Token{
		{Accessor: "acc1", Path: "auth/approle/login", EntityID: "e1", DisplayName: "approle", Meta: map[string]string{"role_name": "billing"}, Created: now.Add(-time.Minute), Expires: now.Add(time.Hour)},
		{Accessor: "acc2", Path: "auth/approle/login", EntityID: "e1", DisplayName: "approle", Meta: map[string]string{"role_name": "billing"}, Created: now.Add(-30 * time.Minute), Expires: now.Add(time.Hour)},
		{Accessor: "acc3", Path: "auth/userpass/login/bob", EntityID: "e2", DisplayName: "userpass-bob", Meta: map[string]string{"username": "bob"}, Created: now},
	})
	rows, _ := Rollup(idx, "", ByEntity, src, now, 5*time.Minute)
	if rows[0].Label != "approle billing · entity e1" || rows[0].Count != 3 || rows[0].Recent != 2 {
		t.Errorf("billing's row %+v: want its 2 KV leases and its token lease", rows[0])
	}
	key := rows[0].Key
	if got := src.Tokens.Accessors(ByEntity, key); !slices.Equal(got, []string{"acc1", "acc2"}) {
		t.Errorf("billing's accessors %v", got)
	}
	if got := Leases(idx, "", ByEntity, src, key); !slices.Equal(got, []string{"auth/approle/login/h1", "secret/a/1", "secret/a/2"}) {
		t.Errorf("billing's leases %v", got)
	}
}

func TestLeasesOfOneOwner(t *testing.T) {
	idx, src := estate(t)
	g := OfOwner(&audit.Owner{EntityID: "e1"}, ByEntity)
	if got := Leases(idx, "", ByEntity, src, g.Key); !slices.Equal(got, []string{"secret/a/1", "secret/a/2"}) {
		t.Errorf("e1's leases %v", got)
	}
	if got := Leases(idx, "", ByEntity, src, "entity:nobody"); got != nil {
		t.Errorf("nobody's leases %v", got)
	}
}

func TestParseBy(t *testing.T) {
	for b := ByEntity; b < numBy; b++ {
		if got, err := ParseBy(b.String()); err != nil || got != b {
			t.Errorf("ParseBy(%q) = %v, %v", b, got, err)
		}
	}
	if _, err := ParseBy("team"); err == nil || !strings.Contains(err.Error(), "entity, role, mount, remote, agent") {
		t.Errorf("ParseBy(team): %v", err)
	}
}

func TestNoHMACAsAName(t *testing.T) {
	// The audit package never hands out HMAC'd values; a name made from
	// an owner is made from its fields only.
	o := &audit.Owner{DisplayName: "approle", Metadata: map[string]string{"role_name": "x"}}
	if g := OfOwner(o, ByEntity); strings.Contains(g.Label+g.Name, audit.HMACPrefix) {
		t.Error(g)
	}
}
