package search

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"
)

// Options tune an Index. The zero value is fine.
type Options struct {
	// FacetSize is the number of values returned per facet (default 20).
	FacetSize int
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

	mode   analysisMode // benchmarks only: the cjk-only baseline
	baseOp string       // baseline bare-term operator: "or" (Bleve's default) or "and"
}

func (o *Options) defaults() {
	if o.FacetSize <= 0 {
		o.FacetSize = 20
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
	if o.IndexWorkers <= 0 {
		o.IndexWorkers = max(2, runtime.GOMAXPROCS(0))
	}
}

// Index is a Bleve index of filed records. It is safe for concurrent use.
type Index struct {
	dir  string
	opts Options
	idx  bleve.Index
	m    mapping.IndexMapping
	seg  *segmenter

	mu     sync.RWMutex
	closed bool
}

// Internal keys stored in the index beside the documents.
var (
	keyDictHash = []byte("wenshu:dict_sha256")
	keySchema   = []byte("wenshu:schema")
)

// Open creates or opens the index under dir: the jieba dictionaries are
// written to <dir>/dict/ (when missing or different from the ones built into
// the binary) and loaded from there, and the scorch index lives in
// <dir>/index/.
func Open(dir string, opts Options) (*Index, error) {
	if dir == "" {
		return nil, errors.New("search: empty index dir")
	}
	opts.defaults()
	paths, hash, err := writeDictionaries(filepath.Join(dir, "dict"))
	if err != nil {
		return nil, err
	}
	s, err := loadSegmenter(paths, hash)
	if err != nil {
		return nil, err
	}
	ix := &Index{dir: dir, opts: opts, seg: s}
	path := filepath.Join(dir, "index")
	if _, err := os.Stat(filepath.Join(path, "index_meta.json")); err == nil {
		ix.idx, err = bleve.Open(path)
		if err != nil {
			return nil, fmt.Errorf("search: open index: %w", err)
		}
		// An index keeps the mapping it was created with, so documents
		// indexed again into an index of another schema would still lack
		// this schema's fields. Start it afresh, marked as needing a
		// reindex: the catalogue is the source of truth.
		schema, err := ix.idx.GetInternal(keySchema)
		if err != nil {
			ix.idx.Close()
			return nil, fmt.Errorf("search: read schema: %w", err)
		}
		if string(schema) != schemaVersion {
			ix.idx.Close()
			if err := os.RemoveAll(path); err != nil {
				return nil, fmt.Errorf("search: remove index of schema %q: %w", schema, err)
			}
			if err := ix.create(path, opts); err != nil {
				return nil, err
			}
			if err := ix.idx.SetInternal(keySchema, schema); err != nil {
				ix.idx.Close()
				return nil, fmt.Errorf("search: store schema: %w", err)
			}
		}
	} else if err := ix.create(path, opts); err != nil {
		return nil, err
	}
	ix.m = ix.idx.Mapping()
	return ix, nil
}

// create makes a new, empty index at path, stamped as up to date.
func (ix *Index) create(path string, opts Options) (err error) {
	ix.idx, err = bleve.NewUsing(path, newMapping(opts.mode), scorch.Name, scorch.Name, nil)
	if err != nil {
		return fmt.Errorf("search: create index: %w", err)
	}
	if err := ix.markReindexed(); err != nil {
		ix.idx.Close()
		return err
	}
	return nil
}

// Close releases the index. The jieba instance stays loaded for the process.
func (ix *Index) Close() error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.closed {
		return nil
	}
	ix.closed = true
	if err := ix.idx.Close(); err != nil {
		return fmt.Errorf("search: close: %w", err)
	}
	return nil
}

func (ix *Index) rlock() error {
	ix.mu.RLock()
	if ix.closed {
		ix.mu.RUnlock()
		return ErrClosed
	}
	return nil
}

// Index adds or replaces documents, in batches. Every document is checked
// before anything is written; a bad one fails the whole call (ErrBadDoc).
// When an id occurs more than once, the last one wins.
//
// Batches are written by up to Options.IndexWorkers goroutines at once:
// Bleve analyses a batch's documents in parallel but builds and persists
// its segment on the calling goroutine, so with one writer a core idles
// while a segment is built and synced. A call of more than one batch is
// therefore split into at least two, and a failed batch stops the others
// (the batches already written stay written, as before).
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
	docs = lastByID(docs)
	size := ix.opts.BatchSize
	workers := min(ix.opts.IndexWorkers, len(docs)/minSplitBatch)
	if workers > 1 && len(docs) < workers*size {
		size = (len(docs) + workers - 1) / workers
	}
	workers = max(1, min(workers, (len(docs)+size-1)/size))
	if workers == 1 {
		for start := 0; start < len(docs); start += size {
			if err := ix.batch(ctx, docs[start:min(start+size, len(docs))]); err != nil {
				return err
			}
		}
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	parts := make(chan []Doc)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for part := range parts {
				if err := ix.batch(ctx, part); err != nil {
					errs <- err
					cancel()
					return
				}
			}
		}()
	}
