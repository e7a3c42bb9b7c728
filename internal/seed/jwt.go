package seed

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strings"
	"sync"
	"time"
)

// JWT actors stand in for Kubernetes workloads (or any client that logs in
// with a JWT its platform signed): the seeder is its own issuer, with a
// static key that the jwt auth method is configured to trust.

// JWTIssuer and JWTAudience are the iss and aud of the JWTs JWTActor signs,
// and what the jwt auth method and its roles are bound to.
const (
	JWTIssuer   = "https://kubernetes.default.svc.cluster.local"
	JWTAudience = "vault"
)

// jwtClaimMappings is the claim_mappings of every role JWTActor makes: the
// service account of a Kubernetes projected token, as JSON pointers, to the
// metadata keys Vault's kubernetes auth method uses for the same.
var jwtClaimMappings = map[string]string{
	"/kubernetes.io/serviceaccount/name": "service_account_name",
	"/kubernetes.io/namespace":           "service_account_namespace",
}

// KubernetesClaims are the subject and claims of a Kubernetes projected
// service-account token for serviceAccount in namespace, for JWTActor: its
// role maps them to the metadata service_account_name and
// service_account_namespace.
func KubernetesClaims(namespace, serviceAccount string) (subject string, claims map[string]any) {
	return "system:serviceaccount:" + namespace + ":" + serviceAccount, map[string]any{
		"kubernetes.io": map[string]any{
			"namespace":      namespace,
			"serviceaccount": map[string]any{"name": serviceAccount},
		},
	}
}

// jwtKeys holds the signing key of each jwt mount the seeders configured,
// by server address and mount: made once, so that every seeder (and every
// role) on a mount signs with the key the mount trusts.
var jwtKeys struct {
	sync.Mutex
	m map[string]*ecdsa.PrivateKey
}

func jwtKey(addr, mount string) (*ecdsa.PrivateKey, error) {
	jwtKeys.Lock()
	defer jwtKeys.Unlock()
	k := addr + "\x00" + mount
	if key := jwtKeys.m[k]; key != nil {
		return key, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	if jwtKeys.m == nil {
		jwtKeys.m = map[string]*ecdsa.PrivateKey{}
	}
	jwtKeys.m[k] = key
	return key, nil
}

// JWTActor enables the jwt auth method at auth/<mount> (if needed),
// configures it to trust the seeder's key for that mount and JWTIssuer,
// creates (or updates) role <role> with the reader policy, user_claim sub,
// audience JWTAudience and the Kubernetes claim mappings, signs a JWT for
// subject with claims (see KubernetesClaims) and logs in once with it. The
// actor is named by the role.
func (s *Seeder) JWTActor(ctx context.Context, mount, role, subject string, claims map[string]any) (*Actor, error) {
	if err := s.readerPolicy(ctx); err != nil {
		return nil, err
	}
	if err := enable(ctx, s.C, mount, "jwt", true); err != nil {
		return nil, err
	}
	key, err := jwtKey(s.C.Address(), mount)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	pub := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	// Written every time: the same key, so idempotent, and it puts the
	// key back if something else configured the mount.
	if _, err := s.C.Logical().WriteWithContext(ctx, "auth/"+mount+"/config", map[string]any{
		"jwt_validation_pubkeys": []string{pub},
		"jwt_supported_algs":     []string{"ES256"},
		"bound_issuer":           JWTIssuer,
	}); err != nil {
		return nil, fmt.Errorf("configure jwt at %s: %w", mount, err)
	}
	if _, err := s.C.Logical().WriteWithContext(ctx, "auth/"+mount+"/role/"+role, map[string]any{
		"role_type":       "jwt",
		"user_claim":      "sub",
		"bound_audiences": []string{JWTAudience},
		"claim_mappings":  jwtClaimMappings,
		"token_policies":  ReaderPolicy,
		"token_ttl":       "24h",
	}); err != nil {
		return nil, fmt.Errorf("create jwt role %s: %w", role, err)
	}
	now := time.Now()
	body := map[string]any{}
	for k, v := range claims {
		body[k] = v
	}
	body["iss"] = JWTIssuer
	body["sub"] = subject
	body["aud"] = []string{JWTAudience}
	body["iat"] = now.Unix()
	body["nbf"] = now.Add(-time.Minute).Unix()
	body["exp"] = now.Add(time.Hour).Unix()
	token, err := signES256(key, body)
	if err != nil {
		return nil, err
	}
	return s.login(ctx, role, "auth/"+mount+"/login", map[string]any{"role": role, "jwt": token})
}

// signES256 is a compact JWS of claims signed with key (RFC 7515, 7518).
func signES256(key *ecdsa.PrivateKey, claims map[string]any) (string, error) {
	enc := base64.RawURLEncoding
	header, err := json.Marshal(map[string]string{"alg": "ES256", "typ": "JWT"})
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("jwt claims: %w", err)
	}
	signing := enc.EncodeToString(header) + "." + enc.EncodeToString(payload)
	sum := sha256.Sum256([]byte(signing))
	r, sv, err := ecdsa.Sign(rand.Reader, key, sum[:])
	if err != nil {
		return "", err
	}
	// ES256 signatures are r and s as 32 big-endian bytes each, not ASN.1.
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	sv.FillBytes(sig[32:])
	return strings.Join([]string{signing, enc.EncodeToString(sig)}, "."), nil
}
