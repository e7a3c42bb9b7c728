package hygiene

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leasetop/leasetop/audit"
	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/owners"
)

// reuseEstate builds secret/shared/ with leases made by a few clients, one
// a second from an hour ago, and db/creds/x/ with no owner in the log.
type client struct {
	name, path string
	n          int
	renewed    int  // how many of its leases were renewed
	pending    bool // listed, never looked up
	owned      bool // in the audit log
}

func reuseEstate(cs []client) (*model.Index, owners.Source, map[string][]string) {
	idx := model.NewIndex()
	log := audit.NewAttribution()
	made := map[string][]string{}
	byPath := map[string][]string{}
	start := now.Add(-time.Hour)
	for _, c := range cs {
		o := &audit.Owner{EntityID: "e-" + c.name, DisplayName: "approle", Metadata: map[string]string{"role_name": c.name},
			RemoteAddr: "10.1.2.3", Policies: []string{"reader"}}
		for i := range c.n {
			id := fmt.Sprintf("%s%s-%03d", c.path, c.name, i)
			made[c.name] = append(made[c.name], id)
			byPath[c.path] = append(byPath[c.path], id)
			if c.owned {
				log.Add(audit.Entry{LeaseID: id, Time: start.Add(time.Duration(i) * time.Second), Owner: o})
			}
		}
	}
	for path, ids := range byPath {
		idx.ApplyListing(path, nil, ids, now)
	}
	for _, c := range cs {
		if c.pending {
			continue
		}
		for i, id := range made[c.name] {
			li := model.LeaseInfo{ID: id, IssueTime: start.Add(time.Duration(i) * time.Second), Renewable: true}
			li.ExpireTime = li.IssueTime.Add(2 * time.Hour)
			if i < c.renewed {
				li.LastRenewal = now.Add(-time.Minute)
			}
			idx.ApplyLease(li)
		}
	}
	return idx, owners.Source{Log: log}, made
}

func TestLeasePerReadFindsOnlyClientsThatNeverRenew(t *testing.T) {
	for _, tt := range []struct {
		name    string
		clients []client
		want    []string // "path owner leases" of each finding, ranked
	}{
		{"one reader beside one that renews", []client{
			{name: "reader", path: "secret/shared/", n: 60, owned: true},
			{name: "renewer", path: "secret/shared/", n: 60, renewed: 1, owned: true},
		}, []string{"secret/shared/ reader 60"}},
		{"too few leases", []client{{name: "reader", path: "secret/shared/", n: 49, owned: true}}, nil},
		{"not looked up: renewals unknown", []client{{name: "reader", path: "secret/shared/", n: 60, pending: true, owned: true}}, nil},
		{"looked up, a few not", []client{
			{name: "reader", path: "secret/shared/", n: 60, owned: true},
			{name: "late", path: "secret/shared/", n: 3, pending: true, owned: true},
		}, []string{"secret/shared/ reader 60"}},
		{"two readers on two paths", []client{
			{name: "a", path: "secret/a/", n: 70, owned: true},
			{name: "b", path: "secret/b/", n: 600, owned: true},
		}, []string{"secret/b/ b 600", "secret/a/ a 70"}},
		{"no owner known: the prefix", []client{{name: "x", path: "db/creds/x/", n: 55}}, []string{"db/creds/x/  55"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			idx, src, made := reuseEstate(tt.clients)
			fs, _ := LeasePerRead(idx, src, ReuseOptions{Now: now})
			var got []string
			for _, f := range fs {
				got = append(got, fmt.Sprintf("%s %s %d", f.Prefix, f.Owner, f.Leases))
				owner := f.Owner
				if owner == "" {
					owner = "x"
				}
				want := slices.Sorted(slices.Values(made[owner]))
				if f.Kind != NoReuse || f.Action.Kind != RevokeLeases || !slices.Equal(f.LeaseIDs, want) {
					t.Errorf("%s: kind %s action %v, %d ids; want its own %d leases", f.Title, f.Kind, f.Action.Kind, len(f.LeaseIDs), len(want))
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("findings %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLeasePerReadGivesTheNumbersAndTheOwner(t *testing.T) {
	idx, src, _ := reuseEstate([]client{
		{name: "reader", path: "secret/shared/", n: 61, owned: true},
		{name: "renewer", path: "secret/shared/", n: 1, renewed: 1, owned: true},
	})
	fs, unchecked := LeasePerRead(idx, src, ReuseOptions{Now: now})
	if len(unchecked) != 0 {
		t.Errorf("unchecked: %+v", unchecked)
	}
	if len(fs) != 1 {
		t.Fatalf("%d findings: %+v", len(fs), fs)
	}
	f := fs[0]
	if f.Title != "reader makes a lease per read: 61 live leases on secret/shared/, none ever renewed" || f.Severity != Warning {
		t.Errorf("title %q severity %v", f.Title, f.Severity)
	}
	ev := strings.Join(f.Evidence, "\n")
	for _, want := range []string{
		"61 live leases on secret/shared/ made by reader, 98% of that path's 62",
		"none of them was ever renewed",
		"made at 60 a minute over 1m (11:00:00 to 11:01:00 UTC)",
		"each lives 2h; a client that reused and renewed its lease would hold 1",
		"owner: approle · entity e-reader · role_name=reader",
		"from 10.1.2.3",
		"policies: reader",
	} {
		if !strings.Contains(ev, want) {
			t.Errorf("evidence lacks %q:\n%s", want, ev)
		}
	}
}

// What the token cannot read is said, with the policy line it lacks,
// instead of being taken for no finding.
func TestLeasePerReadSaysWhatItCannotJudge(t *testing.T) {
	idx, src, _ := reuseEstate([]client{{name: "reader", path: "secret/shared/", n: 60, pending: true, owned: true}})
	idx.ApplyListing("", []string{"database/", "secret/"}, nil, now)
	idx.SetPrefixError("database/", "permission denied")
	fs, unchecked := LeasePerRead(idx, src, ReuseOptions{Now: now})
	if len(fs) != 0 || len(unchecked) != 2 {
		t.Fatalf("findings %+v unchecked %+v", fs, unchecked)
	}
	for i, want := range []Unchecked{
		{Kind: NoReuse, Prefix: "secret/shared/", Missing: `path "sys/leases/lookup" { capabilities = ["update"] }`,
			Reason: "60 of 60 leases on secret/shared/ (approle reader · entity e-reader) were not looked up: whether they were renewed is unknown"},
		{Kind: NoReuse, Prefix: "database/", Missing: `path "sys/leases/lookup/database/*" { capabilities = ["list", "sudo"] }`,
			Reason: "the listing of database/ failed: permission denied"},
	} {
		if unchecked[i] != want {
			t.Errorf("unchecked %d: %+v\n want %+v", i, unchecked[i], want)
		}
	}
}
