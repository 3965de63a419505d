//go:build unix

package testenv

import (
	"errors"
	"os/exec"
	"syscall"
)

// setSysProcAttr puts MinIO in its own process group (a Ctrl-C to the test
// run does not race our own shutdown, and a signal to the group reaches any
// child it starts) and, on Linux, asks the kernel to kill it if the test
// binary dies first.
func setSysProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = sysProcAttr()
}

// signalGroup sends sig to the process group that pid leads (every MinIO
// started here leads its own, see setSysProcAttr). A group that is already
// gone is not an error.
func signalGroup(pid int, sig syscall.Signal) error {
	err := syscall.Kill(-pid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}
