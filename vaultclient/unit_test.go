package vaultclient

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCleanPrefix(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  string
	}{
		{in: "", want: ""},
		{in: "/", want: ""},
		{in: "database/creds/readonly/", want: "database/creds/readonly/"},
		{in: "/database/creds/", want: "database/creds/"},
		{in: "secret/with space/", want: "secret/with space/"},
		{in: "secret/ünïcode/", want: "secret/ünïcode/"},
		{in: "secret/../auth/", wantErr: `".." segment`},
		{in: "secret/./x/", wantErr: `"." segment`},
		{in: "secret//x/", wantErr: "empty segment"},
		{in: "secret/\x01/", wantErr: "control character"},
	}
	for _, tt := range tests {
		got, err := CleanPrefix(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("CleanPrefix(%q) error = %v, want it to mention %s", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("CleanPrefix(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestLeasePrefix(t *testing.T) {
	for id, want := range map[string]string{
		"database/creds/readonly/AbC": "database/creds/readonly/",
		"auth/approle/login/h0123":    "auth/approle/login/",
		"noslash":                     "",
	} {
		if got := (Lease{ID: id}).Prefix(); got != want {
			t.Errorf("Lease{ID: %q}.Prefix() = %q, want %q", id, got, want)
		}
	}
}

func TestCoversOwnToken(t *testing.T) {
	self := TokenInfo{Path: "auth/approle/login"}
	tests := []struct {
		prefix string
		want   bool
	}{
		{"auth/approle/login/", true},
		{"auth/approle/", true},
		{"auth/", true},
		{"/auth/approle", true},
		{"auth/approle/login/h12/", false}, // a prefix below the lease: nothing under it
		{"auth/approle/login/h12", true},   // a lease id: it may be the token's own
		{"auth/approle/loginx/h12", false},
		{"secret/app/h12", false},
		{"auth/approle-other/", false},
		{"database/", false},
	}
	for _, tt := range tests {
		if got := CoversOwnToken(tt.prefix, self); got != tt.want {
			t.Errorf("CoversOwnToken(%q) = %v, want %v", tt.prefix, got, tt.want)
		}
	}
	if got := OwnTokenLeases([]string{"secret/a/h1", "auth/approle/login/h2", "auth/userpass/login/u/h3"}, self); len(got) != 1 || got[0] != "auth/approle/login/h2" {
		t.Errorf("OwnTokenLeases = %v, want the one lease under auth/approle/login", got)
	}
	if CoversOwnToken("auth/", TokenInfo{}) {
		t.Error("a token with no creation path (root from init) cannot be covered")
	}
}

func TestLookupDataNullsAndNumbers(t *testing.T) {
	issue, exp := "2026-11-25T20:56:06.54Z", "2026-11-25T21:56:06.54Z"
	l, err := lookupData{ID: "secret/foo/x", IssueTime: issue, ExpireTime: &exp, TTL: "3596", Renewable: true}.lease()
	if err != nil {
		t.Fatal(err)
	}
	if l.TTL != 3596*time.Second || !l.Renewable || l.ExpireTime.Sub(l.IssueTime) != time.Hour || !l.LastRenewal.IsZero() {
		t.Errorf("unexpected lease %+v", l)
	}
	l, err = lookupData{ID: "auth/token/create/x", IssueTime: issue, TTL: "0"}.lease()
	if err != nil || !l.ExpireTime.IsZero() {
		t.Errorf("null expire_time should be the zero time: %+v %v", l, err)
	}
	neg := "-12"
	if l, err = (lookupData{ID: "a/b", IssueTime: issue, TTL: "-12"}).lease(); err != nil || l.TTL != -12*time.Second {
		t.Errorf("negative ttl %s: %+v %v", neg, l, err)
	}
	bad := "yesterday"
	if _, err := (lookupData{ID: "a/b", IssueTime: issue, ExpireTime: &bad}).lease(); err == nil {
		t.Error("a malformed expire_time must be an error")
	}
}

func TestErrorIsMatchesKind(t *testing.T) {
	err := error(&Error{Kind: KindPermissionDenied, Op: "list", Path: "sys/leases/lookup/x", Status: 403})
	if !errors.Is(err, ErrPermissionDenied) || errors.Is(err, ErrSealed) {
		t.Errorf("errors.Is should match on kind only")
	}
	var e *Error
	if !errors.As(err, &e) || e.Path != "sys/leases/lookup/x" {
		t.Errorf("errors.As should give the *Error")
	}
}

func TestCapabilityHintNamesThePolicyLine(t *testing.T) {
	tests := map[[2]string]string{
		{"list", "sys/leases/lookup/secret/"}:           `path "sys/leases/lookup/*" { capabilities = ["list", "sudo"] }`,
		{"revoke-prefix", "sys/leases/revoke-prefix/x"}: `path "sys/leases/revoke-prefix/*" { capabilities = ["update", "sudo"] }`,
		{"renew", "sys/leases/renew"}:                   `path "sys/leases/renew" { capabilities = ["update"] }`,
		{"list irrevocable", "sys/leases"}:              `path "sys/leases" { capabilities = ["read", "sudo"] }`,
	}
	for in, want := range tests {
		if got := capabilityHint(in[0], in[1]); !strings.Contains(got, want) {
			t.Errorf("capabilityHint(%q, %q) = %q, want it to contain %q", in[0], in[1], got, want)
		}
	}
}

func TestBackoff(t *testing.T) {
	if got := backoff(0, 3*time.Second); got != 3*time.Second {
		t.Errorf("Retry-After must be honoured: %v", got)
	}
	if got := backoff(0, time.Hour); got != 30*time.Second {
		t.Errorf("Retry-After is capped at 30s: %v", got)
	}
	for attempt := range 10 {
		if got := backoff(attempt, 0); got <= 0 || got > 5*time.Second {
			t.Errorf("backoff(%d) = %v, want within (0, 5s]", attempt, got)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	if got := parseRetryAfter("7"); got != 7*time.Second {
		t.Errorf("seconds form: %v", got)
	}
	if got := parseRetryAfter(time.Now().Add(10 * time.Second).UTC().Format(time.RFC1123)); got <= 0 || got > 11*time.Second {
		t.Errorf("date form: %v", got)
	}
	if got := parseRetryAfter("soon"); got != 0 {
		t.Errorf("garbage: %v", got)
	}
}

func TestScrub(t *testing.T) {
	if got := scrub("bad token hvs.SECRET in url", "hvs.SECRET"); strings.Contains(got, "hvs.SECRET") {
		t.Errorf("token leaked: %q", got)
	}
	if got := scrubErr(errors.New("x hvs.SECRET y"), "hvs.SECRET").Error(); strings.Contains(got, "hvs.SECRET") {
		t.Errorf("token leaked: %q", got)
	}
}

func TestFlattenMessages(t *testing.T) {
	got := flattenMessages([]string{"2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n"}, "")
	if strings.Join(got, "|") != "permission denied|invalid token" {
		t.Errorf("flattenMessages = %q", got)
	}
	got = flattenMessages([]string{" invalid lease ", ""}, "")
	if strings.Join(got, "|") != "invalid lease" {
		t.Errorf("flattenMessages = %q", got)
	}
}
