//go:build unix

package testenv

import (
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"
)

// errShared refuses a fault on a server that other tests may be using.
var errShared = errors.New("testenv: fault controls work only on a server from StartMinIO (MinIO(t) may be the server every test of the binary shares)")

// errStopped refuses to act on a server after Stop.
var errStopped = errors.New("testenv: MinIO was stopped (test cleanup ran)")

// errNotRunning refuses to pause a server that was killed and not restarted.
var errNotRunning = errors.New("testenv: MinIO is not running (killed; call Restart)")

// StartMinIO starts a MinIO server for t alone — its own data directory in
// t.TempDir() and its own loopback port — and stops it in t.Cleanup (even
// when the test left it paused). Unlike MinIO(t), it never returns the
// server the test binary shares, so its fault controls (Pause, Resume,
// Kill, Restart, PauseFor, KillFor) cannot disturb other tests.
// A missing binary fails the test; it never skips.
func StartMinIO(t testing.TB) *MinIOServer {
	t.Helper()
	srv, err := Start(t.TempDir())
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	srv.faults = true
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("testenv: stopping MinIO: %v", err)
		}
	})
	return srv
}

// PID returns the process id of the running MinIO, or 0 when it is not
// running (killed, stopped, or inherited from a parent process). It
// changes on Restart.
func (s *MinIOServer) PID() int {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	if s.proc == nil || s.proc.exited() {
		return 0
	}
	return s.proc.pid()
}

// Pause freezes MinIO (SIGSTOP to its process group) and returns once every
// thread has stopped. The kernel still accepts connections on its port, so
// requests hang rather than fail: this is the "MinIO does not answer"
// fault. Pausing a paused server is harmless; pausing a killed one is an
// error.
func (s *MinIOServer) Pause() error {
	if !s.faults {
		return errShared
	}
	s.ctl.Lock()
	defer s.ctl.Unlock()
	if s.stopped {
		return errStopped
	}
	p := s.proc
	if p == nil || p.exited() {
		return errNotRunning
	}
	return signalAndAwait(p, syscall.SIGSTOP, true, "pause")
}

// Resume lets a paused MinIO run again (SIGCONT) and returns once no thread
// is stopped; requests that hung meanwhile are then served. Resuming a
// running, killed or stopped server does nothing.
func (s *MinIOServer) Resume() error {
	if !s.faults {
		return errShared
	}
	s.ctl.Lock()
	defer s.ctl.Unlock()
	p := s.proc
	if p == nil || p.exited() {
		return nil
	}
	return signalAndAwait(p, syscall.SIGCONT, false, "resume")
}

// signalAndAwait sends sig to MinIO's process group and waits until its
// threads are all stopped (stopped true) or none is; a process that exits
// meanwhile is not an error. verb names the fault in the error.
func signalAndAwait(p *minioProc, sig syscall.Signal, stopped bool, verb string) error {
	if err := signalGroup(p.pid(), sig); err != nil {
		return fmt.Errorf("testenv: %s MinIO: %w", verb, err)
	}
	if err := waitThreadsStopped(p.pid(), stopped, signalLimit); err != nil && !p.exited() {
		return fmt.Errorf("testenv: %s MinIO: %w", verb, err)
	}
	return nil
}

// Kill ends MinIO at once (SIGKILL to its process group, paused or not) and
// waits until it has exited; its port then refuses connections. The data
// directory is left as the crash left it, for Restart. Killing a killed
// server does nothing.
func (s *MinIOServer) Kill() error {
	if !s.faults {
		return errShared
	}
	s.ctl.Lock()
	defer s.ctl.Unlock()
	return s.killLocked()
}

func (s *MinIOServer) killLocked() error {
	p := s.proc
	if p == nil || p.exited() {
		return nil
	}
	if err := signalGroup(p.pid(), syscall.SIGKILL); err != nil {
		return fmt.Errorf("testenv: kill MinIO: %w", err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(reapLimit):
		return fmt.Errorf("testenv: MinIO (pid %d) did not exit within %s of SIGKILL", p.pid(), reapLimit)
	}
}

// Restart starts MinIO again on the same data directory, port and
// credentials, so existing clients reconnect and find what was stored, and
// waits until it serves S3 requests again (/minio/health/cluster). A server still running is killed
// first (a crash and restart). While the port is still taken it retries for
// a few seconds.
func (s *MinIOServer) Restart() error {
	if !s.faults {
		return errShared
	}
	s.ctl.Lock()
	defer s.ctl.Unlock()
	if s.stopped {
		return errStopped
	}
	if err := s.killLocked(); err != nil {
		return err
	}
	deadline := time.Now().Add(rebindLimit)
	for {
		err := s.launch(startLimit)
		if err == nil {
			return nil
		}
		if !errors.Is(err, errExitedEarly) || time.Now().After(deadline) {
			_ = s.killLocked()
			return fmt.Errorf("testenv: restart MinIO on %s: %w\n--- MinIO log (%s) ---\n%s", s.Endpoint, err, s.logPath, s.logTail())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// PauseFor pauses MinIO now (it is paused when PauseFor returns) and
// resumes it after d in the background, so the test can run its requests
// meanwhile. The channel receives the outcome — the Pause error at once, or
// the Resume error after d — and is then closed. When the test ends first,
// cleanup resumes and stops the server without waiting for d.
func (s *MinIOServer) PauseFor(d time.Duration) <-chan error {
	return s.faultFor(d, s.Pause, s.Resume, s.Resume)
}

// KillFor kills MinIO now (it is down when KillFor returns) and restarts it
// on the same data and port after d in the background. The channel receives
// the Kill error at once, or the Restart error once MinIO answers again
// (nil: it is back), and is then closed. When the test ends first, nothing
// is restarted.
func (s *MinIOServer) KillFor(d time.Duration) <-chan error {
	return s.faultFor(d, s.Kill, s.Restart, func() error { return errStopped })
}

// faultFor starts a fault now and ends it after d in the background. The
// channel receives start's error at once, or else end's error after d —
// ifStopped's instead when the server is stopped first — and is then
// closed.
func (s *MinIOServer) faultFor(d time.Duration, start, end, ifStopped func() error) <-chan error {
	out := make(chan error, 1)
	if err := start(); err != nil {
		out <- err
		close(out)
		return out
	}
	go func() {
		defer close(out)
		timer := time.NewTimer(d)
		defer timer.Stop()
		select {
		case <-timer.C:
			out <- end()
		case <-s.stopping:
			out <- ifStopped()
		}
	}()
	return out
}
