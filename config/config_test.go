package config

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

const example = `# leasetop contexts
current-context: staging
contexts:
  - name: prod-eu
    address: https://vault.prod.example:8200
    namespace: team-a
    ca-cert: ~/certs/prod-ca.pem
    token: {env: VAULT_TOKEN_PROD}
    read-only: true
    color: "#d70000"
    refresh: 30s
    concurrency: 8
    rate: 200
    warn: 2h
    crit: 10m
    prefix: database/
  - name: staging
    address: http://127.0.0.1:8200
    token: {file: ~/.vault-token-staging}
`

func write(t *testing.T, s string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadTheExample(t *testing.T) {
	f, err := Load(write(t, example))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.Names(), []string{"prod-eu", "staging"}) || f.Current != "staging" {
		t.Fatalf("names %v current %q", f.Names(), f.Current)
	}
	c, err := f.Find("prod-eu")
	if err != nil || !c.ReadOnly || c.Color != "#d70000" || c.Token.Env != "VAULT_TOKEN_PROD" || c.Concurrency != 8 || c.Prefix != "database/" {
		t.Errorf("prod-eu: %+v %v", c, err)
	}
	if cur, _ := f.Find(""); cur.Name != "staging" {
		t.Errorf("the current context is %q", cur.Name)
	}
}

func TestNoFileIsNoConfig(t *testing.T) {
	f, err := Load(filepath.Join(t.TempDir(), "none.yaml"))
	if f != nil || err != nil {
		t.Errorf("a missing file: %v, %v; want nil, nil", f, err)
	}
}

// A bad file is refused whole, with its path, line and column and what is
// wrong in words.
func TestBadFilesNameTheirPlace(t *testing.T) {
	tests := []struct {
		name, src, want string
		line            int
	}{
		{"unknown key", "contexts:\n  - name: a\n    address: http://x\n    adress: http://y\n", "unknown field \"adress\"", 4},
		{"a token in the file", "contexts:\n  - name: a\n    address: http://x\n    vault-token: hvs.secret\n", "a token must never be stored in the config file", 4},
		{"a token where its variable's name goes", "contexts:\n  - name: a\n    address: http://x\n    token: {env: hvs.CAESIJlMNbXe8ZtiFu2wRJJS7}\n", "looks like a token itself", 4},
		{"not a duration", "contexts:\n  - name: a\n    address: http://x\n    refresh: soon\n", "is not a duration", 4},
		{"not a number", "contexts:\n  - name: a\n    address: http://x\n    concurrency: many\n", "", 4},
		{"no address", "contexts:\n  - name: a\n", "has no address", 2},
		{"two of a name", "contexts:\n  - name: a\n    address: http://x\n  - name: a\n    address: http://y\n", "two contexts are named", 2},
		{"two token sources", "contexts:\n  - name: a\n    address: http://x\n    token: {env: X, file: /t}\n", "more than one token source", 2},
		{"an unknown current", "current-context: b\ncontexts:\n  - name: a\n    address: http://x\n", "current-context \"b\" is not a context here (a)", 1},
		{"not YAML", "contexts: [\n", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := write(t, tt.src)
			f, err := Load(path)
			var e *Error
			if f != nil || err == nil || !errorsAs(err, &e) {
				t.Fatalf("Load = %v, %v; want a *config.Error", f, err)
			}
			if !strings.HasPrefix(err.Error(), path+":") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q; want the path and %q", err, tt.want)
			}
			if tt.line > 0 && e.Line != tt.line {
				t.Errorf("line %d, want %d (%s)", e.Line, tt.line, err)
			}
		})
	}
}

func errorsAs(err error, e **Error) bool {
	x, ok := err.(*Error)
	*e = x
	return ok
}

func TestTokenSources(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "tok")
	if err := os.WriteFile(file, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	helper := filepath.Join(dir, "helper.sh")
	if err := os.WriteFile(helper, []byte("#!/bin/sh\n[ \"$1\" = get ] && echo from-helper\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LT_TEST_TOKEN", "from-env")
	for _, tt := range []struct {
		src  TokenSource
		want string
		err  string
	}{
		{TokenSource{Env: "LT_TEST_TOKEN"}, "from-env", ""},
		{TokenSource{Env: "LT_TEST_UNSET"}, "", "$LT_TEST_UNSET is empty"},
		{TokenSource{File: file}, "from-file", ""},
		{TokenSource{File: filepath.Join(dir, "none")}, "", "token.file"},
		{TokenSource{Helper: helper}, "from-helper", ""},
		{TokenSource{}, "", ""},
	} {
		c := Context{Name: "x", Address: "http://127.0.0.1:8200", Token: tt.src}
		cfg, err := c.ClientConfig()
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%+v: error %v, want %q", tt.src, err, tt.err)
			}
			continue
		}
		if err != nil || cfg.Token != tt.want || cfg.Address != c.Address {
			t.Errorf("%+v: token %q, %v; want %q", tt.src, cfg.Token, err, tt.want)
		}
	}
}

func TestUseSwitchesAndSaves(t *testing.T) {
	path := write(t, example)
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Use("nope"); err == nil || !strings.Contains(err.Error(), "prod-eu, staging") {
		t.Errorf("Use(nope): %v", err)
	}
	if err := f.Use("prod-eu"); err != nil {
		t.Fatal(err)
	}
	g, err := Load(path)
	if err != nil || g.Current != "prod-eu" || len(g.Contexts) != 2 || !g.Contexts[0].ReadOnly || g.Contexts[0].Refresh.String() != "30s" {
		t.Errorf("after Use: %+v, %v", g, err)
	}
}

func (d Duration) String() string { return yamlDuration(d) }

func yamlDuration(d Duration) string { v, _ := d.MarshalYAML(); return v.(string) }

// The JSON Schema in the repo (for editors) and the Go types say the same:
// every key of one is a key of the other, and the example validates.
func TestSchemaMatchesTheTypesAndTheExample(t *testing.T) {
	raw, err := os.ReadFile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	validate := func(src string) error {
		var v any
		if err := yaml.Unmarshal([]byte(src), &v); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(v)
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		return sch.Validate(inst)
	}
	for _, ex := range []string{example, budgetsExample} {
		if err := validate(ex); err != nil {
			t.Errorf("an example does not validate: %v", err)
		}
	}
	for _, bad := range []string{
		"contexts:\n  - name: a\n    address: http://x\n    vault-token: hvs.x\n",
		"contexts:\n  - name: a\n",
		"contexts:\n  - name: a\n    address: http://x\n    token: {env: A, file: b}\n",
		"contexts: []\nbudgets: {prefix: {a/: 0}}\n",
		"contexts: []\nbudgets: {team: {a: 1}}\n",
		"contexts: []\nbudgets: {warn: 120}\n",
	} {
		if validate(bad) == nil {
			t.Errorf("the schema accepts %q", bad)
		}
	}
	props := doc.(map[string]any)["$defs"].(map[string]any)["context"].(map[string]any)["properties"].(map[string]any)
	var schemaKeys, goKeys []string
	for k := range props {
		schemaKeys = append(schemaKeys, k)
	}
	ty := reflect.TypeOf(Context{})
	for i := range ty.NumField() {
		goKeys = append(goKeys, strings.Split(ty.Field(i).Tag.Get("yaml"), ",")[0])
	}
	slices.Sort(schemaKeys)
	slices.Sort(goKeys)
	if !slices.Equal(schemaKeys, goKeys) {
		t.Errorf("schema keys %v\n    Go keys %v", schemaKeys, goKeys)
	}
}
