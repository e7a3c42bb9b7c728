package seed

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/leasetop/leasetop/internal/devvault"
)

// The JWTs are compact ES256 JWS: header, claims, and r||s that verify.
func TestJWTSignES256(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sub, claims := KubernetesClaims("prod", "payments")
	claims["sub"] = sub
	tok, err := signES256(key, claims)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("%d parts in %q", len(parts), tok)
	}
	dec := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		return b
	}
	var header map[string]string
	var body map[string]any
	if err := json.Unmarshal(dec(parts[0]), &header); err != nil || header["alg"] != "ES256" {
		t.Fatalf("header %v: %v", header, err)
	}
	if err := json.Unmarshal(dec(parts[1]), &body); err != nil || body["sub"] != "system:serviceaccount:prod:payments" {
		t.Fatalf("claims %v: %v", body, err)
	}
	sig := dec(parts[2])
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if len(sig) != 64 || !ecdsa.Verify(&key.PublicKey, sum[:], r, s) {
		t.Fatal("the signature does not verify")
	}
}

// JWTActor logs in on a real server, again on the same mount from another
// seeder, and each login's token carries the role and service account.
func TestJWTActorLogsIn(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test against a real Vault: run without -short")
	}
	bin, err := devvault.Binary()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := devvault.Start(ctx, devvault.Options{Bin: bin})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	c, err := srv.Client()
	if err != nil {
		t.Fatal(err)
	}
	root := &Seeder{C: c}
	if _, err := root.LeasedKV(ctx, "k8s/db", time.Hour, 0); err != nil {
		t.Fatal(err)
	}
	for i, w := range []struct {
		seeder       *Seeder
		role, ns, sa string
	}{
		{root, "k8s-prod", "prod", "payments"},
		{&Seeder{C: c}, "k8s-prod", "prod", "ledger"}, // another seeder: the same key
		{root, "k8s-batch", "batch", "reports"},
	} {
		sub, claims := KubernetesClaims(w.ns, w.sa)
		a, err := w.seeder.JWTActor(ctx, "jwt", w.role, sub, claims)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if a.Name != w.role || a.EntityID == "" {
			t.Errorf("%d: actor %+v", i, a)
		}
		self, err := a.Seeder.C.Auth().Token().LookupSelfWithContext(ctx)
		if err != nil {
			t.Fatal(err)
		}
		meta := map[string]any{}
		if m, ok := self.Data["meta"].(map[string]any); ok {
			meta = m
		}
		t.Logf("%s: display_name %v, meta %v", sub, self.Data["display_name"], meta)
		if meta["role"] != w.role || meta["service_account_name"] != w.sa || meta["service_account_namespace"] != w.ns {
			t.Errorf("%d: token meta %v", i, meta)
		}
		if ids, err := a.Seeder.ReadLeasedKV(ctx, "k8s/db", 2); err != nil || len(ids) != 2 {
			t.Errorf("%d: read as the actor: %v %v", i, ids, err)
		}
	}
	// A JWT signed with another key is refused.
	bad := &Seeder{C: c}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tok, err := signES256(other, map[string]any{"iss": JWTIssuer, "aud": JWTAudience, "sub": "intruder",
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.login(ctx, "intruder", "auth/jwt/login", map[string]any{"role": "k8s-prod", "jwt": tok}); err == nil {
		t.Error("a JWT with a key the mount does not trust logged in")
	}
}
