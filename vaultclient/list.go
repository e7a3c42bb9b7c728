package vaultclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/leasetop/leasetop/leaseid"
)

// CleanPrefix checks a prefix typed by a person or passed on the command
// line and returns it in the form Vault uses: no leading slash. It refuses
// "." and ".." segments and empty segments, because the api package cleans
// the request path and would silently send a different prefix, which for a
// revoke-prefix could hit the wrong leases.
func CleanPrefix(prefix string) (string, error) {
	p := strings.TrimLeft(prefix, "/")
	if p == "" {
		return "", nil
	}
	for i, seg := range strings.Split(strings.TrimSuffix(p, "/"), "/") {
		switch seg {
		case ".", "..":
			return "", fmt.Errorf("prefix %q has a %q segment; give the path as Vault shows it", prefix, seg)
		case "":
			return "", fmt.Errorf("prefix %q has an empty segment (//) at position %d", prefix, i+1)
		}
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return "", fmt.Errorf("prefix %q has a control character", prefix)
		}
	}
	return p, nil
}

// Listing is one level of sys/leases/lookup/<prefix>.
type Listing struct {
	Prefix   string   // the prefix listed, ending in '/' (or "" for the root)
	Prefixes []string // child prefixes, full paths ending in '/'
	LeaseIDs []string // full lease ids directly under Prefix
}

// List lists one level under prefix (needs list + sudo). A prefix with no
// leases answers 404 with an empty error list; that is an empty Listing,
// not an error.
func (c *Client) List(ctx context.Context, prefix string) (Listing, error) {
	p, err := CleanPrefix(prefix)
	if err != nil {
		return Listing{}, &Error{Kind: KindBadRequest, Op: "list", Hint: err.Error()}
	}
	p = leaseid.AsPrefix(p)
	out := Listing{Prefix: p}
	path := "sys/leases/lookup/" + p
	keys, err := c.listKeys(ctx, "list", path)
	if err != nil {
		return out, err
	}
	// The lease ids are cut from one string holding them all: one
	// allocation per listing, not one per lease, and no size-class
	// rounding (a 40-byte id took 48). A crawl of a million leases holds
	// every id it has listed and not yet looked up.
	leaseKeys, size := keys[:0], 0
	for _, k := range keys {
		if strings.HasSuffix(k, "/") {
			out.Prefixes = append(out.Prefixes, p+k)
		} else {
			leaseKeys, size = append(leaseKeys, k), size+len(p)+len(k)
		}
	}
	if len(leaseKeys) > 0 {
		var b strings.Builder
		b.Grow(size)
		for _, k := range leaseKeys {
			b.WriteString(p)
			b.WriteString(k)
		}
		all := b.String()
		out.LeaseIDs = make([]string, len(leaseKeys))
		for i, k := range leaseKeys {
			out.LeaseIDs[i], all = all[:len(p)+len(k)], all[len(p)+len(k):]
		}
	}
	sort.Strings(out.Prefixes)
	return out, nil
}

// listKeys LISTs path and returns its keys. Vault answers a LIST of
// nothing with 404 and no error message: that is an empty list, not an
// error.
func (c *Client) listKeys(ctx context.Context, op, path string) ([]string, error) {
	resp, err := c.do(ctx, request{op: op, method: "LIST", path: path})
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Status == http.StatusNotFound && len(e.Messages) == 0 {
			return nil, nil
		}
		return nil, err
	}
	defer closeBody(resp)
	keys, err := decodeKeys(resp.Body, resp.ContentLength)
	if err != nil {
		return nil, &Error{Kind: KindOther, Op: op, Path: path, Err: err}
	}
	return keys, nil
}
