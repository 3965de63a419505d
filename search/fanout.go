package search

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/blevesearch/bleve/v2"
	bsearch "github.com/blevesearch/bleve/v2/search"
)

// A search over several shards is run here rather than through a
// bleve.IndexAlias, for three reasons the all-units archivist pays for:
//
//   - each shard gets its own query: its one unit term instead of a
//     disjunction of every unit of the viewer (40 term lookups per shard
//     for an archivist of 40 units, of which 39 find nothing), and no
//     classification clause when the viewer may see every level;
//   - a shard returns only ids, scores and sort keys; the stored fields are
//     read for the final page only (the alias reads them for the top page
//     of every shard: 800 records for 20 hits over 40 shards);
//   - at most GOMAXPROCS shards are searched at once, largest first, so a
//     search holds the memory of that many collectors, not of every shard.

// shardHit is one match and the shard it came from.
type shardHit struct {
	dm *bsearch.DocumentMatch
	sh *shard
}

// fanOut runs the request build makes for each shard and returns the
// results in the order of shards. Any shard's failure, or the context's
// end, fails the search.
func fanOut(ctx context.Context, shards []*shard, build func(*shard) *bleve.SearchRequest) ([]*bleve.SearchResult, error) {
	results := make([]*bleve.SearchResult, len(shards))
	errs := make([]error, len(shards))
	run := func(i int) { results[i], errs[i] = shards[i].idx.SearchInContext(ctx, build(shards[i])) }
	if len(shards) == 1 {
		run(0)
	} else {
		order := bySize(shards)
		var next atomic.Int64
		var wg sync.WaitGroup
		for w := min(len(shards), runtime.GOMAXPROCS(0)); w > 0; w-- {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := next.Add(1) - 1; n < int64(len(order)) && ctx.Err() == nil; n = next.Add(1) - 1 {
					run(order[n])
				}
			}()
		}
		wg.Wait()
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
	}
	return results, nil
}

// bySize is the indexes of shards, the one with the most records first
// (the longest searches start first, so the others fill in beside them).
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

// mergePage merges the shards' hits by order and returns the page
// [from, from+size) and the total of every shard's matches.
func mergePage(results []*bleve.SearchResult, shards []*shard, order bsearch.SortOrder, from, size int) ([]shardHit, uint64) {
	var all []shardHit
	var total uint64
	for i, res := range results {
		total += res.Total
		for _, dm := range res.Hits {
			all = append(all, shardHit{dm, shards[i]})
		}
	}
	scoring, desc := order.CacheIsScore(), order.CacheDescending()
	sort.Slice(all, func(a, b int) bool { return order.Compare(scoring, desc, all[a].dm, all[b].dm) < 0 })
	if from >= len(all) {
		return nil, total
	}
	return all[from:min(from+size, len(all))], total
}

// loadFields reads the stored fields of the page's hits, one reader per
// shard. A hit whose record left the shard since it matched is dropped.
func loadFields(page []shardHit, fields []string) ([]*bsearch.DocumentMatch, error) {
	req := &bleve.SearchRequest{Fields: fields}
	byShard := map[*shard][]int{}
	for i, h := range page {
		byShard[h.sh] = append(byShard[h.sh], i)
	}
	for sh, idxs := range byShard {
		adv, err := sh.idx.Advanced()
		if err != nil {
			return nil, fmt.Errorf("search: load fields: %w", err)
		}
		r, err := adv.Reader()
		if err != nil {
			return nil, fmt.Errorf("search: load fields: %w", err)
		}
		for _, i := range idxs {
			if err, _ := bleve.LoadAndHighlightFields(page[i].dm, req, "", r, nil); err != nil {
				r.Close()
				return nil, fmt.Errorf("search: load fields: %w", err)
			}
		}
		if err := r.Close(); err != nil {
			return nil, fmt.Errorf("search: load fields: %w", err)
		}
	}
	out := make([]*bsearch.DocumentMatch, 0, len(page))
	for _, h := range page {
		if h.dm.Fields != nil {
			out = append(out, h.dm)
		}
	}
	return out, nil
}

// searchShards runs one request on every shard and merges the results as
// an alias would (hits by sr's sort, totals, facets); for tests and tools
// that need no per-shard query.
func searchShards(ctx context.Context, shards []*shard, sr *bleve.SearchRequest) (*bleve.SearchResult, error) {
	results, err := fanOut(ctx, shards, func(*shard) *bleve.SearchRequest {
		c := *sr
		c.Sort = sr.Sort.Copy()
		c.From, c.Size = 0, sr.From+sr.Size
		return &c
	})
	if err != nil {
		return nil, err
	}
	page, total := mergePage(results, shards, sr.Sort, sr.From, sr.Size)
	out := &bleve.SearchResult{Total: total, Request: sr}
	for _, h := range page {
		out.Hits = append(out.Hits, h.dm)
	}
	for _, res := range results {
		if out.Facets == nil {
			out.Facets = res.Facets
		} else {
			out.Facets.Merge(res.Facets)
		}
	}
	return out, nil
}
