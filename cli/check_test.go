package cli

import "testing"

func TestParseRate(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want float64
	}{{"500/m", 500}, {"10/s", 600}, {"120/h", 2}, {"30", 30}, {"", 0}} {
		if got, err := parseRate(tt.in); err != nil || got != tt.want {
			t.Errorf("parseRate(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}
