package search

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
	} else {
		ix.idx, err = bleve.NewUsing(path, newMapping(opts.mode), scorch.Name, scorch.Name, nil)
		if err != nil {
			return nil, fmt.Errorf("search: create index: %w", err)
		}
		if err := ix.markReindexed(); err != nil {
			ix.idx.Close()
			return nil, err
		}
	}
	ix.m = ix.idx.Mapping()
	return ix, nil
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
	for start := 0; start < len(docs); start += ix.opts.BatchSize {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("search: index: %w", err)
		}
		end := min(start+ix.opts.BatchSize, len(docs))
		b := ix.idx.NewBatch()
		for i := start; i < end; i++ {
			if err := b.Index(docs[i].ID, docs[i].fields()); err != nil {
				return fmt.Errorf("search: index %s: %w", docs[i].ID, err)
			}
		}
		if err := ix.idx.Batch(b); err != nil {
			return fmt.Errorf("search: index batch: %w", err)
		}
	}
	return nil
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
