package config

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// runHelper asks a vault token helper for the token, as the vault CLI does:
// the program is run with the argument "get" and prints the token.
func runHelper(program string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, program, "get").Output()
	if err != nil {
		return "", fmt.Errorf("token.helper %s: %v", program, err) // its stderr may hold secrets: not shown
	}
	return strings.TrimSpace(string(out)), nil
}
