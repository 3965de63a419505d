//go:build unix && !linux

package testenv

import (
	"syscall"
	"time"
)

func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// waitThreadsStopped cannot observe thread states without /proc; the signal
// is sent and assumed delivered.
func waitThreadsStopped(pid int, stopped bool, limit time.Duration) error { return nil }
