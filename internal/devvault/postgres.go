package devvault

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
)

// ErrNoPostgres means PostgreSQL's server binaries are not installed.
var ErrNoPostgres = errors.New("no PostgreSQL server binaries (initdb, pg_ctl): install Debian's postgresql package")

// Postgres is a private PostgreSQL cluster in a temp dir, on a free
// loopback port, with trust authentication for the superuser "postgres".
type Postgres struct {
	Port int
	Dir  string

	bin  string
	opts string
	// uid and gid run PostgreSQL when leasetop runs as root; asUser says so.
	uid, gid int
	asUser   bool
}

// PostgresBinDir finds initdb and pg_ctl: on PATH, or in Debian's
// /usr/lib/postgresql/<version>/bin (the newest), which is not on PATH.
func PostgresBinDir() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	return "", ErrNoPostgres
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// StartPostgres runs initdb and pg_ctl start. PostgreSQL refuses to run as
// root, so as root it runs as the "postgres" system user that Debian's
// package creates.
func StartPostgres(ctx context.Context) (*Postgres, error) {
	bin, err := PostgresBinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "leasetop-pg-")
	if err != nil {
		return nil, err
	}
	p := &Postgres{Dir: dir, bin: bin}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root needs the postgres system user to run PostgreSQL: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		p.uid, p.gid, p.asUser = uid, gid, true
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	if p.Port, err = FreePort(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if out, err := p.run(ctx, "initdb", "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	p.opts = fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", p.Port, dir)
	if err := p.start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return p, nil
}

// start starts the server on its data and port.
func (p *Postgres) start() error {
	logPath := filepath.Join(p.Dir, "server.log")
	out, err := p.run(context.Background(), "pg_ctl", "-D", filepath.Join(p.Dir, "data"), "-o", p.opts, "-l", logPath, "-w", "-t", "60", "start")
	if err != nil {
		log, _ := os.ReadFile(logPath)
		return fmt.Errorf("pg_ctl start: %w\n%s\n%s", err, out, log)
	}
	return nil
}

// URL is a connection URL in the form Vault's database engine takes, with
// its {{username}}/{{password}} templates.
func (p *Postgres) URL() string {
	return fmt.Sprintf("postgresql://{{username}}:{{password}}@127.0.0.1:%d/postgres?sslmode=disable", p.Port)
}

// Stop shuts the cluster down (fast mode) and removes its files.
func (p *Postgres) Stop() {
	_, _ = p.run(context.Background(), "pg_ctl", "-D", filepath.Join(p.Dir, "data"), "-m", "fast", "-w", "stop")
	os.RemoveAll(p.Dir)
}

func (p *Postgres) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(p.bin, name), args...)
	cmd.Dir = p.Dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if p.asUser {
		runAs(cmd, p.uid, p.gid)
	}
	return cmd.CombinedOutput()
}
