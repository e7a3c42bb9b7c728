package vaultclient

import (
	"strings"
	"testing"
)

func TestParseCreation(t *testing.T) {
	for _, tc := range []struct {
		line  string
		mount string
		n     float64
		ok    bool
	}{
		{`vault_secret_lease_creation{cluster="c",creation_ttl="2d",mount_point="secret/",namespace="root",secret_engine="kv"} 371671`, "secret/", 371671, true},
		{`vault_token_creation{auth_method="approle",cluster="c",creation_ttl="1h",mount_point="auth/approle/",namespace="root",token_type="service"} 12`, "auth/approle/", 12, true},
		{`vault_token_creation{mount_point="odd,\"name\"/",namespace="root"} 3`, `odd,"name"/`, 3, true},
		{`vault_secret_lease_creation{mount_point="secret/",namespace="team-b/"} 5`, "", 0, false}, // another namespace
		{`vault_expire_num_leases 344368`, "", 0, false},
		{`vault_secret_lease_creation{mount_point="secret/"`, "", 0, false},
		{`vault_secret_lease_creation{mount_point="secret/"} NaN`, "secret/", 0, false},
		{`vault_secret_lease_creation{namespace="root"} 5`, "", 0, false},
		{`# TYPE vault_secret_lease_creation counter`, "", 0, false},
	} {
		mount, n, ok := parseCreation(tc.line)
		if ok != tc.ok || ok && (mount != tc.mount || n != tc.n) {
			t.Errorf("parseCreation(%q) = %q, %v, %v; want %q, %v, %v", tc.line, mount, n, ok, tc.mount, tc.n, tc.ok)
		}
	}
}

func FuzzParseCreation(f *testing.F) {
	f.Add(`vault_secret_lease_creation{cluster="c",mount_point="secret/",namespace="root"} 1`)
	f.Add(`vault_token_creation{mount_point="a\\\"b\n/",namespace="root"} 2e3`)
	f.Fuzz(func(t *testing.T, line string) {
		mount, n, ok := parseCreation(line)
		if ok && (mount == "" || n < 0 || !strings.Contains(line, "{")) {
			t.Fatalf("parseCreation(%q) = %q, %v, true", line, mount, n)
		}
	})
}

func TestParseNumLeases(t *testing.T) {
	for _, tc := range []struct {
		line string
		n    float64
		ok   bool
	}{
		{`vault_expire_num_leases 344368`, 344368, true},
		{`vault_expire_num_leases 1e+06`, 1e6, true},
		{`vault_expire_num_irrevocable_leases 3`, 0, false},
		{`vault_expire_num_leases NaN`, 0, false},
		{`vault_expire_num_leases -1`, 0, false},
		{`# TYPE vault_expire_num_leases gauge`, 0, false},
	} {
		n, ok := parseNumLeases(tc.line)
		if ok != tc.ok || ok && n != tc.n {
			t.Errorf("parseNumLeases(%q) = %v, %v; want %v, %v", tc.line, n, ok, tc.n, tc.ok)
		}
	}
}
