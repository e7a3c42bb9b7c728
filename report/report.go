// Package report writes leases for scripts and monitoring: a stable row
// schema in table, JSON (array), JSON lines and CSV forms, streamed as the
// crawl goes so a pipe sees the first rows at once.
package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/leasetop/leasetop/leaseid"
	"github.com/leasetop/leasetop/model"
)

// Row is one lease. The JSON field names are a stable interface: add
// fields, never rename or remove them.
type Row struct {
	ID          string     `json:"id"`
	Prefix      string     `json:"prefix"`
	IssueTime   *time.Time `json:"issue_time"`
	ExpireTime  *time.Time `json:"expire_time"`  // null: never expires
	LastRenewal *time.Time `json:"last_renewal"` // null: never renewed
	TTLSeconds  *int64     `json:"ttl_seconds"`  // at the time of the run; null without expiry
	Renewable   bool       `json:"renewable"`
	Token       bool       `json:"token"` // a token lease: renews through auth/token/renew

	// Owner is who made the lease, for a writer made by NewWithOwners;
	// other writers ignore it.
	Owner *Owner `json:"-"`
}

// Owner is who made a lease, as Vault's audit log tells it (ls
// --vault-audit). Stable JSON field names, added to a Row's.
type Owner struct {
	Owner       string     `json:"owner"`        // the owner's short name (role or user name, else display name); "" when unknown
	OwnerReason string     `json:"owner_reason"` // why the owner is unknown, in words; "" when known
	DisplayName string     `json:"display_name"`
	EntityID    string     `json:"entity_id"`
	Role        string     `json:"role"`         // the role or user name in the owner's metadata; "" when none
	CreatedTime *time.Time `json:"created_time"` // when the log says the lease was made; null when unknown
}

// NewRow fills a Row from lookup fields, computing the TTL at now.
func NewRow(id string, issue, expire, renewed time.Time, renewable bool, now time.Time) Row {
	r := Row{ID: id, Prefix: leaseid.Prefix(id), Renewable: renewable, Token: leaseid.IsToken(id)}
	ptr := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		u := t.UTC()
		return &u
	}
	r.IssueTime, r.ExpireTime, r.LastRenewal = ptr(issue), ptr(expire), ptr(renewed)
	if !expire.IsZero() {
		ttl := int64(expire.Sub(now) / time.Second)
		r.TTLSeconds = &ttl
	}
	return r
}

// Writer streams rows in one format.
type Writer interface {
	Write(Row) error
	// Close finishes the output (the closing bracket of a JSON array, the
	// table's flush).
	Close() error
}

// Formats lists the names New accepts.
var Formats = []string{"table", "json", "jsonl", "csv"}

// New returns a writer for format.
func New(format string, w io.Writer) (Writer, error) {
	return newWriter(format, w, false)
}

// NewWithOwners returns a writer for format that adds each row's Owner:
// the columns OWNER, ENTITY and ROLE in a table, the Owner fields in JSON
// and CSV. A row without an Owner writes them empty.
func NewWithOwners(format string, w io.Writer) (Writer, error) {
	return newWriter(format, w, true)
}

func newWriter(format string, w io.Writer, owners bool) (Writer, error) {
	switch format {
	case "table", "":
		tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
		if owners {
			fmt.Fprintln(tw, "LEASE\tTTL\tEXPIRES\tRENEWABLE\tOWNER\tENTITY\tROLE")
		} else {
			fmt.Fprintln(tw, "LEASE\tTTL\tEXPIRES\tRENEWABLE")
		}
		return &tableWriter{tw: tw, owners: owners}, nil
	case "json":
		return &jsonWriter{w: w, owners: owners}, nil
	case "jsonl":
		return &jsonlWriter{enc: json.NewEncoder(w), owners: owners}, nil
	case "csv":
		cw := csv.NewWriter(w)
		head := []string{"id", "prefix", "issue_time", "expire_time", "last_renewal", "ttl_seconds", "renewable", "token"}
		if owners {
			head = append(head, "owner", "owner_reason", "display_name", "entity_id", "role", "created_time")
		}
		err := cw.Write(head)
		return &csvWriter{cw: cw, owners: owners}, err
	}
	return nil, fmt.Errorf("unknown output format %q: use one of %s", format, strings.Join(Formats, ", "))
}

