package model

import (
	"testing"
	"time"
)

func TestVersionChangesOnlyWithTheData(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	x := NewIndex()
	x.ApplyListing("", []string{"s/"}, nil, t0)
	x.ApplyListing("s/", nil, []string{"s/a"}, t0)
	x.ApplyLease(LeaseInfo{ID: "s/a", IssueTime: t0, ExpireTime: t0.Add(time.Hour), Renewable: true})
	v := x.Version()
	x.ApplyListing("", []string{"s/"}, nil, t0)
	x.ApplyListing("s/", nil, []string{"s/a"}, t0)
	if x.PurgeGone(t0) != 0 || x.Version() != v {
		t.Error("an unchanged listing must not change the version")
	}
	for _, change := range []func(){
		func() { x.ApplyListing("s/", nil, []string{"s/a", "s/b"}, t0) },
		func() { x.MarkGone("s/b", t0) },
		func() { x.PurgeGone(t0.Add(time.Second)) },
		func() { x.ApplyListing("", []string{"s/", "t/"}, nil, t0) },
		func() { x.SetPrefixError("t/", "denied") },
		func() { x.ApplyLease(LeaseInfo{ID: "s/a", IssueTime: t0, ExpireTime: t0.Add(2 * time.Hour)}) },
	} {
		v := x.Version()
		change()
		if x.Version() == v {
			t.Error("a change must change the version")
		}
	}
}
