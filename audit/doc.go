// Package audit reads HashiCorp Vault's file audit device logs to learn who
// created each lease.
//
// # What it reads
//
// The file audit device writes one JSON object per line: a "type":"request"
// entry and a "type":"response" entry for every request. The response entry
// of a request that created a lease carries response.secret.lease_id in
// plain text and, beside it, who asked: auth.entity_id, auth.display_name,
// auth.metadata (role_name for AppRole, username for userpass, role and
// service_account_* for JWT and Kubernetes), auth.policies,
// request.remote_address, request.headers["user-agent"] (only when that
// header is audited), request.mount_point, request.mount_type,
// request.path, request.client_id and the entry's time. ParseLine turns such
// a line into an Entry; every other line is skipped, most of them without
// JSON decoding (they hold no "lease_id" or are not responses).
//
// A response counts as a lease creation only when its lease id lies under
// the request's path (Vault names a new lease <request path>/<random>).
// That matters: the answer to sys/leases/renew also carries
// response.secret.lease_id in plain text, with the renewer's auth beside
// it, so "every response with a lease id" would hand a lease to whoever
// last renewed it.
//
// # What it never trusts
//
// Vault HMACs auth.client_token, auth.accessor and the values of request
// and response data (hmac-sha256:<hex>). An HMAC is not a name: any string
// starting with "hmac-sha256:" is treated as unknown and never appears in
// an Owner (fields become "", such metadata values and policies are left
// out, and a lease id that is an HMAC is not a lease).
//
// # What cannot be joined
//
// Token leases (auth/<mount>/login/h…, auth/token/create/h…) are named by a
// salted hash of the token, which the log does not hold: the package does
// not try to attribute them. Leases created before the first line of the
// log have no owner either; Attribution.Since tells where the log starts.
//
// # Sources
//
// Read reads files, gzip files, folders of rotated logs from several Vault
// nodes (merged by time) and stdin once; Follow follows one file like
// tail -F. Attribution keeps the lease id → owner map, with owners interned.
package audit
