package vaultclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// The token store names who holds each token, which the audit log cannot do
// for token leases: their ids (auth/<mount>/login/h<hash>) are salted
// hashes of the token. Listing accessors needs sudo; the calls below are in
// the policy table like every other call.

// AccessorInfo is one token as auth/token/lookup-accessor describes it.
type AccessorInfo struct {
	Accessor    string
	Path        string // the path that created the token: "auth/approle/login", "auth/userpass/login/alice"
	EntityID    string // "" for a token without an entity (root, auth/token/create)
	DisplayName string // "approle", "userpass-alice", "token"
	Meta        map[string]string
	Policies    []string
	// CreationTime is creation_time, whole Unix seconds.
	CreationTime time.Time
	// IssueTime is issue_time, to the nanosecond, when Vault sends it
	// (v1.21 does): the same instant as CreationTime, and on Vault v1.21.4
	// exactly the issue_time of the token's lease.
	IssueTime time.Time
	// ExpireTime is the token's expiry, moved by renewals; zero when the
	// token never expires (the root token).
	ExpireTime time.Time
	Orphan     bool
}

// ListAccessors lists the accessors of every token in the namespace (LIST
// auth/token/accessors; needs list and sudo).
func (c *Client) ListAccessors(ctx context.Context) ([]string, error) {
	return c.listKeys(ctx, "list accessors", "auth/token/accessors")
}

// accessorData is the data object of a lookup-accessor answer.
type accessorData struct {
	Accessor     string            `json:"accessor"`
	Path         string            `json:"path"`
	EntityID     string            `json:"entity_id"`
	DisplayName  string            `json:"display_name"`
	Meta         map[string]string `json:"meta"`
	Policies     []string          `json:"policies"`
	CreationTime json.Number       `json:"creation_time"`
	IssueTime    *string           `json:"issue_time"`
	ExpireTime   *string           `json:"expire_time"`
	Orphan       bool              `json:"orphan"`
}

func (d accessorData) info() (AccessorInfo, error) {
	a := AccessorInfo{Accessor: d.Accessor, Path: d.Path, EntityID: d.EntityID, DisplayName: d.DisplayName,
		Meta: d.Meta, Policies: d.Policies, Orphan: d.Orphan}
	if len(a.Meta) == 0 {
		a.Meta = nil
	}
	if d.CreationTime != "" {
		secs, err := d.CreationTime.Int64()
		if err != nil {
			return a, fmt.Errorf("creation_time: %w", err)
		}
		a.CreationTime = time.Unix(secs, 0).UTC()
	}
	var err error
	if a.IssueTime, err = parseTime(d.IssueTime); err != nil {
		return a, fmt.Errorf("issue_time: %w", err)
	}
	if a.ExpireTime, err = parseTime(d.ExpireTime); err != nil {
		return a, fmt.Errorf("expire_time: %w", err)
	}
	return a, nil
}

// LookupAccessor looks one token up by its accessor (POST
// auth/token/lookup-accessor; needs update). An accessor no token has any
// more (revoked or expired) fails with KindNotFound.
func (c *Client) LookupAccessor(ctx context.Context, accessor string) (AccessorInfo, error) {
	const path = "auth/token/lookup-accessor"
	if accessor == "" {
		return AccessorInfo{}, &Error{Kind: KindBadRequest, Op: "lookup accessor", Path: path, Hint: "no accessor given"}
	}
	resp, err := c.do(ctx, request{op: "lookup accessor", method: http.MethodPost, path: path,
		body: map[string]any{"accessor": accessor}, gauge: true})
	if err != nil {
		return AccessorInfo{}, noSuchAccessor(err, accessor)
	}
	defer closeBody(resp)
	var body struct {
		Data accessorData `json:"data"`
	}
	if err := decode(resp, &body); err != nil {
		return AccessorInfo{}, &Error{Kind: KindOther, Op: "lookup accessor", Path: path, Err: err}
	}
	info, err := body.Data.info()
	if err != nil {
		return AccessorInfo{}, &Error{Kind: KindOther, Op: "lookup accessor", Path: path, Err: err}
	}
	if info.Accessor == "" {
		info.Accessor = accessor
	}
	return info, nil
}

// noSuchAccessor turns Vault's 400 "invalid accessor" into KindNotFound
// with the accessor named.
func noSuchAccessor(err error, accessor string) error {
	var e *Error
	if !errors.As(err, &e) || e.Status != http.StatusBadRequest {
		return err
	}
	for _, m := range e.Messages {
		if strings.Contains(strings.ToLower(m), "invalid accessor") {
			cp := *e
			cp.Kind = KindNotFound
			cp.Hint = "no token has accessor " + accessor + " (revoked or expired)"
			return &cp
		}
	}
	return err
}

