package search

import (
	"context"
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
	if err := run.count(ctx, top, m, limit, log); err != nil {
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

// count counts the matches of q into run.total, stopping (run.capped)
// once there are more than limit, and notes them in log.
func (run *shardRun) count(ctx context.Context, q query.Query, m mapping.IndexMapping, limit int64, log *matchLog) error {
	return walk(ctx, run.r, m, q, unscored, 0, 0, func(dm *bsearch.DocumentMatch, pool *bsearch.DocumentMatchPool) error {
		if int64(run.total) == limit {
			run.capped = true
			return errStop
		}
		run.total++
		log.note(run, dm)
		pool.Put(dm)
		return nil
	})
}

// collectOnly returns the best n matches of q by by, without counting them
// into run or noting them.
func (run *shardRun) collectOnly(ctx context.Context, q query.Query, m mapping.IndexMapping, n int, by hitOrder) ([]*bsearch.DocumentMatch, error) {
	tmp := &shardRun{sh: run.sh, r: run.r}
	err := tmp.collect(ctx, q, m, unscored, n, by, nil)
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
	if err != nil || e == nil {
		return time.Time{}, false
	}
	return keyTime(e.Term, key == fFiledKeyDesc)
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
