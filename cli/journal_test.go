package cli

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestJournalAppendsOneJSONLinePerAction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "actions.jsonl")
	for range 2 { // a second session appends, never truncates
		log, err := openJournal(path)
		if err != nil {
			t.Fatal(err)
		}
		log.Record("revoke", []string{"secret/a/1"}, "", "ok")
		log.Record("revoke-prefix", nil, "secret/b/", "permission denied")
		log.Close()
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []journalEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e journalEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		lines = append(lines, e)
	}
	if len(lines) != 4 || lines[0].Action != "revoke" || lines[0].IDs[0] != "secret/a/1" || lines[1].Prefix != "secret/b/" ||
		lines[1].Result != "permission denied" || lines[0].Time.IsZero() {
		t.Errorf("entries %+v", lines)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("the log is %v; it names leases, so it is private", st.Mode().Perm())
	}
	if _, err := openJournal(filepath.Join(t.TempDir(), "no", "such", "dir", "x")); err == nil {
		t.Error("an unwritable path must be an error at start-up")
	}
}
