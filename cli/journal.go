package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"
)

// journal appends one JSON line per action, flushed at once, so a crash
// cannot lose what leasetop did to Vault.
type journal struct {
	mu sync.Mutex
	f  *os.File
}

func openJournal(path string) (*journal, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("--journal: %w", err)
	}
	return &journal{f: f}, nil
}

type journalEntry struct {
	Time   time.Time `json:"time"`
	Action string    `json:"action"`
	IDs    []string  `json:"lease_ids,omitempty"`
	Prefix string    `json:"prefix,omitempty"`
	Result string    `json:"result"`
}

// Record writes one entry; errors are dropped because the UI cannot stop
// for them (the file was writable when opened).
func (j *journal) Record(action string, ids []string, prefix, result string) {
	b, _ := json.Marshal(journalEntry{Time: time.Now().UTC(), Action: action, IDs: ids, Prefix: prefix, Result: result})
	j.mu.Lock()
	defer j.mu.Unlock()
	_, _ = j.f.Write(append(b, '\n'))
	_ = j.f.Sync()
}

func (j *journal) Close() error { return j.f.Close() }