feed:
	for start := 0; start < len(docs); start += size {
		select {
		case parts <- docs[start:min(start+size, len(docs))]:
		case <-ctx.Done():
			break feed
		}
	}
	close(parts)
	wg.Wait()
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

// batch writes one Bleve batch.
func (ix *Index) batch(ctx context.Context, docs []Doc) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("search: index: %w", err)
	}
	b := ix.idx.NewBatch()
	for i := range docs {
		if err := b.Index(docs[i].ID, docs[i].fields()); err != nil {
			return fmt.Errorf("search: index %s: %w", docs[i].ID, err)
		}
	}
	if err := ix.idx.Batch(b); err != nil {
		return fmt.Errorf("search: index batch: %w", err)
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
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("search: delete: %w", err)
	}
	b := ix.idx.NewBatch()
	for _, id := range ids {
		b.Delete(id)
	}
	if err := ix.idx.Batch(b); err != nil {
		return fmt.Errorf("search: delete: %w", err)
	}
	return nil
}

// Has reports whether a document with this id is indexed.
func (ix *Index) Has(id string) (bool, error) {
	if err := ix.rlock(); err != nil {
		return false, err
	}
	defer ix.mu.RUnlock()
	req := bleve.NewSearchRequestOptions(bleve.NewDocIDQuery([]string{id}), 0, 0, false)
	res, err := ix.idx.Search(req)
	if err != nil {
		return false, fmt.Errorf("search: has: %w", err)
	}
	return res.Total > 0, nil
}

// Count returns the number of indexed documents.
func (ix *Index) Count() (uint64, error) {
	if err := ix.rlock(); err != nil {
		return 0, err
	}
	defer ix.mu.RUnlock()
	n, err := ix.idx.DocCount()
	if err != nil {
		return 0, fmt.Errorf("search: count: %w", err)
	}
	return n, nil
}

// ForEachID calls fn with the id of every indexed document, in no
// particular order, until fn returns an error (which ForEachID returns).
// The archive uses it to find records catalogued but not indexed.
func (ix *Index) ForEachID(ctx context.Context, fn func(id string) error) error {
	if err := ix.rlock(); err != nil {
		return err
	}
	defer ix.mu.RUnlock()
	adv, err := ix.idx.Advanced()
	if err != nil {
		return fmt.Errorf("search: ids: %w", err)
	}
	r, err := adv.Reader()
	if err != nil {
		return fmt.Errorf("search: ids: %w", err)
	}
	defer r.Close()
	dr, err := r.DocIDReaderAll()
	if err != nil {
		return fmt.Errorf("search: ids: %w", err)
	}
	defer dr.Close()
	for n := 0; ; n++ {
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("search: ids: %w", err)
			}
		}
		var iid index.IndexInternalID
		iid, err = dr.Next()
		if err != nil {
			return fmt.Errorf("search: ids: %w", err)
		}
		if iid == nil {
			return nil
		}
		id, err := r.ExternalID(iid)
		if err != nil {
			return fmt.Errorf("search: ids: %w", err)
		}
		if err := fn(id); err != nil {
			return err
		}
	}
}

// currentStamp is what a freshly built index records: the dictionary hash
// (which includes the analyzer version) and the mapping version.
func (ix *Index) currentStamp() (hash, schema string) {
	return ix.seg.hash, schemaVersion
}

// NeedsReindex reports whether the index was built with other dictionaries,
// another analyzer version or another mapping than this binary's. Searching
// still works, but terms added to the dictionary are segmented differently
// at query time than in the stored documents: reindex every record, then
// call MarkReindexed.
func (ix *Index) NeedsReindex() (bool, error) {
	if err := ix.rlock(); err != nil {
		return false, err
	}
	defer ix.mu.RUnlock()
	hash, schema := ix.currentStamp()
	have, err := ix.idx.GetInternal(keyDictHash)
	if err != nil {
		return false, fmt.Errorf("search: read dictionary hash: %w", err)
	}
	haveSchema, err := ix.idx.GetInternal(keySchema)
	if err != nil {
		return false, fmt.Errorf("search: read schema: %w", err)
	}
	return string(have) != hash || string(haveSchema) != schema, nil
}

// MarkReindexed records that every document has been indexed with the
// current dictionaries and mapping.
func (ix *Index) MarkReindexed() error {
	if err := ix.rlock(); err != nil {
		return err
	}
	defer ix.mu.RUnlock()
	return ix.markReindexed()
}

func (ix *Index) markReindexed() error {
	hash, schema := ix.currentStamp()
	if err := ix.idx.SetInternal(keyDictHash, []byte(hash)); err != nil {
		return fmt.Errorf("search: store dictionary hash: %w", err)
	}
	if err := ix.idx.SetInternal(keySchema, []byte(schema)); err != nil {
		return fmt.Errorf("search: store schema: %w", err)
	}
	return nil
}

// DictionaryHash is the SHA-256 (hex) of the dictionaries and analyzer
// version this process segments with.
func (ix *Index) DictionaryHash() string { return ix.seg.hash }
