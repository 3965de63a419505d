package indexer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"wenshu/search"
)

// ErrIndexBusy is returned by Open when another process has the index open.
var ErrIndexBusy = errors.New("indexer: the search index is in use by another process (is `wenshu serve` running?); stop it first")

// Open opens the search index under dataDir/search for this process
// alone. Bleve's own lock would make a second process wait forever; this
// lock makes it fail at once instead. Close releases both.
func Open(dataDir string, opts search.Options) (*Handle, error) {
	dir := filepath.Join(dataDir, "search")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("indexer: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "wenshu.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("indexer: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrIndexBusy
		}
		return nil, fmt.Errorf("indexer: lock: %w", err)
	}
	ix, err := search.Open(dir, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Handle{Index: ix, lock: f}, nil
}

// Handle is an open index and its process lock.
type Handle struct {
	Index *search.Index
	lock  *os.File
}

// Close closes the index and releases the lock.
func (h *Handle) Close() error {
	err := h.Index.Close()
	h.lock.Close()
	return err
}
