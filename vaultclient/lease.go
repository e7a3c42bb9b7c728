package vaultclient

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/leasetop/leasetop/leaseid"
)

// Lease is one lease as sys/leases/lookup describes it.
type Lease struct {
	ID          string
	IssueTime   time.Time
	ExpireTime  time.Time // zero: the lease never expires
	LastRenewal time.Time // zero: never renewed
	Renewable   bool
	// TTL is what Vault reported at lookup time; it goes negative for a
	// lease that expired and waits for (or failed) revocation.
	TTL time.Duration
}

// Prefix is the path that created the lease: the id up to its last '/',
// slash included ("database/creds/readonly/").
func (l Lease) Prefix() string { return leaseid.Prefix(l.ID) }

// lookupData is the data object of a sys/leases/lookup answer.
type lookupData struct {
	ID          string      `json:"id"`
	IssueTime   string      `json:"issue_time"`
	ExpireTime  *string     `json:"expire_time"`
	LastRenewal *string     `json:"last_renewal"`
	Renewable   bool        `json:"renewable"`
	TTL         json.Number `json:"ttl"`
}

func (d lookupData) lease() (Lease, error) {
	l := Lease{ID: d.ID, Renewable: d.Renewable}
	var err error
	if l.IssueTime, err = parseTime(&d.IssueTime); err != nil {
		return l, fmt.Errorf("issue_time: %w", err)
	}
	if l.ExpireTime, err = parseTime(d.ExpireTime); err != nil {
		return l, fmt.Errorf("expire_time: %w", err)
	}
	if l.LastRenewal, err = parseTime(d.LastRenewal); err != nil {
		return l, fmt.Errorf("last_renewal: %w", err)
	}
	if d.TTL != "" {
		secs, err := d.TTL.Int64()
		if err != nil {
			return l, fmt.Errorf("ttl: %w", err)
		}
		l.TTL = time.Duration(secs) * time.Second
	}
	return l, nil
}

// parseTime accepts Vault's RFC 3339 times; nil, "" and Go's zero time
// (which Vault prints for "never") become the zero time.
func parseTime(s *string) (time.Time, error) {
	if s == nil || *s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, *s)
	if err != nil {
		return time.Time{}, err
	}
	if t.Year() <= 1 {
		return time.Time{}, nil
	}
	return t, nil
}
