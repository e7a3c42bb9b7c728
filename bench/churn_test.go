package main

import (
	"testing"
	"time"
)

func TestPctile(t *testing.T) {
	ms := func(n int) []time.Duration {
		var d []time.Duration
		for i := n; i >= 1; i-- { // unsorted on purpose
			d = append(d, time.Duration(i)*time.Millisecond)
		}
		return d
	}
	for _, c := range []struct {
		name string
		lat  []time.Duration
		p    int
		want time.Duration
	}{
		{"none", nil, 99, 0},
		{"one", ms(1), 99, time.Millisecond},
		{"median of 5", ms(5), 50, 3 * time.Millisecond},
		{"p99 of 200", ms(200), 99, 199 * time.Millisecond},
		{"p100 stays inside", ms(10), 100, 10 * time.Millisecond},
	} {
		if got := pctile(c.lat, c.p); got != c.want {
			t.Errorf("%s: pctile(p%d) = %v, want %v", c.name, c.p, got, c.want)
		}
	}
}
