package vaultclient

import "github.com/hashicorp/vault/api/cliconfig"

// tokenFromHelper reads the token the vault CLI stored: ~/.vault-token, or
// the token_helper configured in ~/.vault (VAULT_CONFIG_PATH).
func tokenFromHelper() (string, error) {
	h, err := cliconfig.DefaultTokenHelper()
	if err != nil {
		return "", err
	}
	return h.Get()
}
