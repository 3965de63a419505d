package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"sync"
	"time"

	"wenshu/catalog"
)

// Defaults of CheckpointOptions.
const (
	DefaultEvery       = 100
	DefaultInterval    = 60 * time.Second
	defaultCallTimeout = 15 * time.Second
	defaultMaxSegment  = 5000
)

// CheckpointOptions configure a Checkpointer. All have defaults.
type CheckpointOptions struct {
	// Every events, or Interval after the oldest event not yet in a
	// checkpoint, a checkpoint is written (defaults 100 and 60 s).
	Every    int
	Interval time.Duration
	// CallTimeout is the deadline of each S3 call (default 15 s).
	CallTimeout time.Duration
	// MaxSegment bounds the events of one segment (default 5000); a
	// backlog is written as several checkpoints.
	MaxSegment int
	// Poll is how often the background loop looks at the head (default
	// 1 s, or Interval if shorter).
	Poll   time.Duration
	Logger *slog.Logger
	Now    func() time.Time
}

func (o *CheckpointOptions) defaults() {
	if o.Every <= 0 {
		o.Every = DefaultEvery
	}
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = defaultCallTimeout
	}
	if o.MaxSegment <= 0 {
		o.MaxSegment = defaultMaxSegment
	}
	if o.Poll <= 0 {
		o.Poll = min(time.Second, o.Interval)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Checkpointer writes the catalog's events into the bucket as signed
// checkpoints with their segments (检查点写入器). Events stay in the
// catalog whatever happens to a PUT, and a failed one is retried at the
// next poll: an event is never lost, it goes into the next segment.
type Checkpointer struct {
	db   *catalog.DB
	sink Sink
	opts CheckpointOptions
	log  *slog.Logger
	mu   sync.Mutex // one Flush at a time
}

// NewCheckpointer returns a checkpointer of db's trail into sink's bucket.
func NewCheckpointer(db *catalog.DB, sink Sink, opts CheckpointOptions) *Checkpointer {
	opts.defaults()
	return &Checkpointer{db: db, sink: sink, opts: opts, log: opts.Logger.With("component", "audit")}
}

// Start runs the background loop until stop is called; stop writes a last
// checkpoint of whatever is pending (within CallTimeout per call) and
// returns when the loop has ended.
func (c *Checkpointer) Start() (stop func()) {
	done := make(chan struct{})
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		t := time.NewTicker(c.opts.Poll)
		defer t.Stop()
		for {
			select {
			case <-done:
				ctx, cancel := context.WithTimeout(context.Background(), 4*c.opts.CallTimeout)
				c.flushLogged(ctx, true)
				cancel()
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), 4*c.opts.CallTimeout)
				c.flushLogged(ctx, false)
				cancel()
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done); <-ended }) }
}

func (c *Checkpointer) flushLogged(ctx context.Context, force bool) {
	due, err := c.due(ctx)
	if err == nil && (due || force) {
		_, err = c.Flush(ctx)
	}
	if err != nil {
		c.log.Error("audit checkpoint not written; retried at the next poll, events stay in the catalog", "err", err)
	}
}

// due reports whether Every events are pending, or any pending event is
// older than Interval.
func (c *Checkpointer) due(ctx context.Context) (bool, error) {
	r := c.db.Reader()
	last, err := catalog.LastAuditCheckpoint(ctx, r)
	if err != nil {
		return false, err
	}
	head, err := catalog.ChainHead(ctx, r)
	if err != nil || head.Seq <= last.LastSeq {
		return false, err
	}
	if head.Seq-last.LastSeq >= int64(c.opts.Every) {
		return true, nil
	}
	var at string
	if err := r.QueryRowContext(ctx, `SELECT at FROM audit_events WHERE seq = ?`, last.LastSeq+1).Scan(&at); err != nil {
		return false, err
	}
	return c.opts.Now().Sub(catalog.ParseTime(at)) >= c.opts.Interval, nil
}

// Flush writes checkpoints until every event in the catalog is in one and
// returns how many it wrote (or adopted from the bucket).
func (c *Checkpointer) Flush(ctx context.Context) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for {
		wrote, err := c.flushOne(ctx)
		if err != nil || !wrote {
			return n, err
		}
		n++
	}
}

