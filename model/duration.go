package model

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Never is what a lease without expiry shows in place of a TTL, kept here
// so every view says it the same way.
const Never = "never"

// FormatTTL prints time left the way a glance wants it, two units at most
// and fixed-width-ish so a column does not jitter: "2d03h" from a day up,
// "1h04m", "3m12s", "45s", and "expired" at or below zero. Partial seconds
// are dropped, as a countdown does.
func FormatTTL(d time.Duration) string {
	if d <= 0 {
		return "expired"
	}
	s := int64(d / time.Second)
	switch {
	case s >= 86400:
		return fmt.Sprintf("%dd%02dh", s/86400, s%86400/3600)
	case s >= 3600:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	case s >= 60:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
	return fmt.Sprintf("%ds", s)
}

// FormatDuration prints a duration so that ParseDuration reads it back
// and a person would have typed it: whole seconds, no zero units ("1h",
// "1h30m", "2d", "1d12h", "45s"), "0s" for zero or less. It is how an
// input box is pre-filled with the current setting.
func FormatDuration(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s <= 0 {
		return "0s"
	}
	var b strings.Builder
	for _, u := range []struct {
		secs int64
		name string
	}{{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}} {
		if s >= u.secs {
			fmt.Fprintf(&b, "%d%s", s/u.secs, u.name)
			s %= u.secs
		}
	}
	return b.String()
}

// ParseDuration reads a duration typed by a person: Go's forms ("90m",
// "1h30m", "1.5h"), days in front ("2d", "1d12h", "1.5d"), or plain seconds
// ("3600", as Vault's own TTL fields take them). Spaces are ignored. It
// refuses empty, negative and unreadable input with an error that says
// what to type instead, because the message goes straight to the screen.
func ParseDuration(s string) (time.Duration, error) {
	in := strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	if in == "" {
		return 0, fmt.Errorf("no duration given: use forms like 30m, 1h, 2d")
	}
	if in[0] == '-' {
		return 0, fmt.Errorf("%q is negative: give a positive duration like 30m, 1h, 2d", s)
	}
	if n, err := strconv.ParseUint(in, 10, 64); err == nil {
		if n > uint64(maxDuration/time.Second) {
			return 0, tooLong(s)
		}
		return time.Duration(n) * time.Second, nil
	} else if isDigits(in) {
		return 0, tooLong(s) // all digits, yet not a uint64: out of range
	}
	var days time.Duration
	if i := strings.IndexByte(in, 'd'); i >= 0 {
		// "1.5d" is "1.5h" times 24, which keeps Go's exact decimal parsing.
		if !isDecimal(in[:i]) {
			return 0, notDuration(s)
		}
		d, err := parseUnsigned(in[:i] + "h")
		if err != nil {
			return 0, notDuration(s)
		}
		if d > maxDuration/24 {
			return 0, tooLong(s)
		}
		days, in = d*24, in[i+1:]
	}
	var rest time.Duration
	if in != "" {
		d, err := parseUnsigned(in)
		if err != nil {
			return 0, notDuration(s)
		}
		rest = d
	}
	if days > maxDuration-rest {
		return 0, tooLong(s)
	}
	return days + rest, nil
}

// parseUnsigned is time.ParseDuration without signs: in "1d-2h" the "-2h"
// is a typo, not a subtraction.
func parseUnsigned(s string) (time.Duration, error) {
	if s == "" || s[0] == '+' || s[0] == '-' {
		return 0, fmt.Errorf("time: invalid duration %q", s)
	}
	return time.ParseDuration(s)
}

// isDecimal reports a plain number like "2" or "1.5", what may precede "d".
func isDecimal(s string) bool {
	digits, dots := 0, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '.':
			dots++
		case s[i] >= '0' && s[i] <= '9':
			digits++
		default:
			return false
		}
	}
	return digits > 0 && dots <= 1
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

const maxDuration = time.Duration(1<<63 - 1)

func notDuration(s string) error {
	return fmt.Errorf("%q is not a duration: use forms like 30m, 1h, 2d", s)
}

func tooLong(s string) error {
	return fmt.Errorf("%q is too long: the most is %s", s, FormatDuration(maxDuration))
}
