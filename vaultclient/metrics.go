package vaultclient

import (
	"bufio"
	"context"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// LeaseCreations reads Vault's telemetry (sys/metrics in Prometheus
// format, about 26 KB): how many leases each mount has made since Vault
// started, from vault.secret.lease.creation and vault.token.creation,
// summed over their other labels and keyed by mount path as lease ids
// begin ("secret/", "auth/approle/"), and under NumLeases the leases Vault
// holds (vault.expire.num_leases). It is the one cheap signal of where
// leases are being made: LIST costs Vault in proportion to the leases it
// returns. An error (no telemetry, no read on sys/metrics) means the
// caller goes without.
func (c *Client) LeaseCreations(ctx context.Context) (map[string]float64, error) {
	resp, err := c.do(ctx, request{op: "read metrics", method: http.MethodGet, path: "sys/metrics", query: map[string]string{"format": "prometheus"}})
	if err != nil {
		return nil, err
	}
	defer closeBody(resp)
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if mount, n, ok := parseCreation(line); ok {
			out[mount] += n
		} else if n, ok := parseNumLeases(line); ok {
			out[NumLeases] = n
		}
	}
	return out, sc.Err()
}

// NumLeases is the key of LeaseCreations' answer that holds how many
// leases Vault holds: no mount path, which always ends in "/".
const NumLeases = "vault.expire.num_leases"

// parseNumLeases reads the gauge of the leases Vault holds (unlabelled:
// the whole Vault's).
func parseNumLeases(line string) (float64, bool) {
	rest, ok := strings.CutPrefix(line, "vault_expire_num_leases ")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
	if err != nil || !(n >= 0) || math.IsInf(n, 0) {
		return 0, false
	}
	return n, true
}

// parseCreation reads one Prometheus line of a lease or token creation
// counter of the root namespace: its mount_point label and its value.
func parseCreation(line string) (mount string, n float64, ok bool) {
	name, rest, found := strings.Cut(line, "{")
	if !found || name != "vault_secret_lease_creation" && name != "vault_token_creation" {
		return "", 0, false
	}
	labels, rest, ok := parseLabels(rest)
	if !ok || labels["namespace"] != "root" && labels["namespace"] != "" {
		return "", 0, false
	}
	mount = labels["mount_point"]
	n, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
	if err != nil || !(n >= 0) || math.IsInf(n, 0) || mount == "" {
		return "", 0, false
	}
	return mount, n, true
}

// parseLabels reads `k="v",k2="v2"}` (values quoted with Prometheus's
// escapes: \\, \", \n) and returns what follows the closing brace.
func parseLabels(s string) (map[string]string, string, bool) {
	out := map[string]string{}
	for {
		if rest, ok := strings.CutPrefix(s, "}"); ok {
			return out, rest, true
		}
		k, rest, ok := strings.Cut(s, "=\"")
		if !ok || k == "" || strings.ContainsAny(k, "\",{}") {
			return nil, "", false
		}
		var v strings.Builder
		i := 0
		for ; i < len(rest) && rest[i] != '"'; i++ {
			if rest[i] == '\\' && i+1 < len(rest) {
				i++
				if rest[i] == 'n' {
					v.WriteByte('\n')
					continue
				}
			}
			v.WriteByte(rest[i])
		}
		if i >= len(rest) {
			return nil, "", false
		}
		out[k] = v.String()
		s = strings.TrimPrefix(rest[i+1:], ",")
	}
}
