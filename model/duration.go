package model

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// FormatTTL prints time left the way a glance wants it: "2d03h", "1h04m",
// "3m12s", "45s", and "expired" at or below zero.
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

// Never is what a lease without expiry shows instead of a TTL.
const Never = "never"

// FormatDuration prints a duration the way ParseDuration reads it back,
// without zero units: "1h", "30m", "1h30m", "2d", "45s", "0s".
func FormatDuration(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	s := int64(d.Round(time.Second) / time.Second)
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
// "1h30m"), days ("2d", "1d12h"), or plain seconds ("3600"). It refuses
// negative and empty values with a message that says what to type.
func ParseDuration(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return 0, fmt.Errorf("no duration given: use forms like 30m, 1h, 2d")
	}
	if strings.HasPrefix(in, "-") {
		return 0, fmt.Errorf("%q is negative: give a positive duration like 30m, 1h, 2d", s)
	}
	if n, err := strconv.ParseInt(in, 10, 64); err == nil {
		if n > int64(maxDuration/time.Second) {
			return 0, fmt.Errorf("%q is too long", s)
		}
		return time.Duration(n) * time.Second, nil
	}
	var days int64
	if i := strings.IndexByte(in, 'd'); i > 0 {
		n, err := strconv.ParseInt(in[:i], 10, 64)
		if err != nil || n > int64(maxDuration/(24*time.Hour)) {
			return 0, notDuration(s)
		}
		days, in = n, in[i+1:]
	}
	var rest time.Duration
	if in != "" {
		if strings.HasPrefix(in, "+") || strings.HasPrefix(in, "-") {
			return 0, notDuration(s)
		}
		d, err := time.ParseDuration(in)
		if err != nil {
			return 0, notDuration(s)
		}
		rest = d
	}
	total := time.Duration(days)*24*time.Hour + rest
	if total < rest {
		return 0, fmt.Errorf("%q is too long", s)
	}
	return total, nil
}

const maxDuration = time.Duration(1<<63 - 1)

func notDuration(s string) error {
	return fmt.Errorf("%q is not a duration: use forms like 30m, 1h, 2d", s)
}
