package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"
)

// auditLog appends one JSON line per action, flushed at once, so a crash
// cannot lose what leasetop did to Vault.
type auditLog struct {
	mu sync.Mutex
	f  *os.File
}

func openAuditLog(path string) (*auditLog, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("--audit-log: %w", err)
	}
	return &auditLog{f: f}, nil
}

type auditEntry struct {
	Time   time.Time `json:"time"`
	Action string    `json:"action"`
	IDs    []string  `json:"lease_ids,omitempty"`
	Prefix string    `json:"prefix,omitempty"`
	Result string    `json:"result"`
}

// Record writes one entry; errors are dropped because the UI cannot stop
// for them (the file was writable when opened).
func (a *auditLog) Record(action string, ids []string, prefix, result string) {
	b, _ := json.Marshal(auditEntry{Time: time.Now().UTC(), Action: action, IDs: ids, Prefix: prefix, Result: result})
	a.mu.Lock()
	defer a.mu.Unlock()
	_, _ = a.f.Write(append(b, '\n'))
	_ = a.f.Sync()
}

func (a *auditLog) Close() error { return a.f.Close() }
