package search

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
)

// A search is run on each shard here rather than through Bleve's
// SearchInContext and a bleve.IndexAlias, for what the archivist granted
// every unit pays:
//
//   - each shard gets its own query: its one unit term instead of a
//     disjunction of every unit of the viewer (40 term lookups per shard
//     for an archivist of 40 units, of which 39 find nothing), and no
//     classification clause when the viewer may see every level;
//   - a shard returns only ids, scores and sort keys; the stored fields are
//     read for the final page only (the alias reads them for the top page
//     of every shard: 800 records for 20 hits over 40 shards);
//   - the matches' internal ids are noted while the search runs, as long as
//     there are at most FacetLimit of them, and the facets are counted from
//     them afterwards on the same snapshot: no second pass of the query;
//   - at most GOMAXPROCS shards are searched at once, largest first, so a
//     search holds the memory of that many collectors, not of every shard.

// shardRun is one shard's part of a search, on one snapshot of the shard
// (r, open until close).
type shardRun struct {
	sh    *shard
	r     index.IndexReader
	hits  []*bsearch.DocumentMatch
	total uint64
	// capped is set when the shard has more matches than total, which is
	// then the total limit (window.go)
	capped bool
	seen   []index.IndexInternalID // the matches, for the facets (matchLog)
}

// shardHit is one match and the run it came from.
type shardHit struct {
	dm  *bsearch.DocumentMatch
	run *shardRun
}

// closeRuns closes the snapshots of runs.
func closeRuns(runs []*shardRun) {
	for _, run := range runs {
		if run != nil && run.r != nil {
			run.r.Close()
		}
	}
}

// fanOut calls fn for every shard, at most GOMAXPROCS at a time, the shard
// with the most records first (the longest searches start first, so the
// others fill in beside them). Any call's failure, or the context's end,
// fails the whole.
func fanOut(ctx context.Context, shards []*shard, fn func(i int) error) error {
	errs := make([]error, len(shards))
	if len(shards) == 1 {
		errs[0] = fn(0)
	} else {
		order := bySize(shards)
		var next atomic.Int64
		var wg sync.WaitGroup
		for w := min(len(shards), runtime.GOMAXPROCS(0)); w > 0; w-- {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := next.Add(1) - 1; n < int64(len(order)) && ctx.Err() == nil; n = next.Add(1) - 1 {
					errs[order[n]] = fn(order[n])
				}
			}()
		}
		wg.Wait()
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("search: %w", err)
	}
	for _, err := range errs {
		if err != nil {
			return fmt.Errorf("search: %w", err)
		}
	}
	return nil
}

// bySize is the indexes of shards, the one with the most records first.
func bySize(shards []*shard) []int {
	order := make([]int, len(shards))
	size := make([]uint64, len(shards))
	for i, sh := range shards {
		order[i] = i
		size[i], _ = sh.idx.DocCount()
	}
	sort.SliceStable(order, func(a, b int) bool { return size[order[a]] > size[order[b]] })
	return order
}

// runShards runs q on every shard: each shard's best n matches by by
// (scored unless by is a date order), with the total, and the matches
// noted in log when log is not nil. The caller closes the runs, also on
// error.
func runShards(ctx context.Context, shards []*shard, q shardQuery, n int, by hitOrder, log *matchLog, totalLimit int) ([]*shardRun, error) {
	runs := make([]*shardRun, len(shards))
	opts := bsearch.SearcherOptions{}
	if !by.scored {
		opts = unscored
	}
	err := fanOut(ctx, shards, func(i int) error {
		run := &shardRun{sh: shards[i]}
		runs[i] = run
		adv, err := run.sh.idx.Advanced()
		if err != nil {
			return err
		}
		if run.r, err = adv.Reader(); err != nil {
			return err
		}
		docs, err := run.r.DocCount()
		if err != nil {
			return err
		}
		top, m := q.on(run.sh), run.sh.idx.Mapping()
		if !by.scored && totalLimit > 0 && docs > uint64(totalLimit) {
			return run.dateOrdered(ctx, top, m, n, by, log, int64(totalLimit))
		}
		if by.scored && q.narrow > 0 {
			if done, err := run.narrowed(ctx, top, m, n, by, log, docs, q.narrow); done || err != nil {
				return err
			}
		}
		return run.collect(ctx, top, m, opts, n, by, log)
	})
	return runs, err
}

// unscored are the options of a searcher whose matches need no score.
var unscored = bsearch.SearcherOptions{Score: bleve.ScoreNone}

