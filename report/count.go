package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/leasetop/leasetop/leaseid"
	"github.com/leasetop/leasetop/model"
)

// CountRow is one prefix of `leasetop count`. Stable JSON field names.
type CountRow struct {
	Prefix        string     `json:"prefix"`
	Depth         int        `json:"depth"`
	Leases        int        `json:"leases"`
	SoonestExpiry *time.Time `json:"soonest_expiry"` // null: nothing below expires
	SoonestTTL    *int64     `json:"soonest_ttl_seconds"`
	// With count --watch: leases created and gone per minute below.
	CreatedPerMinute *float64 `json:"created_per_minute,omitempty"`
	GonePerMinute    *float64 `json:"gone_per_minute,omitempty"`
}

// CountTree flattens the index under prefix to depth levels, parents
// before children.
func CountTree(idx *model.Index, prefix string, depth int, order model.ChildSort, now time.Time) []CountRow {
	var rows []CountRow
	var visit func(n *model.Node, d int)
	visit = func(n *model.Node, d int) {
		r := CountRow{Prefix: n.Path(), Depth: d, Leases: n.Count()}
		if s := n.Soonest(); !s.IsZero() {
			u := s.UTC()
			ttl := int64(s.Sub(now) / time.Second)
			r.SoonestExpiry, r.SoonestTTL = &u, &ttl
		}
		rows = append(rows, r)
		if d >= depth {
			return
		}
		for _, c := range idx.Children(n.Path(), order) {
			visit(c, d+1)
		}
	}
	if n := idx.Node(prefix); n != nil {
		visit(n, 0)
	} else {
		rows = append(rows, CountRow{Prefix: prefix})
	}
	return rows
}

// WriteCountsTable prints the tree indented by depth, counts aligned.
func WriteCountsTable(w io.Writer, rows []CountRow) error {
	names := make([]string, len(rows))
	width := len("PREFIX")
	for i, r := range rows {
		name := r.Prefix
		if name == "" {
			name = "/"
		} else if r.Depth > 0 {
			name = strings.Repeat("  ", r.Depth) + leaseid.Name(r.Prefix)
		}
		names[i] = name
		width = max(width, len(name))
	}
	watched := len(rows) > 0 && rows[0].CreatedPerMinute != nil
	rates := func(r CountRow) string {
		if !watched {
			return ""
		}
		return fmt.Sprintf("  %10.1f  %10.1f", *r.CreatedPerMinute, *r.GonePerMinute)
	}
	head := ""
	if watched {
		head = fmt.Sprintf("  %10s  %10s", "CREATED/M", "GONE/M")
	}
	if _, err := fmt.Fprintf(w, "%-*s  %8s  %8s%s\n", width, "PREFIX", "LEASES", "SOONEST", head); err != nil {
		return err
	}
	for i, r := range rows {
		soon := "-"
		if r.SoonestTTL != nil {
			soon = model.FormatTTL(time.Duration(*r.SoonestTTL) * time.Second)
		}
		if _, err := fmt.Fprintf(w, "%-*s  %8d  %8s%s\n", width, names[i], r.Leases, soon, rates(r)); err != nil {
			return err
		}
	}
	return nil
}

// WriteCountsJSON prints the rows as one JSON array.
func WriteCountsJSON(w io.Writer, rows []CountRow) error {
	if rows == nil {
		rows = []CountRow{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rows)
}
