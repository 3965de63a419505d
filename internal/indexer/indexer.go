package indexer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"wenshu/archive"
	"wenshu/search"
)

// UnitKey is how a unit is named in the index: its catalog id, which a
// rename does not change. The server maps keys back to names for display.
func UnitKey(unitID int64) string { return strconv.FormatInt(unitID, 10) }

// Doc builds the search document of a record and its text.
func Doc(rec *archive.Record, text string) search.Doc {
	return search.Doc{
		ID:             rec.ID,
		Title:          rec.Title,
		Body:           text,
		DocNumber:      rec.DocNumber,
		ArchiveCode:    rec.ArchiveCode,
		Kind:           rec.Kind,
		Template:       rec.TemplateID,
		Unit:           UnitKey(rec.UnitID),
		Year:           rec.Year,
		Persons:        rec.Persons,
		CaseNo:         rec.CaseNo,
		Classification: rec.Classification,
		Retention:      string(rec.Retention),
		FiledAt:        rec.FiledAt,
		Author:         rec.AuthorName,
		Approver:       rec.ApproverName,
	}
}

// Indexer ties a store to an index.
type Indexer struct {
	Store *archive.Store
	Index *search.Index
	Log   *slog.Logger
	// Workers reading record texts from the bucket in parallel; default 4.
	Workers int
	// Batch is the number of records indexed at once; default 500.
	Batch int
	// MaxWriters bounds the OnFiled calls writing to the index at once
	// (default 1); the records of the calls waiting meanwhile are written
	// together, up to Batch, in one batch and one sync (queue.go).
	MaxWriters int
	// BatchLinger is how long a writer waits for more filings to join
	// its batch (攒批等待) when the last write ended less than BatchLinger
	// ago, i.e. while filings arrive back to back; a filing after a quiet
	// spell is written at once. 0 means DefaultBatchLinger; negative
	// never waits.
	BatchLinger time.Duration

	queueOnce sync.Once
	queue     *writeQueue
}

// OnFiled indexes one record right after filing (archive.Options.OnFiled).
// It returns once the record is on disk; concurrent calls share batches.
func (x *Indexer) OnFiled(ctx context.Context, rec *archive.Record, text string) error {
	x.queueOnce.Do(func() {
		x.queue = newWriteQueue(x.Index.Index, max(1, x.MaxWriters), max(1, x.batchSize()))
		x.queue.linger = x.batchLinger()
	})
	return x.queue.index(ctx, []search.Doc{Doc(rec, text)})
}

func (x *Indexer) batchSize() int {
	if x.Batch <= 0 {
		return 500
	}
	return x.Batch
}

// Stats counts what a catch-up or reindex did.
type Stats struct {
	Records int           // records in the catalog
	Indexed int           // records (re)indexed
	Failed  int           // records whose text could not be read
	Took    time.Duration // wall time

	started time.Time
}

// DocsPerSecond is the indexing rate.
func (s Stats) DocsPerSecond() float64 {
	if s.Took <= 0 {
		return 0
	}
	return float64(s.Indexed) / s.Took.Seconds()
}

// CatchUp indexes every catalogued record the index lacks. It runs at
// start, so that records filed while indexing failed or the process died
// between the catalog commit and the index are found.
func (x *Indexer) CatchUp(ctx context.Context, progress func(done, total int)) (Stats, error) {
	have := map[string]bool{}
	if err := x.Index.ForEachID(ctx, func(id string) error { have[id] = true; return nil }); err != nil {
		return Stats{}, fmt.Errorf("indexer: list indexed ids: %w", err)
	}
	return x.run(ctx, func(id string) bool { return !have[id] }, progress)
}

// Reindex indexes every catalogued record again, in batches (after a
// dictionary change, or by `wenshu reindex`).
func (x *Indexer) Reindex(ctx context.Context, progress func(done, total int)) (Stats, error) {
	st, err := x.run(ctx, func(string) bool { return true }, progress)
	if err == nil {
		err = x.Index.MarkReindexed()
	}
	return st, err
}

// run indexes the wanted records in search's bulk mode: batches are queued
// and made durable together by EndBulk, which always runs before run
// returns. A crash in between leaves the index marked for a reindex.
func (x *Indexer) run(ctx context.Context, want func(id string) bool, progress func(done, total int)) (Stats, error) {
	if err := x.Index.BeginBulk(); err != nil {
		return Stats{}, fmt.Errorf("indexer: %w", err)
	}
	st, err := x.runBulk(ctx, want, progress)
	if endErr := x.Index.EndBulk(); endErr != nil && err == nil {
		err = fmt.Errorf("indexer: %w", endErr)
	}
	st.Took = time.Since(st.started)
	return st, err
}

func (x *Indexer) runBulk(ctx context.Context, want func(id string) bool, progress func(done, total int)) (Stats, error) {
	st := Stats{started: time.Now()}
	batch := x.batchSize()
	// Collect what to index first, so that progress knows the total.
	todo, err := x.wanted(ctx, want, &st)
	if err != nil {
		return st, err
	}
	total := len(todo)
	if progress != nil {
		progress(0, total)
	}
	for i := 0; i < total; i += batch {
		end := min(i+batch, total)
		docs, failed := x.readDocs(ctx, todo[i:end])
		st.Failed += failed
		if err := ctx.Err(); err != nil {
			return st, err
		}
		if err := x.Index.Index(ctx, docs...); err != nil {
			return st, fmt.Errorf("indexer: index batch: %w", err)
		}
		st.Indexed += len(docs)
		if progress != nil {
			progress(end, total)
		}
	}
	if st.Failed > 0 {
		return st, errors.New("indexer: some records could not be read; they stay unindexed until the next catch-up")
	}
	return st, nil
}

// wanted lists the catalogued records want selects, counting all of them
// in st.Records.
func (x *Indexer) wanted(ctx context.Context, want func(id string) bool, st *Stats) ([]*archive.Record, error) {
	var todo []*archive.Record
	var after int64
	for {
		// Records as their verified manifests say; rows the archive
		// refuses are left out (and alerted by it), and the cursor moves
		// past them.
		recs, next, err := x.Store.RecordsSince(ctx, after, 1000)
		if err != nil {
			return nil, fmt.Errorf("indexer: list records: %w", err)
		}
		if next == after {
			return todo, nil
		}
		for _, r := range recs {
			st.Records++
			if want(r.ID) {
				todo = append(todo, r)
			}
		}
		after = next
	}
}

// readDocs reads the texts of recs with Workers goroutines and returns the
// search documents of those it could read, in order, and how many it
// could not (logged).
func (x *Indexer) readDocs(ctx context.Context, recs []*archive.Record) ([]search.Doc, int) {
	workers := x.Workers
	if workers <= 0 {
		workers = 4
	}
	docs := make([]search.Doc, len(recs))
	failed := make([]bool, len(recs))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				text, err := x.Store.RecordText(ctx, recs[j].ID)
				if err != nil {
					failed[j] = true
					if x.Log != nil {
						x.Log.Error("indexer: read record text", "record", recs[j].ID, "err", err)
					}
					continue
				}
				docs[j] = Doc(recs[j], text)
			}
		}()
	}
	for j := range docs {
		next <- j
	}
	close(next)
	wg.Wait()
	ok, nFailed := docs[:0], 0
	for j, d := range docs {
		if failed[j] {
			nFailed++
			continue
		}
		ok = append(ok, d)
	}
	return ok, nFailed
}
