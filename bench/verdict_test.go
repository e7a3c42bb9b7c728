package main

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestFigureVerdict(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fig    figure
		want   string
		target string
	}{
		{"at most, under", figure{checks: []check{atMost("", 0.9, 1, "% of a core")}}, "MET", "<= 1% of a core"},
		{"at most, on the limit", figure{checks: []check{atMost("", 1, 1, "% of a core")}}, "MET", "<= 1% of a core"},
		{"at most, over", figure{checks: []check{atMost("", 1.01, 1, "% of a core")}}, "MISSED", "<= 1% of a core"},
		{"at least, over", figure{checks: []check{atLeast("UI", 0.95, 0.9, "x")}}, "MET", "UI >= 0.9x"},
		{"at least, under", figure{checks: []check{atLeast("UI", 0.89, 0.9, "x")}}, "MISSED", "UI >= 0.9x"},
		{"one of two misses", figure{checks: []check{atLeast("UI", 1, 0.9, "x"), atLeast("ls -r", 0.8, 0.9, "x")}}, "MISSED", "UI >= 0.9x; ls -r >= 0.9x"},
		{"both met", figure{checks: []check{atLeast("UI", 1, 0.9, "x"), atMost("heap", 100, 128, " B")}}, "MET", "UI >= 0.9x; heap <= 128 B"},
		{"no target", figure{}, "MISSED", ""},
		{"not measured", failedFigure("x", errors.New("boom"), atMost("", 0, 2, "x")), "MISSED", "<= 2x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.fig.verdict(); got != tc.want {
				t.Errorf("verdict = %s, want %s", got, tc.want)
			}
			if got := tc.fig.target(); got != tc.target {
				t.Errorf("target = %q, want %q", got, tc.target)
			}
		})
	}
}

func TestPrintTableCountsTheMisses(t *testing.T) {
	figs := []figure{
		{name: "a", value: "1", checks: []check{atMost("", 1, 2, "x")}},
		{name: "b", value: "3", checks: []check{atMost("", 3, 2, "x")}},
		failedFigure("c", errors.New("no tmux"), atLeast("", 0, 1, "x")),
	}
	if got := printTable(figs, time.Now()); got != 2 {
		t.Errorf("printTable counted %d misses, want 2", got)
	}
}

func TestWant(t *testing.T) {
	defer func(o string) { only = o }(only)
	for _, tc := range []struct {
		only string
		in   []int
		out  []int
	}{
		{"", []int{1, 10}, []int{11, 18, 19}},
		{"11-19", []int{11, 15, 18, 19}, []int{10, 20}},
		{"5,7,18", []int{5, 7, 18}, []int{6, 19}},
	} {
		only = tc.only
		for _, n := range tc.in {
			if !want(n) {
				t.Errorf("-only %q: figure %d not wanted", tc.only, n)
			}
		}
		for _, n := range tc.out {
			if want(n) {
				t.Errorf("-only %q: figure %d wanted", tc.only, n)
			}
		}
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{-1, 100, 0.5}, 0.5},
	} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestTrimFloat(t *testing.T) {
	for in, want := range map[float64]string{0.9: "0.9", 1.5: "1.5", 1024: "1024", 0: "0", 10: "10"} {
		if got := trimFloat(in); got != want || strings.Contains(got, "e") {
			t.Errorf("trimFloat(%v) = %q, want %q", in, got, want)
		}
	}
}
