package vaultclient

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strings"
	"time"
)

// The reads the doctor's checks make: whether a role still exists, how
// long a mount lets leases live, and how the audit devices are set.

// Exists reads path and reports whether Vault has something there: false
// on a 404 (a deleted role), an *Error on anything else that is not a
// success (a 403 says which capability is missing through its Kind).
func (c *Client) Exists(ctx context.Context, path string) (bool, error) {
	resp, err := c.do(ctx, request{op: "read", method: http.MethodGet, path: strings.TrimLeft(path, "/")})
	if err != nil {
		if KindOf(err) == KindNotFound {
			return false, nil
		}
		return false, err
	}
	closeBody(resp)
	return true, nil
}

// MountTTLs are the lease TTLs a mount allows, as Vault applies them: a
// mount not tuned answers with the system's values.
type MountTTLs struct {
	Default, Max time.Duration
}

// TuneOf reads sys/mounts/<mount>/tune (sys/auth/<path>/tune for an auth
// mount): the default and maximum lease TTLs in force on it.
func (c *Client) TuneOf(ctx context.Context, m Mount) (MountTTLs, error) {
	path := "sys/mounts/" + strings.TrimSuffix(m.Path, "/") + "/tune"
	if m.Auth {
		path = "sys/auth/" + strings.TrimSuffix(strings.TrimPrefix(m.Path, "auth/"), "/") + "/tune"
	}
	resp, err := c.do(ctx, request{op: "read tune", method: http.MethodGet, path: path})
	if err != nil {
		return MountTTLs{}, err
	}
	defer closeBody(resp)
	var body struct {
		Data struct {
			Default json.Number `json:"default_lease_ttl"`
			Max     json.Number `json:"max_lease_ttl"`
		} `json:"data"`
	}
	if err := decode(resp, &body); err != nil {
		return MountTTLs{}, &Error{Kind: KindOther, Op: "read tune", Path: path, Err: err}
	}
	def, err1 := body.Data.Default.Int64()
	max, err2 := body.Data.Max.Int64()
	if err := errors.Join(err1, err2); err != nil {
		return MountTTLs{}, &Error{Kind: KindOther, Op: "read tune", Path: path, Err: err}
	}
	return MountTTLs{Default: time.Duration(def) * time.Second, Max: time.Duration(max) * time.Second}, nil
}

// AuditDevice is one enabled audit device (GET sys/audit).
type AuditDevice struct {
	Path    string // "file/"
	Type    string // "file", "syslog", "socket"
	Options map[string]string
}

// ElidesLists reports whether the device writes LIST answers without their
// keys (elide_list_responses=true), so a crawl's LISTs cost it little.
func (d AuditDevice) ElidesLists() bool {
	v := strings.ToLower(d.Options["elide_list_responses"])
	return v == "true" || v == "1" || v == "t"
}

// AuditDevices lists the enabled audit devices, sorted by path (needs read
// and sudo on sys/audit).
func (c *Client) AuditDevices(ctx context.Context) ([]AuditDevice, error) {
	resp, err := c.do(ctx, request{op: "read audit devices", method: http.MethodGet, path: "sys/audit"})
	if err != nil {
		return nil, err
	}
	defer closeBody(resp)
	var body struct {
		Data map[string]struct {
			Type    string            `json:"type"`
			Options map[string]string `json:"options"`
		} `json:"data"`
	}
	if err := decode(resp, &body); err != nil {
		return nil, &Error{Kind: KindOther, Op: "read audit devices", Path: "sys/audit", Err: err}
	}
	var out []AuditDevice
	for p, d := range body.Data {
		out = append(out, AuditDevice{Path: p, Type: d.Type, Options: d.Options})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}
