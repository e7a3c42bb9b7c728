package churn

import (
	"math"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func TestRatesRollUpToAncestors(t *testing.T) {
	tr := New(time.Minute, 15)
	// 100 a minute under secret/app/db/ for 5 minutes; 10 gone a minute
	// under secret/other/.
	for m := range 5 {
		at := t0.Add(time.Duration(m)*time.Minute + 30*time.Second)
		tr.Record("secret/app/db/", 100, 0, at)
		tr.Record("secret/other/", 0, 10, at)
	}
	now := t0.Add(5 * time.Minute)
	tests := []struct {
		prefix        string
		created, gone float64
	}{
		{"secret/app/db/", 100, 0},
		{"secret/app/", 100, 0},
		{"secret/other/", 0, 10},
		{"secret/", 100, 10},
		{"", 100, 10},
		{"pki/", 0, 0},
	}
	for _, tt := range tests {
		c, g := tr.Rate(tt.prefix, now, 5*time.Minute)
		if math.Abs(c-tt.created) > 0.01 || math.Abs(g-tt.gone) > 0.01 {
			t.Errorf("Rate(%q) = %.1f, %.1f; want %.1f, %.1f", tt.prefix, c, g, tt.created, tt.gone)
		}
	}
	p, rate, ok := tr.Fastest(now, 5*time.Minute)
	if !ok || p != "secret/app/db/" || math.Abs(rate-100) > 0.01 {
		t.Errorf("Fastest = %q %.1f %v; want secret/app/db/ 100", p, rate, ok)
	}
	if g := tr.Growth("secret/", now, 5*time.Minute); math.Abs(g-90) > 0.01 {
		t.Errorf("Growth(secret/) = %.1f, want 90", g)
	}
}

func TestOldBucketsAgeOut(t *testing.T) {
	tr := New(time.Minute, 5)
	tr.Record("a/", 50, 0, t0)
	later := t0.Add(20 * time.Minute)
	tr.Record("b/", 1, 0, later)
	if c, _ := tr.Rate("a/", later, 5*time.Minute); c != 0 {
		t.Errorf("a/ still grows %.1f/m 20 minutes later", c)
	}
	if p, _, _ := tr.Fastest(later, 5*time.Minute); p != "b/" {
		t.Errorf("fastest %q, want b/", p)
	}
}

func TestAFirstRecordIsNotABurstOfInfinity(t *testing.T) {
	tr := New(time.Minute, 15)
	tr.Record("a/", 30, 0, t0)
	if c, _ := tr.Rate("a/", t0.Add(time.Second), 5*time.Minute); c != 30 {
		t.Errorf("rate %.1f right after the first record, want 30 (counted over a minute)", c)
	}
}

func TestSparkline(t *testing.T) {
	tr := New(time.Minute, 15)
	for m, n := range []int{0, 10, 40, 80, -5} {
		if n >= 0 {
			tr.Record("a/", n, 0, t0.Add(time.Duration(m)*time.Minute))
		} else {
			tr.Record("a/", 0, -n, t0.Add(time.Duration(m)*time.Minute))
		}
	}
	v := tr.Spark("a/", t0.Add(4*time.Minute), 5)
	if want := []int{0, 10, 40, 80, -5}; !equal(v, want) {
		t.Fatalf("Spark = %v, want %v", v, want)
	}
	if got := Sparkline(v); got != " ▁▄█·" {
		t.Errorf("Sparkline = %q", got)
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestTotalsOutliveTheRing(t *testing.T) {
	tr := New(time.Minute, 2)
	at := time.Unix(0, 0)
	for i := range 5 {
		tr.Record("db/creds/app/", 3, 1, at.Add(time.Duration(i)*time.Minute))
	}
	tr.Record("db/creds/other/", 2, 0, at)
	tr.Record("db/creds/", 1, 1, at)
	for _, tc := range []struct {
		prefix                      string
		created, gone, own, ownGone int64
	}{
		{"db/creds/app/", 15, 5, 15, 5},
		{"db/creds/", 18, 6, 1, 1},
		{"", 18, 6, 0, 0},
		{"nothing/", 0, 0, 0, 0},
	} {
		if c, g := tr.Totals(tc.prefix); c != tc.created || g != tc.gone {
			t.Errorf("Totals(%q) = %d, %d; want %d, %d", tc.prefix, c, g, tc.created, tc.gone)
		}
		if c, g := tr.OwnTotals(tc.prefix); c != tc.own || g != tc.ownGone {
			t.Errorf("OwnTotals(%q) = %d, %d; want %d, %d", tc.prefix, c, g, tc.own, tc.ownGone)
		}
	}
}
