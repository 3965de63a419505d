package indexer

import (
	"context"
	"sync"
	"time"

	"wenshu/search"
)

// writeQueue bounds and batches the index writes of OnFiled (group
// commit): at most MaxWriters calls write at once; the records of the
// calls that arrive meanwhile wait and are written together by the next
// free writer, in one batch and one sync, up to Batch records. Every call
// still returns only once its record is on disk (or with the error of the
// batch it was written in). Eight clerks filing at once thus cost one or
// two index syncs instead of eight, and the CPU left to searches does not
// shrink with the number of filers.
type writeQueue struct {
	write    func(context.Context, ...search.Doc) error // (*search.Index).Index
	maxBatch int
	slots    chan struct{}       // one per writer
	linger   time.Duration       // a writer's wait for more records when writes follow each other
	sleep    func(time.Duration) // time.Sleep; tests replace it

	mu        sync.Mutex
	pending   []*pendingWrite
	lastWrite time.Time // end of the last write
}

type pendingWrite struct {
	docs []search.Doc
	done chan error // buffered: the writer never blocks on it
}

func newWriteQueue(write func(context.Context, ...search.Doc) error, writers, maxBatch int) *writeQueue {
	return &writeQueue{write: write, maxBatch: maxBatch, slots: make(chan struct{}, writers), sleep: time.Sleep}
}

// index queues docs and returns once they are written.
func (q *writeQueue) index(ctx context.Context, docs []search.Doc) error {
	w := &pendingWrite{docs: docs, done: make(chan error, 1)}
	q.mu.Lock()
	q.pending = append(q.pending, w)
	q.mu.Unlock()
	for {
		select {
		case err := <-w.done:
			return err
		case q.slots <- struct{}{}:
			q.drain(ctx)
			<-q.slots
			// drain wrote w or saw it taken by another writer
			select {
			case err := <-w.done:
				return err
			default:
			}
		case <-ctx.Done():
			if q.remove(w) {
				return ctx.Err()
			}
			return <-w.done // already being written
		}
	}
}

// drain writes pending records, a batch at a time, until none is left.
// The writes are not cancelled by the caller's context: they hold other
// callers' records.
func (q *writeQueue) drain(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	q.lingerIfBusy()
	for {
		batch := q.take()
		if len(batch) == 0 {
			return
		}
		var docs []search.Doc
		for _, w := range batch {
			docs = append(docs, w.docs...)
		}
		err := q.write(ctx, docs...)
		q.mu.Lock()
		q.lastWrite = time.Now()
		q.mu.Unlock()
		for _, w := range batch {
			w.done <- err
		}
	}
}

// take removes the oldest pending writes, up to maxBatch records (at least
// one write).
func (q *writeQueue) take() []*pendingWrite {
	q.mu.Lock()
	defer q.mu.Unlock()
	n, records := 0, 0
	for n < len(q.pending) && (n == 0 || records+len(q.pending[n].docs) <= q.maxBatch) {
		records += len(q.pending[n].docs)
		n++
	}
	batch := q.pending[:n:n]
	q.pending = q.pending[n:]
	return batch
}

// lingerIfBusy waits q.linger before a batch when the last write ended
// less than q.linger ago (filings are arriving back to back) and fewer
// than maxBatch records wait, so that more filings share the batch. A
// filing after a quiet spell is written at once.
func (q *writeQueue) lingerIfBusy() {
	if q.linger <= 0 {
		return
	}
	q.mu.Lock()
	n := 0
	for _, p := range q.pending {
		n += len(p.docs)
	}
	busy := !q.lastWrite.IsZero() && time.Since(q.lastWrite) < q.linger && n < q.maxBatch
	q.mu.Unlock()
	if busy {
		q.sleep(q.linger)
	}
}

// remove drops w from the queue; false when a writer has taken it.
func (q *writeQueue) remove(w *pendingWrite) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, p := range q.pending {
		if p == w {
			q.pending = append(q.pending[:i:i], q.pending[i+1:]...)
			return true
		}
	}
	return false
}
