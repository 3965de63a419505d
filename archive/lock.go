package archive

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
)

// Instance locks tell Recover which filings are abandoned. Every Store holds
// an exclusive flock on run/<instance>.lock for its lifetime and writes its
// instance id into the filings it starts. The kernel drops the lock when the
// process dies, however it dies (SIGKILL included). A filing whose owner's
// lock can be taken is therefore abandoned; one whose owner still holds it is
// in progress in a live process (a `wenshu import` beside `wenshu serve`)
// and is left alone. This works for any number of processes on one host;
// several hosts sharing a PostgreSQL catalog would need a lease column with
// a heartbeat instead (not built).

func lockInstance(dir string) (string, *os.File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", nil, err
	}
	id := newID()
	f, err := os.OpenFile(filepath.Join(dir, id+".lock"), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return "", nil, err
	}
	return id, f, nil
}

func (s *Store) releaseInstance() {
	if s.lockFile == nil {
		return
	}
	name := s.lockFile.Name()
	// Remove before unlocking: no one can then lock a file we still own.
	os.Remove(name)
	s.lockFile.Close()
	s.lockFile = nil
}

// lockOwner tries to take a dead owner's lock. ok is false while the owner
// lives. The caller closes f (and may remove the file) when done.
func (s *Store) lockOwner(owner string) (f *os.File, ok bool, err error) {
	name := filepath.Join(s.opts.DataDir, "run", filepath.Base(owner)+".lock")
	f, err = os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, false, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, false, nil
		}
		return nil, false, err
	}
	return f, true, nil
}