// pending reads the events after the last checkpoint (at most
// MaxSegment) and checks they chain on from it: a catalog edited since
// the last checkpoint is never sealed.
func (c *Checkpointer) pending(ctx context.Context) (catalog.AuditCheckpoint, []catalog.ChainedEvent, error) {
	last, err := catalog.LastAuditCheckpoint(ctx, c.db.Reader())
	if err != nil {
		return last, nil, err
	}
	var evs []catalog.ChainedEvent
	stop := errors.New("enough")
	prev, want := last.HeadHash, last.LastSeq+1
	err = catalog.ScanChain(ctx, c.db.Reader(), want, func(e catalog.ChainedEvent) error {
		if e.Seq != want || e.PrevHash != prev || e.ComputeHash() != e.Hash {
			return fmt.Errorf("audit: the catalog's chain is broken at seq %d; not sealing it (run `wenshu audit verify`)", e.Seq)
		}
		evs = append(evs, e)
		prev, want = e.Hash, want+1
		if len(evs) >= c.opts.MaxSegment {
			return stop
		}
		return nil
	})
	if err != nil && !errors.Is(err, stop) {
		return last, nil, err
	}
	return last, evs, nil
}

func (c *Checkpointer) flushOne(ctx context.Context) (bool, error) {
	last, evs, err := c.pending(ctx)
	if err != nil || len(evs) == 0 {
		return false, err
	}
	if done, err := c.adopt(ctx, evs[0]); done || err != nil {
		return done, err
	}
	first, lastEv := evs[0], evs[len(evs)-1]
	base := keyBase(first, lastEv.Seq)
	seg := segmentBytes(evs)
	cp := Checkpoint{
		Count: int64(len(evs)), CreatedAt: catalog.FormatTime(c.opts.Now()), FirstSeq: first.Seq, HeadHash: lastEv.Hash,
		PrevHash: last.HeadHash, SegmentKey: base + ".events", SegmentSM3: catalog.HashHex(seg), Seq: lastEv.Seq,
	}
	raw, err := seal(cp, c.sink)
	if err != nil {
		return false, fmt.Errorf("audit: signing checkpoint %d–%d: %w", first.Seq, lastEv.Seq, err)
	}
	if err := c.put(ctx, cp.SegmentKey, seg, "application/x-ndjson"); err != nil {
		return false, err
	}
	if err := c.put(ctx, base+".json", raw, "application/json"); errors.Is(err, fs.ErrExist) {
		// Another writer sealed the same range first: take its checkpoint.
		return c.adopt(ctx, first)
	} else if err != nil {
		return false, err
	}
	return true, c.record(ctx, cp, base+".json")
}

// put stores one object with a deadline. An existing key with the same
// bytes is a write that already happened (a crash or a lost answer).
func (c *Checkpointer) put(ctx context.Context, key string, data []byte, contentType string) error {
	pctx, cancel := context.WithTimeout(ctx, c.opts.CallTimeout)
	defer cancel()
	_, err := c.sink.PutLocked(pctx, key, data, contentType)
	if !errors.Is(err, fs.ErrExist) {
		return err
	}
	have, gerr := c.sink.Get(pctx, key, "")
	if gerr != nil {
		return fmt.Errorf("audit: %s exists and cannot be read: %w", key, gerr)
	}
	if string(have) != string(data) {
		return fmt.Errorf("audit: %s exists in the bucket with other bytes: %w", key, fs.ErrExist)
	}
	return nil
}

// adopt looks for a checkpoint already in the bucket that starts at the
// first pending event (written before a crash, or before the catalog was
// restored) and records it instead of writing another.
func (c *Checkpointer) adopt(ctx context.Context, first catalog.ChainedEvent) (bool, error) {
	lctx, cancel := context.WithTimeout(ctx, c.opts.CallTimeout)
	defer cancel()
	var key, version string
	err := c.sink.ListVersions(lctx, firstPrefix(first), func(k, v string, del bool, _ time.Time) error {
		if !del && strings.HasSuffix(k, ".json") && key == "" {
			key, version = k, v
		}
		return nil
	})
	if err != nil || key == "" {
		return false, err
	}
	raw, err := c.sink.Get(lctx, key, version)
	if err != nil {
		return false, err
	}
	cp, err := openCheckpoint(raw, c.sink)
	if err != nil {
		return false, fmt.Errorf("audit: %s in the bucket: %w", key, err)
	}
	if cp.FirstSeq != first.Seq || cp.PrevHash != first.PrevHash {
		return false, fmt.Errorf("audit: %s in the bucket does not continue the catalog's chain at seq %d", key, first.Seq)
	}
	c.log.Info("audit checkpoint found in the bucket, adopted", "key", key)
	return true, c.record(ctx, cp, key)
}

func (c *Checkpointer) record(ctx context.Context, cp Checkpoint, key string) error {
	return c.db.TxLazy(ctx, func(tx *sql.Tx) error {
		return catalog.SaveAuditCheckpoint(ctx, tx, catalog.AuditCheckpoint{FirstSeq: cp.FirstSeq, LastSeq: cp.Seq,
			HeadHash: cp.HeadHash, CheckpointKey: key, SegmentKey: cp.SegmentKey, CreatedAt: cp.CreatedAt})
	})
}
