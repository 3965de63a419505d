package archive

import (
	"context"
	"fmt"
	"time"

	"wenshu/problem"
)

// Manifests are stored in chain order (链序写入): the manifest of chain
// position N is PUT only once no filing signed before it is still waiting
// for its own manifest (journal state signed). So the bucket always holds
// the chain 1…K without a gap, and `verify --bucket-only` passes at any
// moment, even while a filing is stuck behind an outage; see doc.go.

// chainPollInterval is how often a waiting filing looks at the journal
// when no filing of this process moved the chain (the predecessor may
// belong to another process: a `wenshu import` beside `wenshu serve`).
const chainPollInterval = 50 * time.Millisecond

// errChainWaiting: an earlier chain position's manifest is not stored yet.
var errChainWaiting = problem.New(problem.ErrUnavailable, "chain_waiting",
	"前序归档的清单尚未写入存储，本件待其写入后自动完成")

// waitChainTurn returns once no filing with a chain position before seq
// is signed and unstored (stored: its manifest PUT succeeded in this
// process, so the next PUT need not wait for the catalogue commit). A filing in progress waits (kicking recovery,
// since the predecessor may have been abandoned by its request) until the
// storage timeout or ctx ends; recovery (noWait) never waits: it stores
// positions in order in one pass and leaves the rest for the next.
func (s *Store) waitChainTurn(ctx context.Context, seq int64, noWait bool) error {
	if seq <= 1 {
		return nil
	}
	deadline := time.NewTimer(s.storageTimeout())
	defer deadline.Stop()
	kicked := false
	for {
		moved := s.chainWatch()
		n, err := s.unstoredBefore(ctx, seq)
		if err != nil {
			return internal("chain order", err)
		}
		if n == 0 {
			return nil
		}
		if noWait {
			return fmt.Errorf("chain position %d: %d earlier manifests not stored: %w", seq, n, errChainWaiting)
		}
		if !kicked {
			s.kickRecover()
			kicked = true
		}
		poll := time.NewTimer(chainPollInterval)
		select {
		case <-moved:
		case <-poll.C:
		case <-deadline.C:
			poll.Stop()
			return fmt.Errorf("chain position %d: %d earlier manifests not stored in time: %w", seq, n, errChainWaiting)
		case <-ctx.Done():
			poll.Stop()
			return storageErr(ctx.Err())
		}
		poll.Stop()
	}
}

// unstoredBefore counts the filings signed before seq whose manifests are
// not known to be stored.
func (s *Store) unstoredBefore(ctx context.Context, seq int64) (int, error) {
	rows, err := s.cat.Reader().QueryContext(ctx, `SELECT chain_seq FROM filings WHERE status = 'signed' AND chain_seq < ?`, seq)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var before []int64
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			return 0, err
		}
		before = append(before, n)
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	s.chainMu.Lock()
	defer s.chainMu.Unlock()
	n := 0
	for _, b := range before {
		if !s.chainStored[b] {
			n++
		}
	}
	return n, nil
}

// manifestStored notes that the manifest at chain position seq is in the
// bucket (until its filing is catalogued: forget) and wakes the waiters.
func (s *Store) manifestStored(seq int64) {
	s.chainMu.Lock()
	s.chainStored[seq] = true
	s.chainMu.Unlock()
	s.chainAdvanced()
}

// forgetStored drops the note once the filing is no longer signed (or
// its catalogue commit failed: the journal then still says signed and a
// recovery finds the stored manifest by its bytes).
func (s *Store) forgetStored(seq int64) {
	s.chainMu.Lock()
	delete(s.chainStored, seq)
	s.chainMu.Unlock()
}

// chainWatch returns a channel that is closed when the chain next moves.
func (s *Store) chainWatch() <-chan struct{} {
	s.chainMu.Lock()
	defer s.chainMu.Unlock()
	return s.chainMoved
}

// chainAdvanced wakes the filings waiting in waitChainTurn.
func (s *Store) chainAdvanced() {
	s.chainMu.Lock()
	close(s.chainMoved)
	s.chainMoved = make(chan struct{})
	s.chainMu.Unlock()
}
