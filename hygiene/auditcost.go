package hygiene

import (
	"context"
	"fmt"
	"strings"

	"github.com/leasetop/leasetop/model"
	"github.com/leasetop/leasetop/vaultclient"
)

// Every LIST of sys/leases/lookup/ is written to each audit device with
// every key of its answer, HMAC'd, unless the device has
// elide_list_responses=true (a LIST of about 3,000 keys through a syslog
// device blocked requests: hashicorp/vault#11946). A crawl lists every
// prefix once and looks every lease up once, and each of those requests
// is written twice (its request and its response entry).

// AuditBytes is what one crawl request writes to an audit device in
// Vault's JSON format, in bytes. TestAuditCostEstimateMatchesARealAuditFile
// measures a real file device against it.
type AuditBytes struct {
	// PerList is a LIST's request and response entries without their
	// keys, and PerListPathByte what each byte of the listed prefix adds
	// (the prefix is in both entries' paths).
	PerList, PerListPathByte int
	// PerKey is one key of a LIST's answer: `"hmac-sha256:<64 hex>",`.
	PerKey int
	// PerLookup is a lookup's request and response entries: the lease id,
	// times and id in them are HMAC'd, so their size hardly varies.
	PerLookup int
}

// VaultAuditBytes is AuditBytes as measured on Vault v1.21.4's file device
// with a root token: a LIST of 600 keys wrote 49,854 bytes (47,398 of them
// the keys), a lookup 2,876, so a crawl's lookups outweigh its LISTs, and
// elide_list_responses saves the keys only.
var VaultAuditBytes = AuditBytes{PerList: 2425, PerListPathByte: 2, PerKey: len(`"hmac-sha256:`) + 64 + len(`",`), PerLookup: 2876}

// CrawlShape is what a crawl of a tree asks of Vault: its LISTs, the keys
// they return, the bytes of the prefixes listed, and its lookups.
type CrawlShape struct {
	Lists, Keys, PathBytes, Lookups int
	// RawKeyBytes is the keys' own length, for a device that logs them
	// unhashed (log_raw=true).
	RawKeyBytes int
}

// ShapeOf is the crawl of everything under path in idx.
func ShapeOf(idx *model.Index, path string) CrawlShape {
	s := shapeOfNodes(idx, path)
	idx.Each(path, func(l *model.Lease) { s.RawKeyBytes += len(l.Key()) })
	return s
}

// shapeOfNodes is ShapeOf without the bytes of the lease keys.
func shapeOfNodes(idx *model.Index, path string) CrawlShape {
	var s CrawlShape
	n := idx.Node(path)
	if n == nil {
		return s
	}
	var visit func(*model.Node)
	visit = func(n *model.Node) {
		s.Lists++
		s.PathBytes += len(n.Path())
		s.Keys += n.Direct() + len(n.Children())
		for _, c := range n.Children() {
			s.RawKeyBytes += len(c.Name())
			visit(c)
		}
	}
	visit(n)
	s.Lookups = n.Count()
	return s
}

// Bytes is what the crawl writes to a device, and of that the keys of its
// LISTs (what elide_list_responses saves).
func (c AuditBytes) Bytes(s CrawlShape, raw bool) (total, keys int) {
	keys = s.Keys * c.PerKey
	if raw {
		keys = s.RawKeyBytes + s.Keys*len(`"",`)
	}
	total = s.Lists*c.PerList + s.PathBytes*c.PerListPathByte + keys + s.Lookups*c.PerLookup
	return total, keys
}

// FindAuditCost reports each enabled audit device that lacks
// elide_list_responses, with what a crawl of the index's tree writes to
// it at today's lease count.
func FindAuditCost(ctx context.Context, c Vault, ls *Leases) ([]Finding, []Unchecked) {
	devs, err := c.AuditDevices(ctx)
	if err != nil {
		return nil, []Unchecked{unchecked(AuditCost, "", err, "read audit devices", "sys/audit", vaultclient.Policy{})}
	}
	var shape CrawlShape
	if ls != nil {
		shape = ls.Shape
	}
	var fs []Finding
	for _, d := range devs {
		if d.ElidesLists() {
			continue
		}
		raw := strings.EqualFold(d.Options["log_raw"], "true")
		total, keys := VaultAuditBytes.Bytes(shape, raw)
		sev := Info
		if keys >= 1<<20 {
			sev = Warning
		}
		ev := []string{
			fmt.Sprintf("audit device %s (type %s) has no elide_list_responses=true", d.Path, d.Type),
			fmt.Sprintf("a crawl makes %s LISTs answering %s keys and %s lookups", model.FormatCount(shape.Lists),
				model.FormatCount(shape.Keys), model.FormatCount(shape.Lookups)),
			fmt.Sprintf("each LIST writes every key of its answer (%d bytes a key%s); each request is logged twice",
				VaultAuditBytes.PerKey, map[bool]string{true: " plus the key itself, log_raw=true", false: ""}[raw]),
		}
		if d.Type != "file" {
			ev = append(ev, "sizes are those of the JSON a file device writes; a "+d.Type+" device adds its own framing")
		}
		fs = append(fs, Finding{
			Kind: AuditCost, Severity: sev,
			Title: fmt.Sprintf("each crawl writes about %s to audit device %s, %s of it the keys of its LISTs",
				FormatBytes(total), d.Path, FormatBytes(keys)),
			Evidence: ev,
			Action: Action{Kind: NoAction, Text: fmt.Sprintf("audit options cannot be changed in place: enable a second device with "+
				"elide_list_responses=true (vault audit enable -path=%s-elided %s elide_list_responses=true ...its other options), "+
				"then disable %s (vault audit disable %s)", strings.TrimSuffix(d.Path, "/"), d.Type, d.Path, d.Path)},
		})
	}
	return fs, nil
}

// FormatBytes writes n in B, KB, MB or GB (powers of 1,024), one decimal.
func FormatBytes(n int) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
