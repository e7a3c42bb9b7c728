package model

import (
	"strings"
	"testing"
	"time"
)

func TestFormatTTL(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{-time.Hour, "expired"},
		{0, "expired"},
		{time.Millisecond, "0s"},
		{45 * time.Second, "45s"},
		{59*time.Second + 999*time.Millisecond, "59s"},
		{time.Minute, "1m00s"},
		{3*time.Minute + 12*time.Second, "3m12s"},
		{time.Hour + 4*time.Minute, "1h04m"},
		{23*time.Hour + 59*time.Minute + 59*time.Second, "23h59m"},
		{24 * time.Hour, "1d00h"},
		{51*time.Hour + 30*time.Minute, "2d03h"},
		{768 * time.Hour, "32d00h"},
	}
	for _, tt := range tests {
		if got := FormatTTL(tt.in); got != tt.want {
			t.Errorf("FormatTTL(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{-time.Second, "0s"},
		{0, "0s"},
		{100 * time.Millisecond, "0s"},
		{600 * time.Millisecond, "1s"},
		{45 * time.Second, "45s"},
		{90 * time.Minute, "1h30m"},
		{time.Hour, "1h"},
		{48 * time.Hour, "2d"},
		{36*time.Hour + 5*time.Second, "1d12h5s"},
	}
	for _, tt := range tests {
		if got := FormatDuration(tt.in); got != tt.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{"30m", 30 * time.Minute, ""},
		{"90m", 90 * time.Minute, ""},
		{"1h30m", 90 * time.Minute, ""},
		{"1.5h", 90 * time.Minute, ""},
		{"500ms", 500 * time.Millisecond, ""},
		{"1d", 24 * time.Hour, ""},
		{"2d", 48 * time.Hour, ""},
		{"1d12h", 36 * time.Hour, ""},
		{"1.5d", 36 * time.Hour, ""},
		{"1d 12h", 36 * time.Hour, ""},
		{"3600", time.Hour, ""},
		{"0", 0, ""},
		{" 1h ", time.Hour, ""},
		{"106751d23h47m16s", 9223372036 * time.Second, ""},
		{"", 0, "no duration given: use forms like 30m, 1h, 2d"},
		{"   ", 0, "no duration given"},
		{"banana", 0, `"banana" is not a duration: use forms like 30m, 1h, 2d`},
		{"-5m", 0, `"-5m" is negative`},
		{"-5", 0, "negative"},
		{"+5m", 0, "is not a duration"},
		{"1d-2h", 0, "is not a duration"},
		{"d", 0, "is not a duration"},
		{"1h1d", 0, "is not a duration"},
		{"1d2d", 0, "is not a duration"},
		{"1..5d", 0, "is not a duration"},
		{"5", 5 * time.Second, ""},
		{"5x", 0, "is not a duration"},
		{"1H", 0, "is not a duration"},
		{"99999999999999999999", 0, "is too long"},
		{"9223372037", 0, "is too long"},
		{"106752d", 0, "is too long"},
		{"106751d24h", 0, "is too long"},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseDuration(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

// FuzzParseDuration checks that no input panics, that what parses is never
// negative, and that FormatDuration of it (whole seconds) parses back to
// the same whole seconds.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"30m", "1d12h", "1.5d", "3600", "banana", "-5m", "9999999999999d",
		"1.5h", "0", "106751d23h47m16s", "1d-2h", "µs", "1e3s", "0.0000000001h", "d", ".d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("ParseDuration(%q): empty error", s)
			}
			return
		}
		if d < 0 {
			t.Fatalf("ParseDuration(%q) = %v: negative", s, d)
		}
		text := FormatDuration(d)
		back, err := ParseDuration(text)
		want := d.Round(time.Second) / time.Second * time.Second
		if err != nil || back != want {
			t.Fatalf("round trip of %q: %v -> %q -> %v, %v; want %v", s, d, text, back, err, want)
		}
	})
}
