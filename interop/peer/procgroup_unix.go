//go:build unix

package peer

import (
	"os/exec"
	"syscall"
)

// setGroup starts the peer in its own process group so that kill reaches
// the helpers it may have spawned (a shell's children, for instance).
func setGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Process.Kill()
	}
}
