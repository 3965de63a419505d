//go:build linux

package testenv

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// waitThreadsStopped waits up to limit until every thread of pid is in
// job-control stop (state T) when stopped is true, or until none is when it
// is false. A signal is delivered asynchronously: without this wait a
// request sent right after Pause could still be served.
func waitThreadsStopped(pid int, stopped bool, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		all, some, err := threadStopStates(pid)
		if err != nil {
			return err
		}
		if (stopped && all) || (!stopped && !some) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("threads of pid %d not %s within %s", pid, map[bool]string{true: "stopped", false: "running"}[stopped], limit)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// threadStopStates reports whether all and whether some of the live threads
// of pid are stopped, from /proc/<pid>/task/*/stat.
func threadStopStates(pid int) (all, some bool, err error) {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return false, false, fmt.Errorf("reading threads of pid %d: %w", pid, err)
	}
	all = true
	for _, task := range tasks {
		b, err := os.ReadFile(filepath.Join(dir, task.Name(), "stat"))
		if err != nil {
			continue // the thread ended meanwhile
		}
		// "tid (comm) S ...": the state follows the last ')', comm may hold any byte.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 || i+2 >= len(b) {
			continue
		}
		switch b[i+2] {
		case 'T', 't':
			some = true
		case 'Z', 'X':
		default:
			all = false
		}
	}
	return all, some, nil
}
