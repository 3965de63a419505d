package audit

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"sync"
	"time"

	"wenshu/catalog"
)

// Event is one audit event to record (see catalog.AuditEntry).
type Event = catalog.AuditEntry

// ErrClosed is returned by Record after Close.
var ErrClosed = errors.New("audit: recorder closed")

// RecorderOptions configure a Recorder. All have defaults.
type RecorderOptions struct {
	Batch    int           // events per transaction, at most (default 256)
	Interval time.Duration // how long the first event of a batch waits for company (default 20 ms)
	Queue    int           // events waiting, at most (default 8192)
	// FullWait is how long Record blocks on a full queue before it gives
	// up with an error (default 5 s): an event is never dropped silently.
	FullWait time.Duration
	Logger   *slog.Logger
}

// Recorder (审计记录器) writes events asynchronously in batches: Record
// enqueues and returns; one goroutine inserts up to Batch events per
// durable transaction. A failed transaction is retried (the events stay
// queued, in order) until it commits or the Recorder is closed.
type Recorder struct {
	db    *catalog.DB
	opts  RecorderOptions
	log   *slog.Logger
	queue chan pending

	mu     sync.RWMutex // guards closed against sends after Close
	closed bool
	done   chan struct{}
}

type pending struct {
	e     Event
	flush chan error // non-nil: a Flush marker, answered once everything before it is committed
}

// NewRecorder starts a recorder on db.
func NewRecorder(db *catalog.DB, opts RecorderOptions) *Recorder {
	if opts.Batch <= 0 {
		opts.Batch = 256
	}
	if opts.Interval <= 0 {
		opts.Interval = 20 * time.Millisecond
	}
	if opts.Queue <= 0 {
		opts.Queue = 8192
	}
	if opts.FullWait <= 0 {
		opts.FullWait = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	r := &Recorder{db: db, opts: opts, log: opts.Logger.With("component", "audit"),
		queue: make(chan pending, opts.Queue), done: make(chan struct{})}
	go r.loop()
	return r
}

// Record enqueues e (its time is set now if zero). On a full queue it
// blocks up to FullWait (or ctx's end) and then returns an error, so the
// caller can refuse the read it was auditing.
func (r *Recorder) Record(ctx context.Context, e Event) error {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	return r.send(ctx, pending{e: e})
}

// Flush waits until every event recorded before it is committed.
func (r *Recorder) Flush(ctx context.Context) error {
	ch := make(chan error, 1)
	if err := r.send(ctx, pending{flush: ch}); err != nil {
		return err
	}
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *Recorder) send(ctx context.Context, p pending) error {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		return ErrClosed
	}
	select {
	case r.queue <- p:
		return nil
	default:
	}
	t := time.NewTimer(r.opts.FullWait)
	defer t.Stop()
	select {
	case r.queue <- p:
		return nil
	case <-t.C:
		return errors.New("audit: recorder queue full; event not recorded")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops accepting events, commits every queued one and returns
// the last commit error, if any.
func (r *Recorder) Close(ctx context.Context) error {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.queue)
	}
	r.mu.Unlock()
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// loop gathers batches: it waits for an event, then up to Interval for
// more, up to Batch.
func (r *Recorder) loop() {
	defer close(r.done)
	var batch []Event
	var flushes []chan error
	for {
		p, ok := <-r.queue
		if !ok {
			return
		}
		batch, flushes = appendPending(batch[:0], flushes[:0], p)
		timer := time.NewTimer(r.opts.Interval)
	gather:
		for len(batch) < r.opts.Batch {
			select {
			case p, ok = <-r.queue:
				if !ok {
					break gather
				}
				batch, flushes = appendPending(batch, flushes, p)
			case <-timer.C:
				break gather
			}
		}
		timer.Stop()
		r.commit(batch)
		for _, f := range flushes {
			f <- nil
		}
		if !ok {
			return
		}
	}
}

func appendPending(batch []Event, flushes []chan error, p pending) ([]Event, []chan error) {
	if p.flush != nil {
		return batch, append(flushes, p.flush)
	}
	return append(batch, p.e), flushes
}

// commit inserts a batch in one durable transaction, retrying with a
// growing pause until it commits: the queue backs up meanwhile and Record
// blocks, rather than an event being lost.
func (r *Recorder) commit(batch []Event) {
	if len(batch) == 0 {
		return
	}
	pause := 10 * time.Millisecond
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := r.db.Tx(ctx, func(tx *sql.Tx) error { return catalog.AppendAuditBatch(ctx, tx, batch) })
		cancel()
		if err == nil {
			return
		}
		r.log.Error("audit batch not committed; retrying", "events", len(batch), "err", err)
		time.Sleep(pause)
		pause = min(2*pause, 5*time.Second)
	}
}
