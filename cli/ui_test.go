package cli

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leasetop/leasetop/vaultclient"
)

// The UI's :ctx opens the config file's other contexts: their address,
// name and colour, their read-only whatever the flags, the flags given
// over their settings.
func TestTheUISwitcherOpensTheOtherContexts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(`current-context: a
contexts:
  - name: a
    address: http://127.0.0.1:8201
    refresh: 5s
  - name: b
    address: http://127.0.0.1:8202
    read-only: true
    color: "#d70000"
    concurrency: 4
`), 0o600); err != nil {
		t.Fatal(err)
	}
	a := &app{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	root := a.newRoot()
	if err := root.ParseFlags([]string{"--config", path, "--rate", "7"}); err != nil {
		t.Fatal(err)
	}
	s, err := a.conn.resolve()
	if err != nil {
		t.Fatal(err)
	}
	if s.ctxName != "a" || s.cfg.Address != "http://127.0.0.1:8201" || s.cfg.RateLimit != 7 {
		t.Fatalf("the current context: %+v", s)
	}
	f := uiFlags{refresh: 15e9, increment: "1h", warn: "1h", crit: "5m"}
	opt, err := uiOptions(s.eff, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	be, bopt, err := a.switcher(s, opt).Open("b")
	if err != nil {
		t.Fatal(err)
	}
	c := be.(*vaultclient.Client)
	if c.Address() != "http://127.0.0.1:8202" || bopt.ContextName != "b" || bopt.Color != "#d70000" || !bopt.ReadOnly || bopt.Concurrency != 4 || bopt.Refresh != 15e9 {
		t.Errorf("context b: %s %+v", c.Address(), bopt)
	}
	if _, _, err := a.switcher(s, opt).Open("nope"); err == nil || !strings.Contains(err.Error(), `no context "nope"`) {
		t.Errorf("an unknown context: %v", err)
	}
}
