package model

import "time"

// t0 is the fixed "now" of the tests.
var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// info is a looked-up lease issued an hour before t0 that expires ttl
// after t0 (never, for ttl 0).
func info(id string, ttl time.Duration, renewable bool) LeaseInfo {
	li := LeaseInfo{ID: id, IssueTime: t0.Add(-time.Hour), Renewable: renewable, TTL: ttl}
	if ttl != 0 {
		li.ExpireTime = t0.Add(ttl)
	}
	return li
}

func ids(ls []*Lease) []string {
	out := []string{}
	for _, l := range ls {
		out = append(out, l.ID())
	}
	return out
}

func names(ns []*Node) []string {
	out := []string{}
	for _, n := range ns {
		out = append(out, n.Name())
	}
	return out
}

// listing is one ApplyListing call.
type listing struct {
	prefix   string
	children []string
	leases   []string
}

// build applies listings, then lookups, to a new index.
func build(ls []listing, infos ...LeaseInfo) *Index {
	x := NewIndex()
	for _, l := range ls {
		x.ApplyListing(l.prefix, l.children, l.leases, t0)
	}
	for _, li := range infos {
		x.ApplyLease(li)
	}
	return x
}

// nested is a three-level tree: database/ (3 leases below) and secret/ (1).
var nested = []listing{
	{"", []string{"database/", "secret/"}, nil},
	{"database/", []string{"database/creds/"}, nil},
	{"database/creds/", []string{"database/creds/ro/", "database/creds/rw/"}, nil},
	{"database/creds/ro/", nil, []string{"database/creds/ro/a", "database/creds/ro/b"}},
	{"database/creds/rw/", nil, []string{"database/creds/rw/c"}},
	{"secret/", nil, []string{"secret/k"}},
}
