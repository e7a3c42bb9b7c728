//go:build ignore

// Command capture makes a real irrevocable lease on a dev Vault and saves
// Vault's answers about it, for tests of the irrevocable view that cannot
// wait the ~13 minutes Vault takes to give up on a revocation. Run it with
// `go run ./internal/capture/main.go OUTDIR` from the repository root.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/leasetop/leasetop/internal/devvault"
	"github.com/leasetop/leasetop/internal/seed"
)

func main() {
	out := os.Args[1]
	ctx := context.Background()
	srv, err := devvault.Start(ctx, devvault.Options{})
	check(err)
	defer srv.Stop()
	pg, err := devvault.StartPostgres(ctx)
	check(err)
	defer pg.Stop()
	c, err := srv.Client()
	check(err)
	s := &seed.Seeder{C: c}
	db := seed.DatabaseConfig{Mount: "database", Connection: "pg", ConnectionURL: pg.URL(), Username: "postgres", Password: "x"}
	ids, err := s.DatabaseRole(ctx, db, "doomed", 10*time.Second, time.Minute, 2)
	check(err)
	// Make every revocation fail: the role's revocation statement errors.
	_, err = c.Logical().Write("database/roles/doomed", map[string]any{
		"db_name":               "pg",
		"creation_statements":   []string{`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`},
		"revocation_statements": []string{`DROP ROLE "no_such_role_{{name}}";`},
		"default_ttl":           "10s", "max_ttl": "1m",
	})
	check(err)
	fmt.Println("leases:", ids, "waiting for Vault to give up on revoking them…")
	start := time.Now()
	for {
		r, err := c.Logical().ReadRawWithData("sys/leases", map[string][]string{"type": {"irrevocable"}})
		if err == nil {
			var body map[string]any
			_ = json.NewDecoder(r.Body).Decode(&body)
			r.Body.Close()
			if d, ok := body["data"].(map[string]any); ok && fmt.Sprint(d["lease_count"]) != "0" {
				save(out, "irrevocable_list.json", body)
				break
			}
		}
		fmt.Printf("\r%s", time.Since(start).Round(time.Second))
		time.Sleep(10 * time.Second)
	}
	fmt.Println("\nirrevocable after", time.Since(start).Round(time.Second))
	r, err := c.Logical().ReadRawWithData("sys/leases/count", map[string][]string{"type": {"irrevocable"}})
	check(err)
	var count map[string]any
	_ = json.NewDecoder(r.Body).Decode(&count)
	save(out, "irrevocable_count.json", count)
	mounts, err := c.Logical().ReadRaw("sys/mounts")
	check(err)
	var m map[string]any
	_ = json.NewDecoder(mounts.Body).Decode(&m)
	save(out, "mounts.json", m)
	lk, _ := c.Logical().Write("sys/leases/lookup", map[string]any{"lease_id": ids[0]})
	save(out, "lookup.json", lk)
	_, err = c.Logical().Write("sys/leases/renew", map[string]any{"lease_id": ids[0]})
	save(out, "renew_error.txt", fmt.Sprint(err))
	_, err = c.Logical().Write("sys/leases/revoke", map[string]any{"lease_id": ids[0], "sync": true})
	save(out, "revoke_error.txt", fmt.Sprint(err))
}

func save(dir, name string, v any) {
	var b []byte
	if s, ok := v.(string); ok {
		b = []byte(s + "\n")
	} else {
		b, _ = json.MarshalIndent(v, "", "  ")
	}
	check(os.WriteFile(filepath.Join(dir, name), b, 0o644))
	fmt.Println("saved", name)
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
