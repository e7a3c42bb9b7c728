package vaultclient

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The exact hints a 403 carries, per operation and path, as the client
// made them before the table existed: the table must not change a word.
func TestCapabilityHintTexts(t *testing.T) {
	tests := []struct{ op, path, want string }{
		{"list", "sys/leases/lookup/secret/", `listing leases needs: path "sys/leases/lookup/*" { capabilities = ["list", "sudo"] }`},
		{"list", "sys/leases/lookup", `listing the leases' root (and looking up a lease) needs: path "sys/leases/lookup" { capabilities = ["list", "sudo", "update"] }`},
		{"lookup", "sys/leases/lookup", `looking up a lease needs: path "sys/leases/lookup" { capabilities = ["update"] }`},
		{"renew", "sys/leases/renew", `renewing needs: path "sys/leases/renew" { capabilities = ["update"] }`},
		{"revoke", "sys/leases/revoke", `revoking needs: path "sys/leases/revoke" { capabilities = ["update"] }`},
		{"revoke-prefix", "sys/leases/revoke-prefix/database/", `revoking a prefix needs: path "sys/leases/revoke-prefix/*" { capabilities = ["update", "sudo"] }`},
		{"revoke-force", "sys/leases/revoke-force/database/creds/x", `force-revoking needs: path "sys/leases/revoke-force/*" { capabilities = ["update", "sudo"] }`},
		{"count irrevocable", "sys/leases/count", `counting irrevocable leases needs: path "sys/leases/count" { capabilities = ["read"] }`},
		{"list irrevocable", "sys/leases", `listing irrevocable leases needs: path "sys/leases" { capabilities = ["read", "sudo"] }`},
		{"read mounts", "sys/mounts", `reading mounts needs: path "sys/mounts" { capabilities = ["read"] }`},
		{"read mounts", "sys/auth", `reading mounts needs: path "sys/auth" { capabilities = ["read"] }`},
		{"list accessors", "auth/token/accessors", `listing tokens needs: path "auth/token/accessors" { capabilities = ["list", "sudo"] }`},
		{"lookup accessor", "auth/token/lookup-accessor", `looking up a token needs: path "auth/token/lookup-accessor" { capabilities = ["update"] }`},
		{"revoke accessor", "auth/token/revoke-accessor", `revoking a token needs: path "auth/token/revoke-accessor" { capabilities = ["update"] }`},
		{"read entity", "identity/entity/id/8d44b347-92c2-8f6b-320b-a1d4d9f43b38", `reading an entity needs: path "identity/entity/id/*" { capabilities = ["read"] }`},
		{"read entity", "identity/entity/id", ""},
		{"token lookup", "auth/token/lookup-self", ""},
		{"health", "sys/health", ""},
		{"revoke", "sys/leases/revoke-prefixes", ""},
	}
	for _, tt := range tests {
		if got := capabilityHint(tt.op, tt.path); got != tt.want {
			t.Errorf("capabilityHint(%q, %q) =\n  %q\nwant\n  %q", tt.op, tt.path, got, tt.want)
		}
	}
}

