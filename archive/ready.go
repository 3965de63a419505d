package archive

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
)

// ReadyCheckTimeout bounds each readiness check (就绪检查) of Ready.
const ReadyCheckTimeout = 2 * time.Second

// Readiness states of a component.
const (
	StateOK            = "ok"            // it answered as it should
	StateTimeout       = "timeout"       // no answer within ReadyCheckTimeout
	StateUnavailable   = "unavailable"   // it answered with an error, or could not be reached
	StateMisconfigured = "misconfigured" // it answered, but not as wenshu set it up
)

// ComponentState is the readiness of one part the server depends on. Its
// message is Chinese and safe to show to anyone: it names no endpoint,
// bucket, path or key (the error itself is logged).
type ComponentState struct {
	Name    string `json:"name"` // catalog, storage (and the server's index)
	Ready   bool   `json:"ready"`
	State   string `json:"state"` // StateOK, StateTimeout …
	Message string `json:"message,omitempty"`
	TookMS  int64  `json:"took_ms"`
}

// Ready checks, concurrently and each within ReadyCheckTimeout (or ctx's
// deadline, if sooner):
//
//   - catalog: a write transaction can be started and a row written
//     (BEGIN IMMEDIATE, a no-op update, then rolled back);
//   - storage: the bucket answers and its object-lock configuration is
//     intact (enabled, with no default retention other than COMPLIANCE;
//     wenshu sets COMPLIANCE on every object it writes).
//
// It never fails as a whole: each component says what it found.
func (s *Store) Ready(ctx context.Context) []ComponentState {
	checks := []struct {
		name string
		run  func(context.Context) (state, msg string, err error)
	}{
		{"catalog", s.catalogReady},
		{"storage", s.storageReady},
	}
	out := make([]ComponentState, len(checks))
	var wg sync.WaitGroup
	for i, ch := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = s.runCheck(ctx, ch.name, ch.run)
		}()
	}
	wg.Wait()
	return out
}

// runCheck runs one check and returns by its deadline even if the check
// itself does not (a catalog waiting on a lock, say); such a check ends
// on its own once its context is cancelled.
func (s *Store) runCheck(ctx context.Context, name string, run func(context.Context) (string, string, error)) ComponentState {
	cctx, cancel := context.WithTimeout(ctx, ReadyCheckTimeout)
	defer cancel()
	start := time.Now()
	type result struct {
		state, msg string
		err        error
	}
	done := make(chan result, 1)
	go func() {
		state, msg, err := run(cctx)
		done <- result{state, msg, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-cctx.Done():
		r = result{err: cctx.Err()}
	}
	if r.err != nil && (errors.Is(r.err, context.DeadlineExceeded) || cctx.Err() != nil) {
		r.state, r.msg = StateTimeout, "在 "+ReadyCheckTimeout.String()+" 内未响应"
	}
	if r.err != nil {
		s.log.Warn("readiness check failed", "component", name, "state", r.state, "err", r.err)
	}
	return ComponentState{Name: name, Ready: r.state == StateOK, State: r.state, Message: r.msg, TookMS: time.Since(start).Milliseconds()}
}

// errReadyRollback ends the catalog check's transaction without a commit.
var errReadyRollback = errors.New("archive: readiness check rolls back")

func (s *Store) catalogReady(ctx context.Context) (string, string, error) {
	err := s.cat.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = version
			WHERE version = (SELECT MAX(version) FROM schema_version)`)
		if err != nil {
			return err
		}
		return errReadyRollback
	})
	if errors.Is(err, errReadyRollback) {
		return StateOK, "", nil
	}
	return StateUnavailable, "目录数据库不可写", err
}

func (s *Store) storageReady(ctx context.Context) (string, string, error) {
	if !s.gate.open.Load() {
		err := errStorageNotChecked
		if last := s.gate.lastErr.Load(); last != nil {
			err = *last
		}
		return StateUnavailable, "存储服务不可达（启动时未能连接，正在后台重试）", err
	}
	enabled, mode, _, _, err := s.s3.GetObjectLockConfig(ctx, s.bucket)
	switch {
	case err != nil:
		if er, ok := s3Error(err); ok && er.Code == "ObjectLockConfigurationNotFoundError" {
			return StateMisconfigured, "存储桶未启用对象锁定（合规保留）", err
		}
		return StateUnavailable, "存储服务不可达", err
	case enabled != "Enabled":
		return StateMisconfigured, "存储桶未启用对象锁定（合规保留）", errors.New("archive: object lock " + enabled)
	case mode != nil && *mode != minio.Compliance:
		return StateMisconfigured, "存储桶的默认保留模式已被改为 " + mode.String(), errors.New("archive: default retention " + mode.String())
	}
	return StateOK, "", nil
}
