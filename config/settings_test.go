package config

import (
	"testing"
	"time"
)

// Each setting a context has, under config.Merge's one rule: the flag
// given wins, else the context's value, else the default; read-only from
// the context stays whatever the flag says.
func TestMergeEverySetting(t *testing.T) {
	str := func(s string) *string { return &s }
	dur := func(d time.Duration) *time.Duration { return &d }
	num := func(n int) *int { return &n }
	flt := func(f float64) *float64 { return &f }
	yes, no := true, false
	full := &Context{Name: "b", Color: "#d70000", Address: "https://b:8200", Namespace: "team-b",
		Refresh: Duration(9 * time.Second), Concurrency: 5, Rate: 60, Warn: Duration(3 * time.Hour),
		Crit: Duration(20 * time.Minute), Prefix: "kv/", VaultAudit: "/var/log/b.log"}
	readOnly := &Context{Name: "prod", Address: "https://p:8200", ReadOnly: true}
	empty := &Context{Name: "c", Address: "https://c:8200"}
	d := Defaults

	cases := []struct {
		name  string
		flags Flags
		ctx   *Context
		get   func(Settings) any
		want  any
	}{
		{"address: flag", Flags{Address: str("https://x:8200")}, full, func(s Settings) any { return s.Address }, "https://x:8200"},
		{"address: context", Flags{}, full, func(s Settings) any { return s.Address }, "https://b:8200"},
		{"address: no context, no flag ($VAULT_ADDR)", Flags{}, nil, func(s Settings) any { return s.Address }, ""},
		{"namespace: flag", Flags{Namespace: str("team-x")}, full, func(s Settings) any { return s.Namespace }, "team-x"},
		{"namespace: context", Flags{}, full, func(s Settings) any { return s.Namespace }, "team-b"},
		{"namespace: default", Flags{}, empty, func(s Settings) any { return s.Namespace }, ""},
		{"refresh: flag", Flags{Refresh: dur(5 * time.Second)}, full, func(s Settings) any { return s.Refresh }, 5 * time.Second},
		{"refresh: flag 0 turns polling off", Flags{Refresh: dur(0)}, full, func(s Settings) any { return s.Refresh }, time.Duration(0)},
		{"refresh: context", Flags{}, full, func(s Settings) any { return s.Refresh }, 9 * time.Second},
		{"refresh: default", Flags{}, empty, func(s Settings) any { return s.Refresh }, d.Refresh},
		{"concurrency: flag", Flags{Concurrency: num(8)}, full, func(s Settings) any { return s.Concurrency }, 8},
		{"concurrency: context", Flags{}, full, func(s Settings) any { return s.Concurrency }, 5},
		{"concurrency: default", Flags{}, empty, func(s Settings) any { return s.Concurrency }, d.Concurrency},
		{"rate: flag", Flags{Rate: flt(7)}, full, func(s Settings) any { return s.Rate }, 7.0},
		{"rate: flag 0 lifts the context's", Flags{Rate: flt(0)}, full, func(s Settings) any { return s.Rate }, 0.0},
		{"rate: context", Flags{}, full, func(s Settings) any { return s.Rate }, 60.0},
		{"rate: default", Flags{}, empty, func(s Settings) any { return s.Rate }, 0.0},
		{"warn: flag", Flags{Warn: dur(30 * time.Minute)}, full, func(s Settings) any { return s.Warn }, 30 * time.Minute},
		{"warn: context", Flags{}, full, func(s Settings) any { return s.Warn }, 3 * time.Hour},
		{"warn: default", Flags{}, empty, func(s Settings) any { return s.Warn }, d.Warn},
		{"crit: flag", Flags{Crit: dur(time.Minute)}, full, func(s Settings) any { return s.Crit }, time.Minute},
		{"crit: context", Flags{}, full, func(s Settings) any { return s.Crit }, 20 * time.Minute},
		{"crit: default", Flags{}, empty, func(s Settings) any { return s.Crit }, d.Crit},
		{"prefix: argument", Flags{Prefix: str("database/")}, full, func(s Settings) any { return s.Prefix }, "database/"},
		{"prefix: context", Flags{}, full, func(s Settings) any { return s.Prefix }, "kv/"},
		{"prefix: default", Flags{}, empty, func(s Settings) any { return s.Prefix }, ""},
		{"vault-audit: flag", Flags{VaultAudit: str("/tmp/a.log")}, full, func(s Settings) any { return s.VaultAudit }, "/tmp/a.log"},
		{"vault-audit: context", Flags{}, full, func(s Settings) any { return s.VaultAudit }, "/var/log/b.log"},
		{"vault-audit: default", Flags{}, empty, func(s Settings) any { return s.VaultAudit }, ""},
		{"name and colour: the context's", Flags{}, full, func(s Settings) any { return s.Name + " " + s.Color }, "b #d70000"},
		{"read-only: the flag on a context that is not", Flags{ReadOnly: &yes}, empty, func(s Settings) any { return [2]any{s.ReadOnly, s.ReadOnlyWhy} }, [2]any{true, ""}},
		{"read-only: the flag off on a context that is not", Flags{ReadOnly: &no}, empty, func(s Settings) any { return [2]any{s.ReadOnly, s.ReadOnlyWhy} }, [2]any{false, ""}},
		{"read-only: the context's, no flag", Flags{}, readOnly, func(s Settings) any { return [2]any{s.ReadOnly, s.ReadOnlyWhy} },
			[2]any{true, "the context prod is read-only in leasetop's config"}},
		{"read-only: the context's wins over --read-only=false", Flags{ReadOnly: &no}, readOnly, func(s Settings) any { return [2]any{s.ReadOnly, s.ReadOnlyWhy} },
			[2]any{true, "the context prod is read-only in leasetop's config"}},
		{"read-only: both (the flag is the reason)", Flags{ReadOnly: &yes}, readOnly, func(s Settings) any { return [2]any{s.ReadOnly, s.ReadOnlyWhy} }, [2]any{true, ""}},
		{"read-only: default", Flags{}, nil, func(s Settings) any { return s.ReadOnly }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.get(Merge(tc.flags, tc.ctx, Defaults)); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// The flags that name the first Vault (its address, namespace, audit log,
// a path in it) do not follow a switch; every other flag does.
func TestFlagsElsewhereKeepTheSettingsAndDropTheVault(t *testing.T) {
	s, r, c, n := "x", 5*time.Second, 3, 1.0
	ro := true
	f := Flags{Address: &s, Namespace: &s, VaultAudit: &s, Prefix: &s, Refresh: &r, Warn: &r, Crit: &r, Concurrency: &c, Rate: &n, ReadOnly: &ro}
	e := f.Elsewhere()
	if e.Address != nil || e.Namespace != nil || e.VaultAudit != nil || e.Prefix != nil {
		t.Errorf("a flag naming the first Vault followed the switch: %+v", e)
	}
	if e.Refresh != &r || e.Warn != &r || e.Crit != &r || e.Concurrency != &c || e.Rate != &n || e.ReadOnly != &ro {
		t.Errorf("a setting's flag was lost: %+v", e)
	}
}

// A context's TLS and token source go to the client with the merged
// address, namespace, concurrency and rate.
func TestSettingsClientConfig(t *testing.T) {
	t.Setenv("LT_MERGE_TOKEN", "tok")
	ctx := &Context{Name: "b", Address: "https://b:8200", CACert: "/ca.pem", SkipVerify: true, Token: TokenSource{Env: "LT_MERGE_TOKEN"}, Concurrency: 5, Rate: 60}
	rate := 7.0
	s := Merge(Flags{Rate: &rate}, ctx, Defaults)
	cfg, err := s.ClientConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Address != "https://b:8200" || cfg.Token != "tok" || cfg.CACert != "/ca.pem" || !cfg.SkipVerify || cfg.Concurrency != 5 || cfg.RateLimit != 7 {
		t.Errorf("%+v", cfg)
	}
	ctx.Token = TokenSource{Env: "LT_MERGE_UNSET"}
	if _, err := s.ClientConfig(ctx); err == nil {
		t.Error("a token source that is empty should fail")
	}
}