// errStop ends a walk early, without an error.
var errStop = errors.New("stop")

// walk calls fn with every match of q on r, in the order of internal ids,
// from a pool with room for fn to keep that many matches (each with
// sortLen places of Sort), looking at ctx every 1 024 matches. fn owns the
// match: it puts it back in the pool or keeps it. errStop from fn ends the
// walk early with no error.
func walk(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, q query.Query, opts bsearch.SearcherOptions, room, sortLen int, fn func(*bsearch.DocumentMatch, *bsearch.DocumentMatchPool) error) error {
	s, err := q.Searcher(ctx, r, m, opts)
	if err != nil {
		return err
	}
	err = walkSearcher(ctx, r, s, room, sortLen, fn)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	return err
}

// walkSearcher is walk on a searcher already built; the caller closes it.
func walkSearcher(ctx context.Context, r index.IndexReader, s bsearch.Searcher, room, sortLen int, fn func(*bsearch.DocumentMatch, *bsearch.DocumentMatchPool) error) error {
	// the pool's matches share one backing array of Sort slices, sortLen
	// places each: fn must never append more than that to a match's Sort
	pool := bsearch.NewDocumentMatchPool(room+1+s.DocumentMatchPoolSize(), sortLen)
	sctx := &bsearch.SearchContext{DocumentMatchPool: pool, IndexReader: r}
	for n := 0; ; n++ {
		if n%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		dm, err := s.Next(sctx)
		if err != nil || dm == nil {
			return err
		}
		if err := fn(dm, pool); err != nil {
			if errors.Is(err, errStop) {
				return nil
			}
			return err
		}
	}
}

// hitOrder is the order of a search's hits: by score (highest first) then
// by the key, or by the key alone (ascending). The key is a doc-values
// field with one unique value per record (filed_key or filed_key_desc).
type hitOrder struct {
	scored bool
	key    string
}

// missingKey sorts a record without a key after every other.
const missingKey = "\xff\xff"