// withOwner is a row with its owner's fields beside its own.
type withOwner struct {
	Row
	*Owner
}

// value is what the JSON writers encode for r.
func value(r Row, owners bool) any {
	if !owners {
		return r
	}
	o := r.Owner
	if o == nil {
		o = &Owner{}
	}
	return withOwner{Row: r, Owner: o}
}

type tableWriter struct {
	tw     *tabwriter.Writer
	owners bool
}

func (t *tableWriter) Write(r Row) error {
	ttl, exp := "never", "never"
	if r.TTLSeconds != nil {
		ttl = model.FormatTTL(time.Duration(*r.TTLSeconds) * time.Second)
		exp = r.ExpireTime.Format(time.RFC3339)
	}
	renew := strconv.FormatBool(r.Renewable)
	if r.Token {
		renew = "token"
	}
	if !t.owners {
		_, err := fmt.Fprintf(t.tw, "%s\t%s\t%s\t%s\n", r.ID, ttl, exp, renew)
		return err
	}
	owner, entity, role := "-", "-", "-"
	if o := r.Owner; o != nil {
		if o.Owner != "" {
			owner = o.Owner
		} else if o.OwnerReason != "" {
			owner = "(" + o.OwnerReason + ")"
		}
		if o.EntityID != "" {
			entity = o.EntityID
		}
		if o.Role != "" {
			role = o.Role
		}
	}
	_, err := fmt.Fprintf(t.tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, ttl, exp, renew, owner, entity, role)
	return err
}

func (t *tableWriter) Close() error { return t.tw.Flush() }

type jsonWriter struct {
	w      io.Writer
	n      int
	owners bool
}

func (j *jsonWriter) Write(r Row) error {
	b, err := json.Marshal(value(r, j.owners))
	if err != nil {
		return err
	}
	sep := ",\n"
	if j.n == 0 {
		sep = "[\n"
	}
	j.n++
	_, err = fmt.Fprintf(j.w, "%s  %s", sep, b)
	return err
}

func (j *jsonWriter) Close() error {
	if j.n == 0 {
		_, err := io.WriteString(j.w, "[]\n")
		return err
	}
	_, err := io.WriteString(j.w, "\n]\n")
	return err
}

type jsonlWriter struct {
	enc    *json.Encoder
	owners bool
}

func (j *jsonlWriter) Write(r Row) error { return j.enc.Encode(value(r, j.owners)) }
func (j *jsonlWriter) Close() error      { return nil }

type csvWriter struct {
	cw     *csv.Writer
	owners bool
}

func (c *csvWriter) Write(r Row) error {
	ts := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.Format(time.RFC3339)
	}
	ttl := ""
	if r.TTLSeconds != nil {
		ttl = strconv.FormatInt(*r.TTLSeconds, 10)
	}
	rec := []string{r.ID, r.Prefix, ts(r.IssueTime), ts(r.ExpireTime), ts(r.LastRenewal), ttl,
		strconv.FormatBool(r.Renewable), strconv.FormatBool(r.Token)}
	if c.owners {
		o := r.Owner
		if o == nil {
			o = &Owner{}
		}
		rec = append(rec, o.Owner, o.OwnerReason, o.DisplayName, o.EntityID, o.Role, ts(o.CreatedTime))
	}
	err := c.cw.Write(rec)
	c.cw.Flush()
	if err == nil {
		err = c.cw.Error()
	}
	return err
}

func (c *csvWriter) Close() error { c.cw.Flush(); return c.cw.Error() }
