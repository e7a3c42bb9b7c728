package vaultclient

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// Mount is a secrets engine or auth method mount.
type Mount struct {
	Path     string // "database/", "auth/approle/"
	Type     string // "database", "kv", "approle", ...
	Accessor string
	Auth     bool
	// KVVersion is "1" or "2" for KV mounts, "" otherwise.
	KVVersion string
}

// IssuesNoLeases is true for KV mounts: KV v1 and v2 never create leases,
// even though a KV v1 read carries a lease_duration (a refresh hint). The
// one exception is a dev server's -dev-leased-kv mount, which also reports
// type "kv" (leases found under a mount outrank this hint).
func (m Mount) IssuesNoLeases() bool {
	return m.Type == "kv" || m.Type == "generic" && m.KVVersion != ""
}

// Mounts reads sys/mounts and sys/auth (auth mounts get the "auth/" prefix,
// as their lease ids do). Sorted by path.
func (c *Client) Mounts(ctx context.Context) ([]Mount, error) {
	var mounts []Mount
	for _, src := range []struct {
		path string
		auth bool
	}{{"sys/mounts", false}, {"sys/auth", true}} {
		resp, err := c.do(ctx, request{op: "read mounts", method: http.MethodGet, path: src.path})
		if err != nil {
			return nil, err
		}
		var body struct {
			Data map[string]struct {
				Type     string            `json:"type"`
				Accessor string            `json:"accessor"`
				Options  map[string]string `json:"options"`
			} `json:"data"`
		}
		err = decode(resp, &body)
		closeBody(resp)
		if err != nil {
			return nil, &Error{Kind: KindOther, Op: "read mounts", Path: src.path, Err: err}
		}
		for path, m := range body.Data {
			mt := Mount{Path: path, Type: m.Type, Accessor: m.Accessor, Auth: src.auth}
			if src.auth {
				mt.Path = "auth/" + path
			}
			if m.Type == "kv" {
				mt.KVVersion = m.Options["version"]
				if mt.KVVersion == "" {
					mt.KVVersion = "1"
				}
			}
			mounts = append(mounts, mt)
		}
	}
	sort.Slice(mounts, func(i, j int) bool { return mounts[i].Path < mounts[j].Path })
	return mounts, nil
}

// MountOf returns the mount whose path is the longest prefix of leaseOrPrefix.
func MountOf(mounts []Mount, leaseOrPrefix string) (Mount, bool) {
	best := -1
	for i, m := range mounts {
		if strings.HasPrefix(leaseOrPrefix, m.Path) && (best < 0 || len(m.Path) > len(mounts[best].Path)) {
			best = i
		}
	}
	if best < 0 {
		return Mount{}, false
	}
	return mounts[best], true
}

// Capabilities asks what the token may do on each path
// (sys/capabilities-self). A path Vault does not name maps to nil.
func (c *Client) Capabilities(ctx context.Context, paths []string) (map[string][]string, error) {
	resp, err := c.do(ctx, request{op: "capabilities", method: http.MethodPut, path: "sys/capabilities-self",
		body: map[string]any{"paths": paths}})
	if err != nil {
		return nil, err
	}
	defer closeBody(resp)
	// The answer carries each path at the top level and again under data.
	var body struct {
		Data map[string]json.RawMessage `json:"data"`
	}
	if err := decode(resp, &body); err != nil {
		return nil, &Error{Kind: KindOther, Op: "capabilities", Path: "sys/capabilities-self", Err: err}
	}
	out := make(map[string][]string, len(paths))
	for _, p := range paths {
		var caps []string
		if raw, ok := body.Data[p]; ok {
			_ = json.Unmarshal(raw, &caps)
		}
		out[p] = caps
	}
	return out, nil
}

// IrrevocableLease is a lease whose revocation failed and which Vault gave
// up retrying.
type IrrevocableLease struct {
	LeaseID string
	MountID string // the mount's accessor
	Error   string // what the backend said when revocation failed
}

// IrrevocableList is GET sys/leases?type=irrevocable.
type IrrevocableList struct {
	Count    int // how many Vault holds, which may exceed len(Leases)
	Leases   []IrrevocableLease
	Warnings []string // Vault warns when it capped the list (10,000 by default)
}

// Irrevocable lists irrevocable leases (needs sudo). limit 0 keeps Vault's
// default cap of 10,000; a negative limit asks for all ("none").
func (c *Client) Irrevocable(ctx context.Context, limit int) (IrrevocableList, error) {
	q := map[string]string{"type": "irrevocable"}
	switch {
	case limit > 0:
		q["limit"] = strconv.Itoa(limit)
	case limit < 0:
		q["limit"] = "none"
	}
	resp, err := c.do(ctx, request{op: "list irrevocable", method: http.MethodGet, path: "sys/leases", query: q})
	if err != nil {
		return IrrevocableList{}, err
	}
	defer closeBody(resp)
	var body struct {
		Data struct {
			LeaseCount json.Number `json:"lease_count"`
			Leases     []struct {
				LeaseID string `json:"lease_id"`
				MountID string `json:"mount_id"`
				Error   string `json:"error"`
			} `json:"leases"`
		} `json:"data"`
		Warnings []string `json:"warnings"`
	}
	if err := decode(resp, &body); err != nil {
		return IrrevocableList{}, &Error{Kind: KindOther, Op: "list irrevocable", Path: "sys/leases", Err: err}
	}
	n, _ := body.Data.LeaseCount.Int64()
	out := IrrevocableList{Count: int(n), Warnings: body.Warnings}
	for _, l := range body.Data.Leases {
		out.Leases = append(out.Leases, IrrevocableLease{LeaseID: l.LeaseID, MountID: l.MountID, Error: l.Error})
	}
	return out, nil
}

