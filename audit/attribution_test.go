package audit

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func owner(role string) *Owner {
	return &Owner{EntityID: "e-" + role, DisplayName: "approle", Metadata: map[string]string{"role_name": role},
		Policies: []string{"default"}, Mount: "secret/", MountType: "kv", Path: "secret/app"}
}

func TestAttribution(t *testing.T) {
	a := NewAttribution()
	t0 := time.Date(2026, 11, 26, 14, 0, 0, 0, time.UTC)
	for i := range 1000 {
		a.Add(Entry{LeaseID: fmt.Sprintf("secret/app/%d", i), Time: t0.Add(time.Duration(i) * time.Second), Owner: owner([]string{"ci", "web"}[i%2])})
	}
	if a.Len() != 1000 || a.Owners() != 2 {
		t.Fatalf("Len %d, Owners %d; want 1000 leases sharing 2 owners", a.Len(), a.Owners())
	}
	o1, when, ok := a.Owner("secret/app/1")
	if !ok || o1.Metadata["role_name"] != "web" || !when.Equal(t0.Add(time.Second)) {
		t.Fatalf("Owner = %+v %v %v", o1, when, ok)
	}
	o3, _, _ := a.Owner("secret/app/3")
	if o1 != o3 {
		t.Error("equal owners are not interned")
	}
	if _, _, ok := a.Owner("secret/app/nope"); ok {
		t.Error("unknown lease has an owner")
	}
	if !a.Since().Equal(t0) {
		t.Errorf("Since = %v", a.Since())
	}

	// An older entry for a known lease loses; a newer one wins.
	a.Add(Entry{LeaseID: "secret/app/1", Time: t0, Owner: owner("old")})
	if o, _, _ := a.Owner("secret/app/1"); o.Metadata["role_name"] != "web" {
		t.Error("an older entry replaced a newer one")
	}
	a.Add(Entry{LeaseID: "secret/app/1", Time: t0.Add(time.Hour), Owner: owner("new")})
	if o, when, _ := a.Owner("secret/app/1"); o.Metadata["role_name"] != "new" || !when.Equal(t0.Add(time.Hour)) {
		t.Error("a newer entry did not win")
	}
	if a.Owners() != 3 {
		t.Errorf("Owners = %d, want 3", a.Owners())
	}

	// Retain drops leases and the owners left without leases.
	dropped := a.Retain(func(id string) bool { return id != "secret/app/1" && id < "secret/app/5" })
	if a.Len() != 1000-dropped || a.Len() == 0 {
		t.Fatalf("Retain dropped %d, Len %d", dropped, a.Len())
	}
	if _, _, ok := a.Owner("secret/app/1"); ok {
		t.Error("a dropped lease still has an owner")
	}
	if a.Owners() != 2 {
		t.Errorf("Owners after Retain = %d, want 2 (the new one went with its lease)", a.Owners())
	}
	a.Retain(func(string) bool { return false })
	if a.Len() != 0 || a.Owners() != 0 {
		t.Errorf("after dropping all: Len %d Owners %d", a.Len(), a.Owners())
	}

	a.SeenFrom(t0.Add(-time.Hour))
	if !a.Since().Equal(t0.Add(-time.Hour)) {
		t.Errorf("SeenFrom did not move Since: %v", a.Since())
	}
	a.Add(Entry{LeaseID: "x"}) // no owner: ignored
	if a.Len() != 0 {
		t.Error("an entry without an owner was added")
	}
}

func TestOwnerKeyDistinguishes(t *testing.T) {
	a := owner("ci")
	b := owner("ci")
	b.Metadata["extra"] = ""
	c := owner("ci")
	c.Policies = []string{"default", "x"}
	d := owner("ci")
	d.Policies = []string{"defaultx"}
	keys := map[string]bool{ownerKey(a): true, ownerKey(b): true, ownerKey(c): true, ownerKey(d): true}
	if len(keys) != 4 || ownerKey(a) != ownerKey(owner("ci")) {
		t.Errorf("owner keys: %d distinct of 4", len(keys))
	}
}

// Retain keeps what keep keeps, lease by lease, across prefixes, and the
// rest is gone: Owner and Len agree.
func TestRetainAcrossPrefixes(t *testing.T) {
	a := NewAttribution()
	o := &Owner{DisplayName: "approle"}
	var ids []string
	for p := range 3 {
		for k := range 10 {
			id := fmt.Sprintf("secret/p%d/k%02d", p, k)
			ids = append(ids, id)
			a.Add(Entry{LeaseID: id, Time: time.Unix(int64(k), 0), Owner: o})
		}
	}
	keep := func(id string) bool { return strings.HasSuffix(id, "0") || strings.HasPrefix(id, "secret/p2/") }
	if got := a.Retain(keep); got != 18 {
		t.Errorf("dropped %d, want 18", got)
	}
	if a.Len() != 12 {
		t.Errorf("Len %d, want 12", a.Len())
	}
	for _, id := range ids {
		if _, _, ok := a.Owner(id); ok != keep(id) {
			t.Errorf("%s: owner known %v, kept %v", id, ok, keep(id))
		}
	}
}
