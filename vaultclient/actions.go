package vaultclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Lookup fetches one lease by its full id.
func (c *Client) Lookup(ctx context.Context, id string) (Lease, error) {
	return c.lookup(ctx, id, nil)
}

// lookup is Lookup, its first attempt sent in room the caller holds under
// the limit (held: its release; nil to wait for room as any request does).
func (c *Client) lookup(ctx context.Context, id string, held func()) (Lease, error) {
	resp, err := c.do(ctx, request{op: "lookup", method: http.MethodPut, path: "sys/leases/lookup",
		body: leaseIDBody(id), gauge: true, held: held})
	if err != nil {
		return Lease{}, withLease(err, id)
	}
	defer closeBody(resp)
	var out struct {
		Data lookupData `json:"data"`
	}
	if err := decode(resp, &out); err != nil {
		return Lease{}, &Error{Kind: KindOther, Op: "lookup", Path: "sys/leases/lookup", Err: err}
	}
	l, err := out.Data.lease()
	if err != nil {
		return Lease{}, &Error{Kind: KindOther, Op: "lookup", Path: "sys/leases/lookup", Err: err}
	}
	if l.ID == "" {
		l.ID = id
	}
	return l, nil
}

// RenewResult says what a renewal asked for and what Vault granted. Vault
// treats the increment as advisory, counts it from now, and caps it at the
// mount's or role's max TTL.
type RenewResult struct {
	LeaseID   string
	Requested time.Duration // 0: no increment sent, the engine's default applies
	Granted   time.Duration
	Renewable bool
}

// Capped reports whether Vault granted less than was asked.
func (r RenewResult) Capped() bool { return r.Requested > 0 && r.Granted < r.Requested }

// Renew extends a lease by increment (0 sends none). A token lease fails
// with KindTokenLease, a PKI-style lease with KindNotRenewable.
func (c *Client) Renew(ctx context.Context, id string, increment time.Duration) (RenewResult, error) {
	body := map[string]any{"lease_id": id}
	if increment > 0 {
		body["increment"] = int64(increment / time.Second)
	}
	resp, err := c.do(ctx, request{op: "renew", method: http.MethodPut, path: "sys/leases/renew", body: body, mutating: true})
	if err != nil {
		return RenewResult{}, withLease(err, id)
	}
	defer closeBody(resp)
	var out struct {
		LeaseID       string      `json:"lease_id"`
		Renewable     bool        `json:"renewable"`
		LeaseDuration json.Number `json:"lease_duration"`
	}
	if err := decode(resp, &out); err != nil {
		return RenewResult{}, &Error{Kind: KindOther, Op: "renew", Path: "sys/leases/renew", Err: err}
	}
	secs, _ := out.LeaseDuration.Int64()
	r := RenewResult{LeaseID: out.LeaseID, Requested: increment.Truncate(time.Second),
		Granted: time.Duration(secs) * time.Second, Renewable: out.Renewable}
	if r.LeaseID == "" {
		r.LeaseID = id
	}
	return r, nil
}

// RevokeResult tells whether Vault revoked at once or queued the work.
type RevokeResult struct {
	Queued bool // 202: accepted, revocation runs in the background
}

// Revoke revokes one lease. With sync it waits for the backend to revoke
// the credential (204); without, Vault queues it (202). Vault answers 204
// for an id that does not exist, so a vanished lease is not an error here.
func (c *Client) Revoke(ctx context.Context, id string, sync bool) (RevokeResult, error) {
	resp, err := c.do(ctx, request{op: "revoke", method: http.MethodPut, path: "sys/leases/revoke",
		body: map[string]any{"lease_id": id, "sync": sync}, mutating: true})
	if err != nil {
		return RevokeResult{}, withLease(err, id)
	}
	closeBody(resp)
	return RevokeResult{Queued: resp.StatusCode == http.StatusAccepted}, nil
}

// RevokePrefix revokes every lease under prefix (needs sudo). Async queues
// the work and returns at once; sync waits, which for tens of thousands of
// leases can outlast proxies' timeouts.
func (c *Client) RevokePrefix(ctx context.Context, prefix string, sync bool) (RevokeResult, error) {
	prefix, err := checkPrefix("revoke-prefix", prefix)
	if err != nil {
		return RevokeResult{}, err
	}
	resp, err := c.do(ctx, request{op: "revoke-prefix", method: http.MethodPut,
		path: "sys/leases/revoke-prefix/" + prefix, body: map[string]any{"sync": sync}, mutating: true})
	if err != nil {
		return RevokeResult{}, err
	}
	closeBody(resp)
	return RevokeResult{Queued: resp.StatusCode == http.StatusAccepted}, nil
}

// RevokeForce removes every lease under prefix from Vault, ignoring backend
// errors: the credentials behind them may stay valid. It is always
// synchronous, and with a lease's full id it force-revokes that one lease
// (the way to clear a single irrevocable lease).
func (c *Client) RevokeForce(ctx context.Context, prefix string) error {
	prefix, err := checkPrefix("revoke-force", prefix)
	if err != nil {
		return err
	}
	resp, err := c.do(ctx, request{op: "revoke-force", method: http.MethodPut,
		path: "sys/leases/revoke-force/" + prefix, mutating: true})
	if err != nil {
		return err
	}
	closeBody(resp)
	return nil
}

// checkPrefix refuses the empty prefix: revoking "" would mean every lease
// in the namespace, which no key in leasetop should do by accident.
func checkPrefix(op, prefix string) (string, error) {
	p, err := CleanPrefix(prefix)
	if err != nil {
		return "", &Error{Kind: KindBadRequest, Op: op, Hint: err.Error()}
	}
	if p == "" {
		return "", &Error{Kind: KindBadRequest, Op: op,
			Hint: "refusing to revoke the empty prefix (every lease in the namespace)"}
	}
	return p, nil
}

// withLease names the lease in an *Error about it.
func withLease(err error, id string) error {
	if e, ok := err.(*Error); ok {
		cp := *e
		if cp.Kind == KindInvalidLease {
			cp.Hint = fmt.Sprintf("lease %s no longer exists (revoked or expired)", id)
		}
		return &cp
	}
	return err
}
