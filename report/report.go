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
	switch format {
	case "table", "":
		tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "LEASE\tTTL\tEXPIRES\tRENEWABLE")
		return &tableWriter{tw: tw}, nil
	case "json":
		return &jsonWriter{w: w}, nil
	case "jsonl":
		return &jsonlWriter{enc: json.NewEncoder(w)}, nil
	case "csv":
		cw := csv.NewWriter(w)
		err := cw.Write([]string{"id", "prefix", "issue_time", "expire_time", "last_renewal", "ttl_seconds", "renewable", "token"})
		return &csvWriter{cw: cw}, err
	}
	return nil, fmt.Errorf("unknown output format %q: use one of %s", format, strings.Join(Formats, ", "))
}

type tableWriter struct{ tw *tabwriter.Writer }

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
	_, err := fmt.Fprintf(t.tw, "%s\t%s\t%s\t%s\n", r.ID, ttl, exp, renew)
	return err
}

func (t *tableWriter) Close() error { return t.tw.Flush() }

type jsonWriter struct {
	w io.Writer
	n int
}

func (j *jsonWriter) Write(r Row) error {
	b, err := json.Marshal(r)
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

type jsonlWriter struct{ enc *json.Encoder }

func (j *jsonlWriter) Write(r Row) error { return j.enc.Encode(r) }
func (j *jsonlWriter) Close() error      { return nil }

type csvWriter struct{ cw *csv.Writer }

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
	err := c.cw.Write([]string{r.ID, r.Prefix, ts(r.IssueTime), ts(r.ExpireTime), ts(r.LastRenewal), ttl,
		strconv.FormatBool(r.Renewable), strconv.FormatBool(r.Token)})
	c.cw.Flush()
	if err == nil {
		err = c.cw.Error()
	}
	return err
}

func (c *csvWriter) Close() error { c.cw.Flush(); return c.cw.Error() }