// Tokens lists every accessor and looks each up, with at most concurrency
// lookups in flight (0 takes the client's). A token that expired or was
// revoked between the listing and its lookup is skipped; any other failure
// stops the work and is returned. progress, when set, is called after each
// lookup (never concurrently) with how many of total are done. The result
// keeps the listing's order.
func (c *Client) Tokens(ctx context.Context, concurrency int, progress func(done, total int)) ([]AccessorInfo, error) {
	accs, err := c.ListAccessors(ctx)
	if err != nil {
		return nil, err
	}
	if concurrency <= 0 {
		concurrency = c.concurrency
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	infos := make([]AccessorInfo, len(accs))
	found := make([]bool, len(accs))
	var (
		mu       sync.Mutex
		next     int
		done     int
		firstErr error
		wg       sync.WaitGroup
	)
	for range min(concurrency, len(accs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				stop := firstErr != nil
				mu.Unlock()
				if i >= len(accs) || stop || ctx.Err() != nil {
					return
				}
				info, err := c.LookupAccessor(ctx, accs[i])
				mu.Lock()
				switch {
				case err == nil:
					infos[i], found[i] = info, true
				case errors.Is(err, ErrNotFound):
					// gone since the listing
				case firstErr == nil:
					firstErr = err
					cancel()
				}
				done++
				if progress != nil && firstErr == nil {
					progress(done, len(accs))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, &Error{Kind: KindUnreachable, Op: "lookup accessor", Path: "auth/token/lookup-accessor", Err: err, Hint: "cancelled"}
	}
	out := make([]AccessorInfo, 0, len(accs))
	for i, ok := range found {
		if ok {
			out = append(out, infos[i])
		}
	}
	return out, nil
}

// RevokeAccessor revokes the token with this accessor (POST
// auth/token/revoke-accessor; needs update). Vault's cascade goes with it:
// every lease created with the token, and its child tokens unless they are
// orphans. Like Revoke, an accessor that no token has any more is not an
// error (Vault answers 200 with a warning).
func (c *Client) RevokeAccessor(ctx context.Context, accessor string) error {
	const path = "auth/token/revoke-accessor"
	if accessor == "" {
		return &Error{Kind: KindBadRequest, Op: "revoke accessor", Path: path, Hint: "no accessor given"}
	}
	resp, err := c.do(ctx, request{op: "revoke accessor", method: http.MethodPost, path: path,
		body: map[string]any{"accessor": accessor}, mutating: true})
	if err != nil {
		return err
	}
	closeBody(resp)
	return nil
}

// Entity is an identity entity: who a token's entity_id names.
type Entity struct {
	ID      string
	Name    string // "entity_ec4034f1" unless someone named it
	Aliases []EntityAlias
}

// EntityAlias is one login identity of an entity on one auth mount.
type EntityAlias struct {
	MountPath string // "auth/userpass/"
	MountType string // "userpass"
	Name      string // the user name, or for AppRole the role id
}

// Entity reads identity/entity/id/<id> (needs read). An unknown id fails
// with KindNotFound.
func (c *Client) Entity(ctx context.Context, id string) (Entity, error) {
	if id == "" || strings.ContainsAny(id, "/?#") {
		return Entity{}, &Error{Kind: KindBadRequest, Op: "read entity", Path: "identity/entity/id/",
			Hint: fmt.Sprintf("%q is not an entity id", id)}
	}
	path := "identity/entity/id/" + url.PathEscape(id)
	resp, err := c.do(ctx, request{op: "read entity", method: http.MethodGet, path: path})
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Kind == KindNotFound {
			cp := *e
			cp.Hint = "no entity has id " + id
			return Entity{}, &cp
		}
		return Entity{}, err
	}
	defer closeBody(resp)
	var body struct {
		Data *struct {
			ID      string `json:"id"`
			Name    string `json:"name"`
			Aliases []struct {
				MountPath string `json:"mount_path"`
				MountType string `json:"mount_type"`
				Name      string `json:"name"`
			} `json:"aliases"`
		} `json:"data"`
	}
	if err := decode(resp, &body); err != nil {
		return Entity{}, &Error{Kind: KindOther, Op: "read entity", Path: path, Err: err}
	}
	if body.Data == nil {
		return Entity{}, &Error{Kind: KindNotFound, Op: "read entity", Path: path, Hint: "no entity has id " + id}
	}
	e := Entity{ID: body.Data.ID, Name: body.Data.Name}
	for _, a := range body.Data.Aliases {
		e.Aliases = append(e.Aliases, EntityAlias(a))
	}
	slices.SortFunc(e.Aliases, func(a, b EntityAlias) int { return strings.Compare(a.MountPath+a.Name, b.MountPath+b.Name) })
	return e, nil
}
