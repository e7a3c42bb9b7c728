package report

import "time"

// Who is one lease's owner, as `leasetop who -o json` prints it. The JSON
// field names are a stable interface: add fields, never rename or remove
// them.
type Who struct {
	LeaseID     string     `json:"lease_id"`
	Known       bool       `json:"known"`        // the audit log (or the token store) names who made the lease
	Reason      string     `json:"reason"`       // why the owner is unknown, in words; "" when known
	InVault     bool       `json:"in_vault"`     // the lease is live in Vault now (a lookup found it)
	CreatedTime *time.Time `json:"created_time"` // when the log says the lease was made; null when unknown
	Owner       *WhoOwner  `json:"owner"`        // null when unknown
	// Source is what named the owner: "audit log", or "token store" for a
	// token lease; "" when unknown.
	Source string `json:"source"`
}

// WhoOwner is everything the audit log says about who made a lease. No
// value is ever an HMAC: Vault's hashed values are left out (empty).
type WhoOwner struct {
	Name          string            `json:"name"` // the short name: role or user name, else display name
	DisplayName   string            `json:"display_name"`
	EntityID      string            `json:"entity_id"`
	Metadata      map[string]string `json:"metadata"`
	Policies      []string          `json:"policies"`
	RemoteAddress string            `json:"remote_address"`
	UserAgent     string            `json:"user_agent"` // "" unless Vault audits the user-agent header
	Mount         string            `json:"mount"`      // the mount the lease was made on (secret/, database/)
	MountType     string            `json:"mount_type"`
	Path          string            `json:"path"` // the request path that made the lease
	ClientID      string            `json:"client_id"`
	Accessor      string            `json:"accessor"` // a token lease's token, from the token store; "" otherwise
}