func TestPolicyForTellsListFromLookup(t *testing.T) {
	tests := []struct {
		op, path, pattern string
		caps              []string
	}{
		// Vault checks the root's LIST without its trailing '/'.
		{"list", "sys/leases/lookup", "sys/leases/lookup", []string{"list", "sudo", "update"}},
		{"list", "sys/leases/lookup/db/", "sys/leases/lookup/*", []string{"list", "sudo"}},
		{"update", "sys/leases/lookup/db/", "sys/leases/lookup/*", []string{"list", "sudo"}},
		{"lookup", "sys/leases/lookup", "sys/leases/lookup", []string{"update"}},
		{"update", "sys/leases/lookup", "sys/leases/lookup", []string{"update"}},
		{"update", "sys/leases/renew", "sys/leases/renew", []string{"update"}},
		{"update", "sys/leases/revoke", "sys/leases/revoke", []string{"update"}},
		{"update", "sys/leases/revoke-prefix/", "sys/leases/revoke-prefix/*", []string{"update", "sudo"}},
		{"update", "sys/leases/revoke-prefix", "sys/leases/revoke-prefix/*", []string{"update", "sudo"}},
		{"update", "sys/leases/revoke-force/a/b/", "sys/leases/revoke-force/*", []string{"update", "sudo"}},
		{"list accessors", "auth/token/accessors", "auth/token/accessors", []string{"list", "sudo"}},
		{"update", "auth/token/lookup-accessor", "auth/token/lookup-accessor", []string{"update"}},
		{"update", "auth/token/revoke-accessor", "auth/token/revoke-accessor", []string{"update"}},
		{"read entity", "identity/entity/id/x", "identity/entity/id/*", []string{"read"}},
	}
	for _, tt := range tests {
		p, ok := PolicyFor(tt.op, tt.path)
		if !ok || p.Pattern != tt.pattern || !slices.Equal(p.Caps, tt.caps) || p.What == "" {
			t.Errorf("PolicyFor(%q, %q) = %+v, %v; want %s %q", tt.op, tt.path, p, ok, tt.pattern, tt.caps)
		}
	}
	for _, path := range []string{"", "sys/health", "sys/leases/renewal", "secret/data/x", "auth/token/lookup-self",
		"auth/token/accessors/x", "auth/token/lookup", "identity/entity/name/x"} {
		if p, ok := PolicyFor("update", path); ok {
			t.Errorf("PolicyFor(%q) = %+v; leasetop does not call it", path, p)
		}
	}
}

func TestPolicyLine(t *testing.T) {
	p, _ := PolicyFor("revoke-prefix", "sys/leases/revoke-prefix/db/")
	if got, want := p.Line(), `path "sys/leases/revoke-prefix/*" { capabilities = ["update", "sudo"] }`; got != want {
		t.Errorf("Line() = %s, want %s", got, want)
	}
}

func TestPolicyAllows(t *testing.T) {
	update := Policy{Pattern: "sys/leases/renew", Caps: []string{"update"}}
	sudo := Policy{Pattern: "sys/leases/revoke-prefix/*", Caps: []string{"update", "sudo"}}
	tests := []struct {
		p       Policy
		granted []string
		want    bool
	}{
		{update, []string{"update"}, true},
		{update, []string{"create", "update", "read"}, true},
		{update, []string{"read"}, false},
		{update, nil, false},
		{update, []string{"root"}, true},
		{update, []string{"deny"}, false},
		{update, []string{"update", "deny"}, false},
		{sudo, []string{"update", "sudo"}, true},
		{sudo, []string{"sudo"}, false},
		{sudo, []string{"update"}, false},
		{sudo, []string{"root"}, true},
		{sudo, []string{"deny", "root"}, true}, // Vault never answers this; root wins
	}
	for _, tt := range tests {
		if got := tt.p.Allows(tt.granted); got != tt.want {
			t.Errorf("%v.Allows(%q) = %v, want %v", tt.p.Caps, tt.granted, got, tt.want)
		}
	}
}

func TestPolicyForReturnsACopy(t *testing.T) {
	p, _ := PolicyFor("renew", "sys/leases/renew")
	p.Caps[0] = "read"
	if q, _ := PolicyFor("renew", "sys/leases/renew"); q.Caps[0] != "update" {
		t.Errorf("changing a returned policy changed the table: %v", q.Caps)
	}
}

// The README's policy block and the table are the same lines, so the
// documentation cannot fall behind the checks.
func TestPoliciesMatchTheReadme(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	space := regexp.MustCompile(`\s+`)
	var readme []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, `path "`) {
			line, _, _ = strings.Cut(line, "#")
			readme = append(readme, space.ReplaceAllString(strings.TrimSpace(line), " "))
		}
	}
	var table []string
	for _, p := range Policies() {
		table = append(table, p.Line())
	}
	slices.Sort(readme)
	slices.Sort(table)
	if !slices.Equal(readme, table) {
		t.Errorf("README policy lines:\n  %s\ntable:\n  %s", strings.Join(readme, "\n  "), strings.Join(table, "\n  "))
	}
}
