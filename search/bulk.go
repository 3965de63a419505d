package search

import (
	"context"
	"fmt"
	"sort"
	"sync"
)

// Bulk mode is for rebuilding the index (wenshu reindex, the catch-up after
// a dictionary change):
//
//	if err := ix.BeginBulk(); err != nil { … }
//	for each batch { if err := ix.Index(ctx, batch...); err != nil { … } }
//	if err := ix.EndBulk(); err != nil { … }  // everything on disk
//	ix.MarkReindexed()                        // only after EndBulk succeeded
//
// Between BeginBulk and EndBulk, Index and Delete return once the records
// are queued: records are gathered per unit into large batches, written by
// Options.IndexWorkers goroutines (different shards on different cores)
// and not synced one by one. A write error is returned by a later Index or
// by EndBulk. BeginBulk first records, on disk, that a bulk reindex is
// under way, and EndBulk clears that only once every batch is on disk: a
// process that dies in between leaves NeedsReindex true, so the catch-up at
// the next start reindexes everything. MarkReindexed fails with ErrBulk
// until EndBulk. Close ends a bulk reindex as EndBulk does.

// bulkState is the queue of a bulk reindex. Its fields are used under
// Index.wmu, except what the workers share (mu, err, persist).
type bulkState struct {
	pending map[*shard]map[string]*Doc // per shard: id → doc, or nil to delete
	queued  int                        // records in pending
	seen    map[string]struct{}        // ids queued since BeginBulk
	tasks   chan writeTask
	workers sync.WaitGroup
	persist sync.WaitGroup // batches written but not yet on disk
	flushAt int            // records per shard batch
	maxHeld int            // records held in pending at most

	mu  sync.Mutex
	err error
}

// BeginBulk starts a bulk reindex (see above). It fails with ErrBulk when
// one is already under way.
func (ix *Index) BeginBulk() error {
	if err := ix.rlock(); err != nil {
		return err
	}
	defer ix.mu.RUnlock()
	ix.wmu.Lock()
	defer ix.wmu.Unlock()
	if ix.bulk != nil {
		return ErrBulk
	}
	ix.smu.RLock()
	m := ix.meta
	ix.smu.RUnlock()
	m.Bulk = true
	if err := ix.setMeta(m); err != nil {
		return err
	}
	b := &bulkState{
		pending: map[*shard]map[string]*Doc{},
		seen:    map[string]struct{}{},
		tasks:   make(chan writeTask, ix.opts.IndexWorkers),
		flushAt: ix.opts.BulkBatchSize,
		maxHeld: 4 * ix.opts.BulkBatchSize,
	}
	for w := 0; w < ix.opts.IndexWorkers; w++ {
		b.workers.Add(1)
		go b.work()
	}
	ix.bulk = b
	return nil
}

// EndBulk writes what is queued, waits until every record of the bulk
// reindex is on disk and then clears the mark BeginBulk set. It returns the
// first write error of the bulk reindex, if any; the mark then stays, and
// NeedsReindex with it.
func (ix *Index) EndBulk() error {
	if err := ix.rlock(); err != nil {
		return err
	}
	defer ix.mu.RUnlock()
	ix.wmu.Lock()
	defer ix.wmu.Unlock()
	if ix.bulk == nil {
		return nil
	}
	return ix.endBulk()
}

// endBulk is EndBulk under wmu.
func (ix *Index) endBulk() error {
	b := ix.bulk
	ix.bulk = nil
	b.flush(func(*shard, int) bool { return true })
	close(b.tasks)
	b.workers.Wait()
	b.persist.Wait()
	if err := b.failed(); err != nil {
		return err
	}
	ix.smu.RLock()
	m := ix.meta
	ix.smu.RUnlock()
	m.Bulk = false
	return ix.setMeta(m)
}

func (b *bulkState) failed() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

func (b *bulkState) fail(err error) {
	b.mu.Lock()
	if b.err == nil {
		b.err = err
	}
	b.mu.Unlock()
}

