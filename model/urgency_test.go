package model

import (
	"strings"
	"testing"
	"time"
)

func TestUrgency(t *testing.T) {
	def := DefaultThresholds()
	tests := []struct {
		name   string
		ttl    time.Duration
		expiry bool
		th     Thresholds
		want   Level
	}{
		{"no expiry whatever the ttl", 0, false, def, LevelNoExpiry},
		{"no expiry beats negative ttl", -time.Hour, false, def, LevelNoExpiry},
		{"negative is expired", -time.Second, true, def, LevelExpired},
		{"zero is expired", 0, true, def, LevelExpired},
		{"under critical", 4*time.Minute + 59*time.Second, true, def, LevelCritical},
		{"exactly critical is a warning", 5 * time.Minute, true, def, LevelWarning},
		{"under warning", 59 * time.Minute, true, def, LevelWarning},
		{"exactly warning is ok", time.Hour, true, def, LevelOK},
		{"well above", 48 * time.Hour, true, def, LevelOK},
		{"custom thresholds", 20 * time.Minute, true, Thresholds{Critical: 30 * time.Minute, Warning: 2 * time.Hour}, LevelCritical},
		{"zero thresholds never warn", time.Second, true, Thresholds{}, LevelOK},
	}
	for _, tt := range tests {
		if got := Urgency(tt.ttl, tt.expiry, tt.th); got != tt.want {
			t.Errorf("%s: Urgency(%v, %v) = %v, want %v", tt.name, tt.ttl, tt.expiry, got, tt.want)
		}
	}
	if def.Critical != 5*time.Minute || def.Warning != time.Hour {
		t.Errorf("defaults %+v", def)
	}
}

func TestLevelString(t *testing.T) {
	for lv, want := range map[Level]string{LevelOK: "ok", LevelWarning: "warning", LevelCritical: "critical",
		LevelExpired: "expired", LevelNoExpiry: "no-expiry", Level(99): "Level(?)"} {
		if lv.String() != want {
			t.Errorf("%d: %q, want %q", int(lv), lv.String(), want)
		}
	}
}

func TestRenewBlockReason(t *testing.T) {
	x := sample()
	x.ApplyLease(info("pki/issue/web/x", time.Hour, false))
	x.ApplyLease(info("db/expired-renewable", -time.Second, true))
	x.ApplyLease(info("db/gone", time.Hour, true))
	x.MarkGone("db/gone", t0)
	tests := []struct {
		name, id, want string
	}{
		{"renewable with time left", "db/Soon", ""},
		{"token lease", "auth/tok/h1", "token leases renew through auth/token/renew, not sys/leases/renew"},
		{"no expiry", "db/never", "no expiry"},
		{"expired and not renewable: irrevocable", "db/expired", "expired and waits for revocation (or failed it: irrevocable)"},
		{"expired even if renewable", "db/expired-renewable", "expired"},
		{"not renewable by the engine", "pki/issue/web/x", "issued this lease as not renewable"},
		{"not looked up yet", "db/pend", "not been looked up yet"},
		{"gone", "db/gone", "gone"},
	}
	for _, tt := range tests {
		got := RenewBlockReason(x.Lease(tt.id), t0)
		if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
			t.Errorf("%s: RenewBlockReason(%s) = %q, want %q", tt.name, tt.id, got, tt.want)
		}
	}
}
