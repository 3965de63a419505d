package search

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
)

// Options tune an Index. The zero value is fine.
type Options struct {
	// FacetSize is the number of values returned per facet (default 20).
	FacetSize int
	// FacetLimit is the most matches facets are counted over (default
	// 10000; negative: no limit). A search with more matches returns
	// empty facets and Result.FacetsCapped; its total stays exact.
	FacetLimit int
	// TotalLimit is the most matches a search in date order counts on a
	// shard (default 10000; negative: no limit). Beyond, Result.Total is
	// the matches counted and Result.TotalCapped is set; see window.go. A
	// search by relevance scores, and so counts, every match.
	TotalLimit int
	// FragmentRunes is the length of a body highlight fragment (default 100).
	FragmentRunes int
	// MaxFragments is the number of body fragments per hit (default 3).
	MaxFragments int
	// BatchSize is the number of documents per Bleve batch in Index
	// (default 500).
	BatchSize int
	// IndexWorkers is the number of batches Index writes at once (default
	// runtime.GOMAXPROCS(0), at least 2; 1 writes them one after another).
	IndexWorkers int
	// BulkBatchSize is the number of records per shard batch between
	// BeginBulk and EndBulk (default 2000).
	BulkBatchSize int
	// SynonymDir holds an admin's synonym groups (*.txt, the format of
	// dict/synonyms.txt), added to the shipped ones (default
	// <dir>/synonyms.d; missing is fine). See synonyms.go.
	SynonymDir string
	// Log receives the warnings of Open (file modes tightened); nil means
	// slog.Default().
	Log *slog.Logger

	mode analysisMode // benchmarks only: the cjk-only baseline
	// tests only: narrow to candidates making up at most 1/narrow of a
	// shard (0: narrowFraction; negative: never; prefilter.go)
	narrow int
	baseOp string // baseline bare-term operator: "or" (Bleve's default) or "and"
}

func (o *Options) defaults() {
	if o.FacetSize <= 0 {
		o.FacetSize = 20
	}
	if o.TotalLimit == 0 {
		o.TotalLimit = 10000
	}
	if o.FacetLimit == 0 {
		o.FacetLimit = 10000
	}
	if o.FragmentRunes <= 0 {
		o.FragmentRunes = 100
	}
	if o.MaxFragments <= 0 {
		o.MaxFragments = 3
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 500
	}
	if o.BulkBatchSize <= 0 {
		o.BulkBatchSize = 2000
	}
	if o.IndexWorkers <= 0 {
		o.IndexWorkers = max(2, runtime.GOMAXPROCS(0))
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
}

// Index is the index of filed records: one Bleve (scorch) index per unit
// (see shard.go). It is safe for concurrent use.
type Index struct {
	dir  string
	root string // <dir>/index
	opts Options
	m    mapping.IndexMapping
	seg  *segmenter

	mu     sync.RWMutex // held shared by every operation, exclusively by Close
	closed bool

	wmu  sync.Mutex // serialises Index, Delete, MarkReindexed, Begin/EndBulk
	bulk *bulkState // under wmu

	smu    sync.RWMutex
	shards map[string]*shard   // by unit
	units  map[string]string   // id → unit of the shard that holds it
	extra  map[string][]string // ids found in more than one shard at Open: the other units
	meta   indexMeta

	synonyms atomic.Pointer[synonymSet] // query-time expansion (synonyms.go)

	searched atomic.Int64 // shards searched so far (tests)
}

// Open creates or opens the index under dir: the jieba dictionaries are
// written to <dir>/dict/ (when missing or different from the ones built into
// the binary) and loaded from there, and the shards live in <dir>/index/.
// An index of another layout or schema (Bleve keeps the mapping an index
// was created with) is recreated empty and reports NeedsReindex until it
// has been indexed again and MarkReindexed called: the catalogue is the
// source of truth. Directories under dir are kept 0700 and files 0600
// (perms.go); wider ones are tightened, with a warning.
func Open(dir string, opts Options) (*Index, error) {
	if dir == "" {
		return nil, errors.New("search: empty index dir")
	}
	opts.defaults()
	if opts.SynonymDir == "" {
		opts.SynonymDir = filepath.Join(dir, "synonyms.d")
	}
	if err := secureIndexDir(dir, opts.SynonymDir, opts.Log); err != nil {
		return nil, err
	}
	syns, err := loadSynonyms(opts.SynonymDir)
	if err != nil {
		return nil, err
	}
	paths, hash, err := writeDictionaries(filepath.Join(dir, "dict"))
	if err != nil {
		return nil, err
	}
	s, err := loadSegmenter(paths, hash)
	if err != nil {
		return nil, err
	}
	ix := &Index{
		dir: dir, root: filepath.Join(dir, "index"), opts: opts, seg: s,
		m: newMapping(opts.mode), shards: map[string]*shard{}, units: map[string]string{}, extra: map[string][]string{},
	}
	ix.synonyms.Store(syns)
	if err := os.MkdirAll(ix.root, dirMode); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	entries, err := ix.readOrResetMeta(hash)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if !e.IsDir() || !(strings.HasPrefix(e.Name(), "u_") || strings.HasPrefix(e.Name(), "h_")) {
			continue
		}
		sh, err := openShard(filepath.Join(ix.root, e.Name()))
		if err != nil {
			ix.closeShards()
			return nil, err
		}
		ix.shards[sh.unit] = sh
		err = sh.forEachID(func(id string) error {
			if old, dup := ix.units[id]; dup {
				ix.extra[id] = append(ix.extra[id], old)
			}
			ix.units[id] = sh.unit
			return nil
		})
		if err != nil {
			ix.closeShards()
			return nil, fmt.Errorf("search: read ids of shard %s: %w", e.Name(), err)
		}
	}
	return ix, nil
}

