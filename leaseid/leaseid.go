// Package leaseid is the one home of the rules about the shape of a Vault
// lease id and of the prefixes (paths) that hold leases. A lease id is the
// path that issued the lease followed by a key ("database/creds/ro/AbC1"):
// its prefix is everything up to and including the last '/', and a prefix
// is "" (the root) or a path ending in '/'.
//
// The package is pure: strings in, strings out, no Vault calls, no imports
// beyond the standard library, so the index, the client, the reports and
// the UI can all share it.
package leaseid

import "strings"

// Prefix is the part of a lease id up to and including its last '/': the
// path that issued the lease ("database/creds/ro/" for
// "database/creds/ro/AbC1"), "" for an id without a '/'. It is a slice of
// id, not a copy.
func Prefix(id string) string {
	return id[:strings.LastIndexByte(id, '/')+1]
}

// Key is the part of a lease id after its prefix ("AbC1" for
// "database/creds/ro/AbC1"), so Prefix(id)+Key(id) == id. It is "" for an
// id ending in '/', which names a prefix, not a lease.
func Key(id string) string {
	return id[strings.LastIndexByte(id, '/')+1:]
}

// IsToken reports whether id (a lease id, or a prefix) belongs to a token:
// every lease under auth/ is a login or token-create lease. Those look up
// as renewable but refuse sys/leases/renew; they renew through
// auth/token/renew.
func IsToken(id string) bool { return strings.HasPrefix(id, "auth/") }

// AsPrefix gives p the trailing '/' a non-root prefix must have:
// "secret/app" becomes "secret/app/"; "" and "secret/app/" stay as they
// are.
func AsPrefix(p string) string {
	if p != "" && !strings.HasSuffix(p, "/") {
		return p + "/"
	}
	return p
}

// Parent is the prefix that encloses a prefix: "a/b/" -> "a/", "a/" -> "",
// and "" for the root itself.
func Parent(prefix string) string {
	if prefix == "" {
		return ""
	}
	return prefix[:strings.LastIndexByte(prefix[:len(prefix)-1], '/')+1]
}

// Name is the last segment of a prefix, slash included ("ro/" for
// "database/creds/ro/"): what a tree shows indented under the parent. It
// is "" for the root, which callers show as they like ("/"). For a prefix
// that ends in '/' it is a slice of prefix, not a copy; a path missing its
// trailing '/' is read as AsPrefix(path).
func Name(prefix string) string {
	switch {
	case prefix == "":
		return ""
	case !strings.HasSuffix(prefix, "/"):
		return Name(prefix + "/")
	}
	return prefix[strings.LastIndexByte(prefix[:len(prefix)-1], '/')+1:]
}
