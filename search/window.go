package search

import (
	"context"
	"strconv"
	"time"

	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
)

// A search in date order (list all, -filed_at, filed_at, a person's or a
// case's records) on a shard of more than Options.TotalLimit records does
// not read the sort key of every match, as a search by relevance must
// score every match:
//
//  1. it counts the matches, stopping after TotalLimit (the total is then
//     "at least TotalLimit", Result.TotalCapped), noting them for the
//     facets on the way;
//  2. it looks for the page in a window of filing dates next to the
//     shard's newest (or oldest) record, 30 days, then a year, then four
//     years wide, and takes the first window that holds the shard's share
//     of the page: every record outside it sorts after every record in
//     it, so the page is exact;
//  3. failing that, it reads the key of every match, as for a small shard.
//
// A shard with fewer matches than TotalLimit goes straight to 3 after the
// count: its total is exact.

// windowSpans are the widths of the date windows tried, narrowest first.
var windowSpans = []time.Duration{30 * 24 * time.Hour, 366 * 24 * time.Hour, 4 * 366 * 24 * time.Hour}

// dateOrdered runs top on run's shard in a date order (see above); limit
// is the total limit (> 0).
func (run *shardRun) dateOrdered(ctx context.Context, top query.Query, m mapping.IndexMapping, n int, by hitOrder, log *matchLog, limit int64) error {
	unscored := bsearch.SearcherOptions{Score: "none"}
	s, err := top.Searcher(ctx, run.r, m, unscored)
	if err != nil {
		return err
	}
	err = run.count(ctx, s, limit, log)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if run.capped {
		if edge, ok := run.edgeTime(by.key); ok {
			for _, span := range windowSpans {
				hits, err := run.collectOnly(ctx, query.NewConjunctionQuery([]query.Query{top, filterQuery{window(by, edge, span)}}), m, n, by)
				if err != nil {
					return err
				}
				if len(hits) >= n {
					run.hits = hits
					return nil
				}
			}
		}
	}
	hits, err := run.collectOnly(ctx, top, m, n, by)
	run.hits = hits
	return err
}

// count counts the matches of s into run.total, stopping (run.capped)
// once there are more than limit, and notes them in log.
func (run *shardRun) count(ctx context.Context, s bsearch.Searcher, limit int64, log *matchLog) error {
	pool := bsearch.NewDocumentMatchPool(1+s.DocumentMatchPoolSize(), 0)
	sctx := &bsearch.SearchContext{DocumentMatchPool: pool, IndexReader: run.r}
	for {
		if run.total%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		dm, err := s.Next(sctx)
		if err != nil || dm == nil {
			return err
		}
		if int64(run.total) == limit {
			run.capped = true
			return nil
		}
		run.total++
		log.note(run, dm)
		pool.Put(dm)
	}
}

// collectOnly returns the best n matches of q by by, without counting them
// into run or noting them.
func (run *shardRun) collectOnly(ctx context.Context, q query.Query, m mapping.IndexMapping, n int, by hitOrder) ([]*bsearch.DocumentMatch, error) {
	s, err := q.Searcher(ctx, run.r, m, bsearch.SearcherOptions{Score: "none"})
	if err != nil {
		return nil, err
	}
	tmp := &shardRun{sh: run.sh, r: run.r}
	err = tmp.collect(ctx, s, n, by, nil)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	return tmp.hits, err
}

// edgeTime is the filing time of the record that sorts first by key (the
// newest for filed_key_desc, the oldest for filed_key): the first term of
// the key's dictionary. False when the shard has none with a time.
func (run *shardRun) edgeTime(key string) (time.Time, bool) {
	d, err := run.r.FieldDict(key)
	if err != nil {
		return time.Time{}, false
	}
	defer d.Close()
	e, err := d.Next()
	if err != nil || e == nil || len(e.Term) < 10 || e.Term[0] == '~' {
		return time.Time{}, false
	}
	v, err := strconv.ParseInt(e.Term[:10], 36, 64)
	if err != nil {
		return time.Time{}, false
	}
	if key == fFiledKeyDesc {
		v = maxSortKey - v
	}
	return time.UnixMilli(v - msFromYear1).UTC(), true
}

// window is the filing dates within span of edge, on the side the order
// reads from.
func window(by hitOrder, edge time.Time, span time.Duration) query.Query {
	incl := true
	var from, to time.Time
	if by.key == fFiledKeyDesc {
		from = edge.Add(-span)
	} else {
		to = edge.Add(span)
	}
	q := query.NewDateRangeInclusiveQuery(from, to, &incl, &incl)
	q.SetField(fFiledAt)
	return q
}