// readOrResetMeta reads meta.json into ix.meta and returns the entries of
// the index directory; a new directory gets a meta.json, and one of
// another layout or schema is emptied (no entries returned).
func (ix *Index) readOrResetMeta(hash string) ([]os.DirEntry, error) {
	meta, ok, err := readMeta(ix.root)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(ix.root)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	switch {
	case !ok && len(entries) == 0: // new
		ix.meta = indexMeta{Schema: schemaVersion, DictHash: hash}
		return nil, writeMeta(ix.root, ix.meta)
	case !ok || meta.Schema != schemaVersion:
		// the single index of schema ≤ 2 (index_meta.json, store/) or
		// shards of another mapping: start afresh, needing a reindex
		for _, e := range entries {
			if err := os.RemoveAll(filepath.Join(ix.root, e.Name())); err != nil {
				return nil, fmt.Errorf("search: remove index of another schema: %w", err)
			}
		}
		ix.meta = indexMeta{Schema: schemaVersion}
		return nil, writeMeta(ix.root, ix.meta)
	}
	ix.meta = meta
	return entries, nil
}

func (ix *Index) closeShards() error {
	var first error
	for _, sh := range ix.shards {
		if err := sh.idx.Close(); err != nil && first == nil {
			first = fmt.Errorf("search: close: %w", err)
		}
	}
	return first
}

// Close releases the index; a bulk reindex under way is ended first (its
// records synced). The jieba instance stays loaded for the process.
func (ix *Index) Close() error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.closed {
		return nil
	}
	ix.closed = true
	ix.wmu.Lock()
	var err error
	if ix.bulk != nil {
		err = ix.endBulk()
	}
	ix.wmu.Unlock()
	if cerr := ix.closeShards(); err == nil {
		err = cerr
	}
	return err
}

func (ix *Index) rlock() error {
	ix.mu.RLock()
	if ix.closed {
		ix.mu.RUnlock()
		return ErrClosed
	}
	return nil
}

// docUnit is the unit a document is filed under, as the unit field holds it.
func docUnit(d *Doc) string { return strings.TrimSpace(cleanString(d.Unit)) }

// shardFor returns the shard of unit, creating it when create is set.
func (ix *Index) shardFor(unit string, create bool) (*shard, error) {
	ix.smu.RLock()
	sh := ix.shards[unit]
	ix.smu.RUnlock()
	if sh != nil || !create {
		return sh, nil
	}
	ix.smu.Lock()
	defer ix.smu.Unlock()
	if sh = ix.shards[unit]; sh != nil {
		return sh, nil
	}
	sh, err := createShard(ix.root, unit, ix.m)
	if err != nil {
		return nil, err
	}
	ix.shards[unit] = sh
	return sh, nil
}

// route records that docs now live in their units' shards and returns,
// by unit, the ids that must leave another shard first (a record whose
// unit changed).
func (ix *Index) route(docs []Doc) (moved map[string][]string) {
	moved = map[string][]string{}
	ix.smu.Lock()
	defer ix.smu.Unlock()
	for i := range docs {
		id, u := docs[i].ID, docUnit(&docs[i])
		if old, ok := ix.units[id]; ok && old != u {
			moved[old] = append(moved[old], id)
		}
		for _, old := range ix.extra[id] {
			if old != u {
				moved[old] = append(moved[old], id)
			}
		}
		delete(ix.extra, id)
		ix.units[id] = u
	}
	return moved
}

