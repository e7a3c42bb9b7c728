package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/leasetop/leasetop/model"
)

// OwnerRow is one owner group of `leasetop owners`. The JSON field names
// are a stable interface: add fields, never rename or remove them.
type OwnerRow struct {
	Label         string     `json:"label"`  // the group in words
	Name          string     `json:"name"`   // what --owner takes; "" for the groups without an owner
	Key           string     `json:"key"`    // what every lease of the group shares; --owner takes it too
	Owned         bool       `json:"owned"`  // false: the leases have no known owner, and reason says why
	Reason        string     `json:"reason"` // why there is no owner, in words; "" for owners
	Leases        int        `json:"leases"`
	Share         float64    `json:"share"`          // of every lease under the prefix, 0 to 1
	SoonestExpiry *time.Time `json:"soonest_expiry"` // null: none of its leases expires
	SoonestTTL    *int64     `json:"soonest_ttl_seconds"`
	Recent        int        `json:"recent"` // leases the log says were made within the --recent window
}

// OwnerFormats lists the names WriteOwners accepts.
var OwnerFormats = []string{"table", "json", "csv"}

// CheckOwnerFormat says whether WriteOwners knows format.
func CheckOwnerFormat(format string) error {
	for _, f := range OwnerFormats {
		if f == format {
			return nil
		}
	}
	return fmt.Errorf("unknown output format %q: use one of %s", format, strings.Join(OwnerFormats, ", "))
}

// WriteOwners prints the rows: a table (counts first, the group in words
// last, headed by the grouping and the recent window), one JSON array, or CSV with a header.
func WriteOwners(w io.Writer, format string, rows []OwnerRow, byWords string, recent time.Duration) error {
	if err := CheckOwnerFormat(format); err != nil {
		return err
	}
	switch format {
	case "json":
		if rows == nil {
			rows = []OwnerRow{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"label", "name", "key", "owned", "reason", "leases", "share", "soonest_expiry", "soonest_ttl_seconds", "recent"})
		for _, r := range rows {
			exp, ttl := "", ""
			if r.SoonestExpiry != nil {
				exp = r.SoonestExpiry.Format(time.RFC3339)
				ttl = strconv.FormatInt(*r.SoonestTTL, 10)
			}
			_ = cw.Write([]string{r.Label, r.Name, r.Key, strconv.FormatBool(r.Owned), r.Reason, strconv.Itoa(r.Leases),
				strconv.FormatFloat(r.Share, 'f', 4, 64), exp, ttl, strconv.Itoa(r.Recent)})
		}
		cw.Flush()
		return cw.Error()
	}
	// The label comes last: the labels without an owner are long.
	nameW := len("NAME")
	for _, r := range rows {
		nameW = max(nameW, len(r.Name))
	}
	line := func(label, name, leases, share, soon, recent string) error {
		_, err := fmt.Fprintf(w, "%8s  %6s  %8s  %8s  %-*s  %s\n", leases, share, soon, recent, nameW, name, label)
		return err
	}
	if err := line("OWNER BY "+strings.ToUpper(byWords), "NAME", "LEASES", "SHARE", "SOONEST", "NEW "+model.FormatDuration(recent)); err != nil {
		return err
	}
	for _, r := range rows {
		soon := "-"
		if r.SoonestTTL != nil {
			soon = model.FormatTTL(time.Duration(*r.SoonestTTL) * time.Second)
		}
		name := r.Name
		if !r.Owned {
			name = "-"
		}
		if err := line(r.Label, name, strconv.Itoa(r.Leases), fmt.Sprintf("%.1f%%", 100*r.Share), soon, strconv.Itoa(r.Recent)); err != nil {
			return err
		}
	}
	return nil
}
