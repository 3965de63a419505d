package archive

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"time"
)

// Starting while storage is down (存储不可达时启动). With
// Options.StartWithoutStorage (what `wenshu serve` sets) New does not fail
// when MinIO cannot be reached: the bucket check runs again in the
// background with backoff, and until it passes every storage call fails
// at once as unavailable (503) — the gate sits in the client's transport,
// so no call can reach a bucket that was not checked — and approvals and
// imports are refused before any number is allocated. Ready reports the
// storage as not ready meanwhile. A bucket that answers but is not set up
// as wenshu needs (no object lock) is still an error of New.

// storageGate holds back the storage client's requests until the bucket
// has been checked (ensureBucket), except the check's own.
type storageGate struct {
	base http.RoundTripper
	open atomic.Bool
	// lastErr is the latest failed bucket check, for the log and Ready.
	lastErr atomic.Pointer[error]
}

// errStorageNotChecked is a storage call made before the bucket check
// passed; minio-go reports it wrapped in a *url.Error, an unavailable
// error to isUnavailable.
var errStorageNotChecked = errors.New("archive: storage not checked yet (it was unreachable at start)")

// bucketCheckKey marks the context of the bucket check, which the gate
// lets through.
type bucketCheckKey struct{}

func (g *storageGate) RoundTrip(r *http.Request) (*http.Response, error) {
	if !g.open.Load() && r.Context().Value(bucketCheckKey{}) == nil {
		return nil, errStorageNotChecked
	}
	return g.base.RoundTrip(r)
}

// checkBucket runs ensureBucket through the gate and opens it on success.
func (s *Store) checkBucket(ctx context.Context) error {
	cctx := context.WithValue(ctx, bucketCheckKey{}, true)
	err := s.ensureBucket(cctx)
	if err == nil {
		// The keyring's public keys go into the bucket (locked) once it is
		// known to be there: a bucket-only verifier needs every key.
		err = s.publishKeys(cctx, s.Keyring())
	}
	if err != nil {
		s.gate.lastErr.Store(&err)
		return err
	}
	s.gate.open.Store(true)
	return nil
}

// storageChecked is nil once the bucket check has passed, else the
// unavailable error that approvals and imports answer before they
// allocate numbers.
func (s *Store) storageChecked() error {
	if s.gate.open.Load() {
		return nil
	}
	return errStorageUnavailable
}

// Bucket check retries while storage was unreachable at start: the wait
// doubles from bucketRetryFirst up to bucketRetryMax.
const (
	bucketRetryFirst = time.Second
	bucketRetryMax   = 30 * time.Second
)

// checkBucketLoop repeats the bucket check until it passes, then runs
// recovery (interrupted filings of an earlier run wait for storage too).
func (s *Store) checkBucketLoop() {
	defer s.wg.Done()
	wait := bucketRetryFirst
	for {
		if !s.sleepOrStop(wait) {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*s.storageTimeout())
		err := s.checkBucket(ctx)
		cancel()
		if err == nil {
			s.log.Info("storage reachable: bucket checked, storage calls enabled")
			s.kickRecover()
			if s.opts.RecoverInterval <= 0 && !s.opts.SkipRecover {
				rctx, rcancel := context.WithTimeout(context.Background(), time.Minute)
				if _, err := s.Recover(rctx); err != nil {
					s.log.Error("recover after storage came up", "err", err)
				}
				rcancel()
			}
			return
		}
		s.log.Warn("storage still unreachable; storage calls answer unavailable", "retry_in", wait, "err", err)
		wait = min(2*wait, bucketRetryMax)
	}
}
