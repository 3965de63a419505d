//go:build unix

package testenv

import (
	"os"
	"os/exec"
	"syscall"
)

// setSysProcAttr puts MinIO in its own process group (a Ctrl-C to the test
// run does not race our own shutdown) and, on Linux, asks the kernel to kill
// it if the test binary dies first.
func setSysProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = sysProcAttr()
}

func terminate(p *os.Process) error { return p.Signal(syscall.SIGTERM) }
