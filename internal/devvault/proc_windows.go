package devvault

import "os/exec"

// ownGroup: Windows has no process groups of this kind; the deferred
// Stops end the servers.
func ownGroup(cmd *exec.Cmd) {}

// runAs: there is no root to step down from on Windows.
func runAs(cmd *exec.Cmd, uid, gid int) {}