// collect walks the matches of q and keeps the best n in run.hits, in no
// particular order, each with Sort set for mergePage (the key, after an
// empty place for the score when scored), counting them into run.total.
// Unlike Bleve's collector it reads a match's key only when the match
// could enter the best n: in a scored search a match scoring below the
// nth best costs no doc-values read. Matches are noted in log (for the
// facets) while it has room.
func (run *shardRun) collect(ctx context.Context, q query.Query, m mapping.IndexMapping, opts bsearch.SearcherOptions, n int, by hitOrder, log *matchLog) error {
	dvr, err := run.r.DocValueReader([]string{by.key})
	if err != nil {
		return err
	}
	h := &matchHeap{by: by}
	var key []byte
	visit := func(_ string, term []byte) { key = append(key[:0], term...) }
	err = walk(ctx, run.r, m, q, opts, n, h.sortLen(), func(dm *bsearch.DocumentMatch, pool *bsearch.DocumentMatchPool) error {
		run.total++
		log.note(run, dm)
		full := len(h.hits) >= n
		if n == 0 || full && by.scored && dm.Score < h.hits[0].Score {
			pool.Put(dm)
			return nil
		}
		key = append(key[:0], missingKey...)
		if err := dvr.VisitDocValues(dm.IndexInternalID, visit); err != nil {
			return err
		}
		if full && !h.better(dm, key, h.hits[0]) {
			pool.Put(dm)
			return nil
		}
		if by.scored {
			dm.Sort = append(dm.Sort[:0], "", string(key))
		} else {
			dm.Sort = append(dm.Sort[:0], string(key))
		}
		if full {
			pool.Put(h.replaceWorst(dm))
		} else {
			h.push(dm)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return h.finish(run)
}

// matchHeap holds the best matches with the worst at the root.
type matchHeap struct {
	by   hitOrder
	hits []*bsearch.DocumentMatch
}

func (h *matchHeap) sortLen() int {
	if h.by.scored {
		return 2
	}
	return 1
}

func (h *matchHeap) keyOf(dm *bsearch.DocumentMatch) string { return dm.Sort[len(dm.Sort)-1] }

// better reports whether a match with score dm.Score and key ranks before b.
func (h *matchHeap) better(dm *bsearch.DocumentMatch, key []byte, b *bsearch.DocumentMatch) bool {
	if h.by.scored && dm.Score != b.Score {
		return dm.Score > b.Score
	}
	return string(key) < h.keyOf(b)
}

// worse reports whether hits[i] ranks after hits[j].
func (h *matchHeap) worse(i, j int) bool {
	a, b := h.hits[i], h.hits[j]
	if h.by.scored && a.Score != b.Score {
		return a.Score < b.Score
	}
	return h.keyOf(a) > h.keyOf(b)
}

func (h *matchHeap) push(dm *bsearch.DocumentMatch) {
	h.hits = append(h.hits, dm)
	for i := len(h.hits) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.worse(i, p) {
			break
		}
		h.hits[i], h.hits[p] = h.hits[p], h.hits[i]
		i = p
	}
}

// replaceWorst puts dm in place of the worst match and returns that one.
func (h *matchHeap) replaceWorst(dm *bsearch.DocumentMatch) *bsearch.DocumentMatch {
	old := h.hits[0]
	h.hits[0] = dm
	for i := 0; ; {
		w, l, r := i, 2*i+1, 2*i+2
		if l < len(h.hits) && h.worse(l, w) {
			w = l
		}
		if r < len(h.hits) && h.worse(r, w) {
			w = r
		}
		if w == i {
			return old
		}
		h.hits[i], h.hits[w] = h.hits[w], h.hits[i]
		i = w
	}
}

// finish gives the kept matches their record ids and hands them to run.
func (h *matchHeap) finish(run *shardRun) error {
	for _, dm := range h.hits {
		id, err := run.r.ExternalID(dm.IndexInternalID)
		if err != nil {
			return err
		}
		dm.ID = id
	}
	run.hits = h.hits
	return nil
}

// matchLog notes the internal ids of a search's matches, over all its
// shards, until there are more than limit of them (then full is set). A
// nil log notes nothing.
type matchLog struct {
	limit int64
	n     atomic.Int64
	full  atomic.Bool
}

func (l *matchLog) note(run *shardRun, dm *bsearch.DocumentMatch) {
	if l == nil || l.full.Load() {
		return
	}
	if l.n.Add(1) > l.limit {
		l.full.Store(true)
		return
	}
	// the match's id is the pool's, reused once the match is let go
	run.seen = append(run.seen, append(index.IndexInternalID(nil), dm.IndexInternalID...))
}

// countFacets counts the values of the facets field over the matches the
// runs noted.
func countFacets(runs []*shardRun) (map[string]int, error) {
	counts := map[string]int{}
	for _, run := range runs {
		if len(run.seen) == 0 {
			continue
		}
		dvr, err := run.r.DocValueReader([]string{fFacets})
		if err != nil {
			return nil, fmt.Errorf("search: facets: %w", err)
		}
		for _, id := range run.seen {
			if err := dvr.VisitDocValues(id, func(_ string, term []byte) {
				if _, ok := counts[string(term)]; ok || len(counts) < maxFacetTerms {
					counts[string(term)]++
				}
			}); err != nil {
				return nil, fmt.Errorf("search: facets: %w", err)
			}
		}
	}
	return counts, nil
}

// mergePage merges the runs' hits by order and returns the page
// [from, from+size), the total of every run's matches, and whether a run
// stopped counting (the total is then a lower bound).
func mergePage(runs []*shardRun, order bsearch.SortOrder, from, size int) ([]shardHit, uint64, bool) {
	var all []shardHit
	var total uint64
	capped := false
	for _, run := range runs {
		total += run.total
		capped = capped || run.capped
		for _, dm := range run.hits {
			all = append(all, shardHit{dm, run})
		}
	}
	scoring, desc := order.CacheIsScore(), order.CacheDescending()
	sort.Slice(all, func(a, b int) bool { return order.Compare(scoring, desc, all[a].dm, all[b].dm) < 0 })
	if from >= len(all) {
		return nil, total, capped
	}
	return all[from:min(from+size, len(all))], total, capped
}

// loadFields reads the stored fields of the page's hits from their runs'
// snapshots.
func loadFields(page []shardHit, fields []string) ([]*bsearch.DocumentMatch, error) {
	req := &bleve.SearchRequest{Fields: fields}
	out := make([]*bsearch.DocumentMatch, 0, len(page))
	for _, h := range page {
		if err, _ := bleve.LoadAndHighlightFields(h.dm, req, "", h.run.r, nil); err != nil {
			return nil, fmt.Errorf("search: load fields: %w", err)
		}
		if h.dm.Fields != nil { // nil only if the snapshot lost the record
			out = append(out, h.dm)
		}
	}
	return out, nil
}