// Index adds or replaces documents, in batches, each in the shard of its
// unit. Every document is checked before anything is written; a bad one
// fails the whole call (ErrBadDoc). When an id occurs more than once, the
// last one wins. Outside bulk mode the documents are on disk when Index
// returns; in bulk mode see BeginBulk.
//
// A record whose unit changed is first removed from its old shard (on
// disk), then written to the new one: a crash in between leaves it missing
// from the index, which the catch-up at start repairs, never in two units.
//
// Batches are written by up to Options.IndexWorkers goroutines at once:
// Bleve analyses a batch's documents in parallel but builds and persists
// its segment on the calling goroutine. A call of more than one batch is
// split into at least two, and a failed batch stops the others (the
// batches already written stay written).
func (ix *Index) Index(ctx context.Context, docs ...Doc) error {
	for i := range docs {
		if err := docs[i].validate(); err != nil {
			return err
		}
	}
	if err := ix.rlock(); err != nil {
		return err
	}
	defer ix.mu.RUnlock()
	ix.wmu.Lock()
	defer ix.wmu.Unlock()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("search: index: %w", err)
	}
	docs = lastByID(docs)
	if ix.bulk != nil {
		return ix.bulk.add(ctx, ix, docs)
	}
	for unit, ids := range ix.route(docs) {
		if err := ix.deleteFrom(unit, ids); err != nil {
			return err
		}
	}
	byUnit := map[string][]Doc{}
	var order []string
	for i := range docs {
		u := docUnit(&docs[i])
		if _, ok := byUnit[u]; !ok {
			order = append(order, u)
		}
		byUnit[u] = append(byUnit[u], docs[i])
	}
	var tasks []writeTask
	for _, u := range order {
		sh, err := ix.shardFor(u, true)
		if err != nil {
			return err
		}
		part := byUnit[u]
		size := ix.opts.BatchSize
		workers := min(ix.opts.IndexWorkers, len(part)/minSplitBatch)
		if len(order) == 1 && workers > 1 && len(part) < workers*size {
			size = (len(part) + workers - 1) / workers
		}
		for start := 0; start < len(part); start += size {
			tasks = append(tasks, writeTask{sh: sh, docs: part[start:min(start+size, len(part))]})
		}
	}
	return ix.runTasks(ctx, tasks)
}

// writeTask is one batch for one shard.
type writeTask struct {
	sh   *shard
	docs []Doc
	dels []string
}

func (t writeTask) batch() (*bleve.Batch, error) {
	b := t.sh.idx.NewBatch()
	for _, id := range t.dels {
		b.Delete(id)
	}
	for i := range t.docs {
		if err := b.Index(t.docs[i].ID, t.docs[i].fields()); err != nil {
			return nil, fmt.Errorf("search: index %s: %w", t.docs[i].ID, err)
		}
	}
	return b, nil
}

// runTasks writes tasks with up to IndexWorkers goroutines and returns
// once they are all on disk. A worker does not wait for its batch to be
// synced before it writes the next one: each shard syncs on its own, so
// the batches of a call spread over many units are synced in parallel.
func (ix *Index) runTasks(ctx context.Context, tasks []writeTask) error {
	workers := max(1, min(ix.opts.IndexWorkers, len(tasks)))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan writeTask)
	errs := make(chan error, workers+len(tasks))
	var wg, persisted sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range next {
				b, err := t.batch()
				if err == nil {
					var once sync.Once
					done := func(err error) {
						once.Do(func() {
							if err != nil {
								errs <- fmt.Errorf("search: persist batch: %w", err)
							}
							persisted.Done()
						})
					}
					persisted.Add(1)
					if err = t.sh.writeBatch(b, done); err != nil {
						done(nil)
					}
				}
				if err != nil {
					errs <- err
					cancel()
					return
				}
			}
		}()
	}
feed:
	for _, t := range tasks {
		select {
		case next <- t:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	persisted.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("search: index: %w", err)
	}
	return nil
}

// minSplitBatch is the smallest batch Index makes when it splits a call
// among its writers: smaller segments cost more to merge than they save.
const minSplitBatch = 100

// deleteFrom removes ids from unit's shard, on disk when it returns.
func (ix *Index) deleteFrom(unit string, ids []string) error {
	sh, err := ix.shardFor(unit, false)
	if err != nil || sh == nil || len(ids) == 0 {
		return err
	}
	b := sh.idx.NewBatch()
	for _, id := range ids {
		b.Delete(id)
	}
	if err := sh.writeBatch(b, nil); err != nil {
		return fmt.Errorf("search: delete: %w", err)
	}
	return nil
}

// lastByID drops every document whose id occurs again later, so that
// batches written concurrently cannot reorder two versions of a record.
func lastByID(docs []Doc) []Doc {
	last := make(map[string]int, len(docs))
	for i := range docs {
		last[docs[i].ID] = i
	}
	if len(last) == len(docs) {
		return docs
	}
	out := make([]Doc, 0, len(last))
	for i := range docs {
		if last[docs[i].ID] == i {
			out = append(out, docs[i])
		}
	}
	return out
}

