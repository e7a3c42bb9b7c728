//go:build unix && !linux

package devvault

import (
	"os/exec"
	"syscall"
)

// ownGroup runs cmd in its own process group (no Pdeathsig outside Linux:
// the deferred Stops are what end the servers).
func ownGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

// runAs runs cmd as the user uid:gid (PostgreSQL refuses to run as root).
func runAs(cmd *exec.Cmd, uid, gid int) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
}