// IrrevocableCounts is GET sys/leases/count?type=irrevocable.
type IrrevocableCounts struct {
	Total           int
	ByMountAccessor map[string]int
}

// IrrevocableCount counts irrevocable leases, per mount accessor.
func (c *Client) IrrevocableCount(ctx context.Context) (IrrevocableCounts, error) {
	resp, err := c.do(ctx, request{op: "count irrevocable", method: http.MethodGet, path: "sys/leases/count",
		query: map[string]string{"type": "irrevocable"}})
	if err != nil {
		return IrrevocableCounts{}, err
	}
	defer closeBody(resp)
	var body struct {
		Data struct {
			LeaseCount json.Number            `json:"lease_count"`
			Counts     map[string]json.Number `json:"counts"`
		} `json:"data"`
	}
	if err := decode(resp, &body); err != nil {
		return IrrevocableCounts{}, &Error{Kind: KindOther, Op: "count irrevocable", Path: "sys/leases/count", Err: err}
	}
	n, _ := body.Data.LeaseCount.Int64()
	out := IrrevocableCounts{Total: int(n), ByMountAccessor: map[string]int{}}
	for k, v := range body.Data.Counts {
		x, _ := v.Int64()
		out.ByMountAccessor[k] = int(x)
	}
	return out, nil
}

// TokenInfo is what leasetop needs to know of its own token.
type TokenInfo struct {
	// Path is the path that created the token ("auth/token/create",
	// "auth/approle/login"): revoking a prefix that covers it revokes the
	// token leasetop runs with.
	Path        string
	DisplayName string
	Policies    []string
	Accessor    string
}

// Self looks up the token in use (auth/token/lookup-self).
func (c *Client) Self(ctx context.Context) (TokenInfo, error) {
	resp, err := c.do(ctx, request{op: "token lookup", method: http.MethodGet, path: "auth/token/lookup-self"})
	if err != nil {
		return TokenInfo{}, err
	}
	defer closeBody(resp)
	var body struct {
		Data struct {
			Path        string   `json:"path"`
			DisplayName string   `json:"display_name"`
			Policies    []string `json:"policies"`
			Accessor    string   `json:"accessor"`
		} `json:"data"`
	}
	if err := decode(resp, &body); err != nil {
		return TokenInfo{}, &Error{Kind: KindOther, Op: "token lookup", Path: "auth/token/lookup-self", Err: err}
	}
	d := body.Data
	return TokenInfo{Path: d.Path, DisplayName: d.DisplayName, Policies: d.Policies, Accessor: d.Accessor}, nil
}

// CoversOwnToken reports whether revoking at path may revoke the token
// that created self. Its lease lives under its creation path (self.Path),
// as auth/approle/login/h<hash>: a prefix that covers that path covers
// the lease, and a lease id under it (no trailing "/") may be the lease
// itself, since a token lease's id is a salted hash of its token and
// nothing tells which token it is. Prefix revocations ask it of their
// prefix, owner revocations of each lease id they are bound to.
func CoversOwnToken(path string, self TokenInfo) bool {
	own := strings.Trim(self.Path, "/")
	if own == "" {
		return false
	}
	path = strings.TrimLeft(path, "/")
	p := strings.TrimSuffix(path, "/")
	if p == "" || own == p || strings.HasPrefix(own+"/", p+"/") {
		return true
	}
	return !strings.HasSuffix(path, "/") && strings.HasPrefix(p, own+"/")
}

// OwnTokenLeases are the ids among ids that may be the lease of the token
// that created self (see CoversOwnToken): revoking one of them may revoke
// the token leasetop runs with.
func OwnTokenLeases(ids []string, self TokenInfo) []string {
	var out []string
	for _, id := range ids {
		if CoversOwnToken(id, self) {
			out = append(out, id)
		}
	}
	return out
}

// Health is sys/health.
type Health struct {
	Initialized bool
	Sealed      bool
	Standby     bool
	Version     string
	ClusterName string
}

// Health asks sys/health, which answers without a token.
func (c *Client) Health(ctx context.Context) (Health, error) {
	// standbyok/sealedcode make every state answer 200 so the body is read.
	resp, err := c.do(ctx, request{op: "health", method: http.MethodGet, path: "sys/health",
		query: map[string]string{"standbyok": "true", "perfstandbyok": "true", "sealedcode": "200", "uninitcode": "200"}})
	if err != nil {
		return Health{}, err
	}
	defer closeBody(resp)
	var body struct {
		Initialized bool   `json:"initialized"`
		Sealed      bool   `json:"sealed"`
		Standby     bool   `json:"standby"`
		Version     string `json:"version"`
		ClusterName string `json:"cluster_name"`
	}
	if err := decode(resp, &body); err != nil {
		return Health{}, &Error{Kind: KindOther, Op: "health", Path: "sys/health", Err: err}
	}
	return Health(body), nil
}