// work writes batches until the queue closes; after an error it drops them.
func (b *bulkState) work() {
	defer b.workers.Done()
	for t := range b.tasks {
		if b.failed() != nil {
			continue
		}
		batch, err := t.batch()
		if err != nil {
			b.fail(err)
			continue
		}
		var once sync.Once
		done := func(err error) {
			once.Do(func() {
				if err != nil {
					b.fail(fmt.Errorf("search: persist batch: %w", err))
				}
				b.persist.Done()
			})
		}
		b.persist.Add(1)
		if err := t.sh.writeBatch(batch, done); err != nil {
			b.fail(err)
			done(nil)
		}
	}
}

// drain writes everything queued and waits until it is searchable, so that
// a record queued again cannot overtake its earlier version.
func (b *bulkState) drain() {
	b.flush(func(*shard, int) bool { return true })
	tasks := make(chan writeTask, cap(b.tasks))
	close(b.tasks)
	b.workers.Wait()
	b.tasks = tasks
	for w := 0; w < cap(tasks); w++ {
		b.workers.Add(1)
		go b.work()
	}
}

// flush hands the shards' pending records to the workers where want says so.
func (b *bulkState) flush(want func(sh *shard, n int) bool) {
	shards := make([]*shard, 0, len(b.pending))
	for sh := range b.pending {
		shards = append(shards, sh)
	}
	// largest first
	sort.Slice(shards, func(i, j int) bool { return len(b.pending[shards[i]]) > len(b.pending[shards[j]]) })
	for _, sh := range shards {
		ops := b.pending[sh]
		if !want(sh, len(ops)) {
			continue
		}
		t := writeTask{sh: sh}
		for id, d := range ops {
			if d == nil {
				t.dels = append(t.dels, id)
			} else {
				t.docs = append(t.docs, *d)
			}
		}
		delete(b.pending, sh)
		b.queued -= len(ops)
		b.tasks <- t
	}
}

func (b *bulkState) put(sh *shard, id string, d *Doc) {
	ops := b.pending[sh]
	if ops == nil {
		ops = map[string]*Doc{}
		b.pending[sh] = ops
	}
	if _, ok := ops[id]; !ok {
		b.queued++
	}
	ops[id] = d
}

// add queues docs (validated, one per id).
func (b *bulkState) add(ctx context.Context, ix *Index, docs []Doc) error {
	if err := b.failed(); err != nil {
		return err
	}
	for i := range docs {
		if _, again := b.seen[docs[i].ID]; again {
			b.drain()
			b.seen = map[string]struct{}{}
			break
		}
	}
	for i := range docs {
		b.seen[docs[i].ID] = struct{}{}
	}
	for unit, ids := range ix.route(docs) {
		sh, err := ix.shardFor(unit, false)
		if err != nil {
			return err
		}
		if sh != nil {
			for _, id := range ids {
				b.put(sh, id, nil)
			}
		}
	}
	for i := range docs {
		sh, err := ix.shardFor(docUnit(&docs[i]), true)
		if err != nil {
			return err
		}
		d := docs[i] // the caller may reuse its slice
		b.put(sh, d.ID, &d)
	}
	return b.settle(ctx)
}

// remove queues deletions.
func (b *bulkState) remove(ctx context.Context, ix *Index, byUnit map[string][]string) error {
	if err := b.failed(); err != nil {
		return err
	}
	for unit, ids := range byUnit {
		sh, err := ix.shardFor(unit, false)
		if err != nil {
			return err
		}
		if sh == nil {
			continue
		}
		for _, id := range ids {
			if _, again := b.seen[id]; again {
				b.drain()
				b.seen = map[string]struct{}{}
			}
			b.seen[id] = struct{}{}
			b.put(sh, id, nil)
		}
	}
	return b.settle(ctx)
}

// settle hands full batches to the workers, and the largest ones while too
// many records are held.
func (b *bulkState) settle(ctx context.Context) error {
	b.flush(func(_ *shard, n int) bool { return n >= b.flushAt })
	if b.queued > b.maxHeld {
		b.flush(func(*shard, int) bool { return b.queued > b.maxHeld/2 })
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("search: index: %w", err)
	}
	return b.failed()
}
