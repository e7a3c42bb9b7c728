package leaseid

import (
	"strings"
	"testing"
)

func TestPrefixAndKey(t *testing.T) {
	tests := []struct{ id, prefix, key string }{
		{"database/creds/readonly/AbC", "database/creds/readonly/", "AbC"},
		{"auth/approle/login/h0123", "auth/approle/login/", "h0123"},
		{"a/b", "a/", "b"},
		{"noslash", "", "noslash"},
		{"", "", ""},
		{"/", "/", ""},
		{"secret/app/", "secret/app/", ""},
		{"secret//x", "secret//", "x"},
		{"secret/ünï/cöde", "secret/ünï/", "cöde"},
	}
	for _, tt := range tests {
		if got := Prefix(tt.id); got != tt.prefix {
			t.Errorf("Prefix(%q) = %q, want %q", tt.id, got, tt.prefix)
		}
		if got := Key(tt.id); got != tt.key {
			t.Errorf("Key(%q) = %q, want %q", tt.id, got, tt.key)
		}
	}
}

func TestIsToken(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"auth/approle/login/h0123", true},
		{"auth/token/create/h0123", true},
		{"auth/", true},
		{"auth", false},
		{"authority/x", false},
		{"database/creds/ro/k", false},
		{"secret/auth/x", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := IsToken(tt.id); got != tt.want {
			t.Errorf("IsToken(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}

func TestAsPrefix(t *testing.T) {
	for in, want := range map[string]string{
		"":            "",
		"secret":      "secret/",
		"secret/":     "secret/",
		"secret/app":  "secret/app/",
		"secret/app/": "secret/app/",
	} {
		if got := AsPrefix(in); got != want {
			t.Errorf("AsPrefix(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNameWithoutTrailingSlash(t *testing.T) {
	if got := Name("a/b"); got != "b/" {
		t.Errorf(`Name("a/b") = %q, want "b/"`, got)
	}
}

func TestParentAndName(t *testing.T) {
	tests := []struct{ prefix, parent, name string }{
		{"", "", ""},
		{"a/", "", "a/"},
		{"a/b/", "a/", "b/"},
		{"database/creds/readonly/", "database/creds/", "readonly/"},
		{"auth/", "", "auth/"},
		{"a//", "a/", "/"},
	}
	for _, tt := range tests {
		if got := Parent(tt.prefix); got != tt.parent {
			t.Errorf("Parent(%q) = %q, want %q", tt.prefix, got, tt.parent)
		}
		if got := Name(tt.prefix); got != tt.name {
			t.Errorf("Name(%q) = %q, want %q", tt.prefix, got, tt.name)
		}
		if tt.prefix != "" && Parent(tt.prefix)+Name(tt.prefix) != tt.prefix {
			t.Errorf("Parent(%q)+Name(%q) = %q, want the prefix back", tt.prefix, tt.prefix, Parent(tt.prefix)+Name(tt.prefix))
		}
	}
}

// FuzzPrefix checks the rules every caller relies on: the prefix is a
// prefix of the id and ends in '/' (or is empty), prefix+key is the id,
// the key has no '/', and walking up with Parent from the prefix reaches
// the root through ever shorter prefixes.
func FuzzPrefix(f *testing.F) {
	for _, s := range []string{"", "/", "a", "a/", "a/b", "database/creds/ro/AbC", "auth/token/create/x", "a//b", "//"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		p := Prefix(id)
		if !strings.HasPrefix(id, p) {
			t.Fatalf("Prefix(%q) = %q is not a prefix of the id", id, p)
		}
		if p != "" && !strings.HasSuffix(p, "/") {
			t.Fatalf("Prefix(%q) = %q neither ends in '/' nor is empty", id, p)
		}
		k := Key(id)
		if p+k != id || strings.Contains(k, "/") {
			t.Fatalf("Prefix(%q)+Key = %q+%q; want the id back and no '/' in the key", id, p, k)
		}
		if IsToken(id) && !IsToken(p) && p != "" {
			t.Fatalf("IsToken(%q) but not its prefix %q", id, p)
		}
		for steps := 0; p != ""; steps++ {
			up := Parent(p)
			if len(up) >= len(p) || !strings.HasPrefix(p, up) || up != "" && !strings.HasSuffix(up, "/") {
				t.Fatalf("Parent(%q) = %q is not a shorter prefix ending in '/'", p, up)
			}
			if steps > len(id) {
				t.Fatalf("Parent from %q does not reach the root", Prefix(id))
			}
			p = up
		}
	})
}
