package cli

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leasetop/leasetop/internal/vaulttest"
)

// docPolicy is the hcl block that follows heading in a document of the
// repository, as written there.
func docPolicy(t *testing.T, file, heading string) string {
	t.Helper()
	policy := docHCL(t, file, heading)
	if !strings.Contains(policy, "sys/leases/lookup/*") {
		t.Fatalf("the hcl block under %q in %s does not let a token list leases", heading, file)
	}
	return policy
}

// docHCL is the first hcl block after the text after in file.
func docHCL(t *testing.T, file, after string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), after)
	if ok {
		_, rest, ok = strings.Cut(rest, "```hcl\n")
	}
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatalf("%s has no hcl block after %q", file, after)
	}
	return block
}

// A token with exactly README's policy crawls the whole tree from its
// root: every lease Vault holds is listed and looked up. (Vault checks
// the root's LIST, sys/leases/lookup/, against sys/leases/lookup without
// the '/': a policy with list and sudo only on sys/leases/lookup/* is
// refused there.)
func TestTheReadmePolicyCrawlsFromTheRoot(t *testing.T) {
	env := vaulttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := env.Seed.LeasedKV(ctx, "app/a", time.Hour, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Seed.Userpass(ctx, "userpass", "alice", time.Hour, 2); err != nil {
		t.Fatal(err)
	}
	tok := env.TokenWithPolicy(t, "leasetop-readme", docPolicy(t, "../README.md", "## Policy"))
	useVault(t, env.Server.Addr, tok)
	want := vaultLeases(t, env)

	stdout, stderr, code := runCmd(t, "ls", "-r", "-o", "json")
	if code != 0 {
		t.Fatalf("ls -r with README's policy: exit %d: %s", code, stderr)
	}
	var rows []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
		t.Fatalf("%v in %s", err, stdout)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.ID)
	}
	slices.Sort(got)
	var all []string
	for id := range want {
		all = append(all, id)
	}
	slices.Sort(all)
	if !slices.Equal(got, all) {
		t.Errorf("ls -r with README's policy listed %v; Vault holds %v", got, all)
	}
}