// Delete removes documents by id; unknown ids are ignored.
func (ix *Index) Delete(ctx context.Context, ids ...string) error {
	if err := ix.rlock(); err != nil {
		return err
	}
	defer ix.mu.RUnlock()
	ix.wmu.Lock()
	defer ix.wmu.Unlock()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("search: delete: %w", err)
	}
	byUnit := map[string][]string{}
	ix.smu.Lock()
	for _, id := range ids {
		if u, ok := ix.units[id]; ok {
			byUnit[u] = append(byUnit[u], id)
		}
		for _, u := range ix.extra[id] {
			byUnit[u] = append(byUnit[u], id)
		}
		delete(ix.units, id)
		delete(ix.extra, id)
	}
	ix.smu.Unlock()
	if ix.bulk != nil {
		return ix.bulk.remove(ctx, ix, byUnit)
	}
	for u, ids := range byUnit {
		if err := ix.deleteFrom(u, ids); err != nil {
			return err
		}
	}
	return nil
}

// Has reports whether a document with this id is indexed.
func (ix *Index) Has(id string) (bool, error) {
	if err := ix.rlock(); err != nil {
		return false, err
	}
	defer ix.mu.RUnlock()
	ix.smu.RLock()
	u, ok := ix.units[id]
	ix.smu.RUnlock()
	if !ok {
		return false, nil
	}
	sh, _ := ix.shardFor(u, false)
	if sh == nil {
		return false, nil
	}
	req := bleve.NewSearchRequestOptions(bleve.NewDocIDQuery([]string{id}), 0, 0, false)
	res, err := sh.idx.Search(req)
	if err != nil {
		return false, fmt.Errorf("search: has: %w", err)
	}
	return res.Total > 0, nil
}

// allShards returns every shard, in no particular order.
func (ix *Index) allShards() []*shard {
	ix.smu.RLock()
	defer ix.smu.RUnlock()
	out := make([]*shard, 0, len(ix.shards))
	for _, sh := range ix.shards {
		out = append(out, sh)
	}
	return out
}

// Count returns the number of indexed documents.
func (ix *Index) Count() (uint64, error) {
	if err := ix.rlock(); err != nil {
		return 0, err
	}
	defer ix.mu.RUnlock()
	var total uint64
	for _, sh := range ix.allShards() {
		n, err := sh.idx.DocCount()
		if err != nil {
			return 0, fmt.Errorf("search: count: %w", err)
		}
		total += n
	}
	return total, nil
}

// ForEachID calls fn with the id of every indexed document, in no
// particular order, until fn returns an error (which ForEachID returns).
// The archive uses it to find records catalogued but not indexed.
func (ix *Index) ForEachID(ctx context.Context, fn func(id string) error) error {
	if err := ix.rlock(); err != nil {
		return err
	}
	defer ix.mu.RUnlock()
	errStop := errors.New("stop")
	var fnErr error
	for _, sh := range ix.allShards() {
		n := 0
		err := sh.forEachID(func(id string) error {
			if n++; n%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if err := fn(id); err != nil {
				fnErr = err
				return errStop
			}
			return nil
		})
		if fnErr != nil {
			return fnErr
		}
		if err != nil {
			return fmt.Errorf("search: ids: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("search: ids: %w", err)
	}
	return nil
}

// NeedsReindex reports whether the index was built with other dictionaries,
// another analyzer version or another mapping than this binary's, or a
// bulk reindex did not end (EndBulk). Searching still works, but terms
// added to the dictionary are segmented differently at query time than in
// the stored documents: reindex every record, then call MarkReindexed.
func (ix *Index) NeedsReindex() (bool, error) {
	if err := ix.rlock(); err != nil {
		return false, err
	}
	defer ix.mu.RUnlock()
	ix.smu.RLock()
	m := ix.meta
	ix.smu.RUnlock()
	return m.Schema != schemaVersion || m.DictHash != ix.seg.hash || m.Bulk, nil
}

// MarkReindexed records that every document has been indexed with the
// current dictionaries and mapping. During a bulk reindex it fails with
// ErrBulk: call EndBulk first.
func (ix *Index) MarkReindexed() error {
	if err := ix.rlock(); err != nil {
		return err
	}
	defer ix.mu.RUnlock()
	ix.wmu.Lock()
	defer ix.wmu.Unlock()
	if ix.bulk != nil {
		return ErrBulk
	}
	return ix.setMeta(indexMeta{Schema: schemaVersion, DictHash: ix.seg.hash})
}

// setMeta writes meta.json, then keeps m. Under wmu.
func (ix *Index) setMeta(m indexMeta) error {
	if err := writeMeta(ix.root, m); err != nil {
		return err
	}
	ix.smu.Lock()
	ix.meta = m
	ix.smu.Unlock()
	return nil
}

// DictionaryHash is the SHA-256 (hex) of the dictionaries and analyzer
// version this process segments with.
func (ix *Index) DictionaryHash() string { return ix.seg.hash }
