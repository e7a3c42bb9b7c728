package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The man pages in docs/man are generated from the same declarations as
// --help: regenerating them changes nothing.
func TestManPagesAreCurrent(t *testing.T) {
	dir := t.TempDir()
	if _, errs, code := runCmd(t, "man", dir); code != 0 {
		t.Fatalf("leasetop man: exit %d: %s", code, errs)
	}
	fresh, _ := filepath.Glob(filepath.Join(dir, "*.1"))
	committed, _ := filepath.Glob(filepath.Join("..", "docs", "man", "*.1"))
	names := func(paths []string) []string {
		var out []string
		for _, p := range paths {
			out = append(out, filepath.Base(p))
		}
		return out
	}
	if !slices.Equal(names(fresh), names(committed)) {
		t.Fatalf("docs/man holds %v, the commands make %v: run go generate", names(committed), names(fresh))
	}
	for _, p := range fresh {
		want, _ := os.ReadFile(p)
		got, _ := os.ReadFile(filepath.Join("..", "docs", "man", filepath.Base(p)))
		if !bytes.Equal(got, want) {
			t.Errorf("docs/man/%s is out of date: run go generate", filepath.Base(p))
		}
	}
	page, _ := os.ReadFile(filepath.Join(dir, "leasetop-revoke.1"))
	for _, want := range []string{"--prefix", "--addr", "--context", "--force"} {
		if !strings.Contains(string(page), `\fB`+want+`\fP`) {
			t.Errorf("leasetop-revoke(1) does not document %s", want)
		}
	}
}
