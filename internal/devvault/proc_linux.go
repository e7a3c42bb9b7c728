package devvault

import (
	"os/exec"
	"syscall"
)

// ownGroup runs cmd in its own process group and, on Linux, has the kernel
// stop it when leasetop dies without cleaning up (Pdeathsig).
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}

// runAs runs cmd as the user uid:gid (PostgreSQL refuses to run as root).
func runAs(cmd *exec.Cmd, uid, gid int) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
}
