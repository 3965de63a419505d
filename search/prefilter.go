package search

import (
	"context"
	"math"
	"sort"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
)

// A search by relevance whose query joins several terms (违规经商办企业
// 纪律检查建议: each in a tenth of the records, both in a hundredth) first
// narrows a shard to candidates, then scores only those. Scored, Bleve's
// conjunction walks the matches of both terms, checking and scoring every
// record it stops at. The candidates are a superset of the matches found
// with bitmaps: each term's records as roaring bitmaps (unscored postings,
// no positions read, no phrase checked), intersected and united as the
// query says; a part matching more than a quarter of the shard (the unit
// term, 建议) constrains nothing and is not read. The scored query then
// runs as a conjunction led by the candidates (matchList), which takes no
// part in the score, so its matches, scores and total are those of the
// query alone.

// narrowFraction is the fraction of a shard (1/narrow) candidates may
// make up for a search by relevance of ast to be narrowed to them, or 0:
// only an AND of several parts (a NOT among them included) is worth it.
func (ix *Index) narrowFraction(ast node) uint64 {
	if a, ok := ast.(*andNode); !ok || len(a.children) < 2 || ix.opts.narrow < 0 {
		return 0
	}
	if ix.opts.narrow > 0 {
		return uint64(ix.opts.narrow)
	}
	return narrowFraction
}

// narrowFraction: candidates are worth it when at most a narrowFraction-th
// of the shard (beyond, leading every term by the list costs more than
// the leapfrogging it saves: 三重一大 OR 八项规定 -问责).
const narrowFraction = 16

// narrowed runs top on run's shard of docs records through candidates
// (see above), or returns false, having done nothing, when they would not
// make up at most docs/fraction.
func (run *shardRun) narrowed(ctx context.Context, top query.Query, m mapping.IndexMapping, n int, by hitOrder, log *matchLog, docs, fraction uint64) (bool, error) {
	c := candidateSets{ctx: ctx, r: run.r, m: m, limit: docs / 4}
	set, err := c.of(top)
	if err != nil || set == nil || set.GetCardinality() > docs/fraction {
		return false, err
	}
	return true, run.collect(ctx, restrict(top, matchList(set.ToArray())), m, bsearch.SearcherOptions{}, n, by, log)
}

// restrict returns q with every part that reads postings led by list: a
// conjunction of the list and the part, so that the part is only ever
// advanced to a candidate (a conjunction led by the list at the top only
// would still leapfrog its terms through every record in between). The
// filter is left whole: it is a bitmap already. Scores are unchanged: the
// list weighs nothing and scores nothing.
func restrict(q query.Query, list matchList) query.Query {
	lead := func(p query.Query) query.Query { return query.NewConjunctionQuery([]query.Query{list, p}) }
	switch q := q.(type) {
	case *query.ConjunctionQuery:
		c := *q
		c.Conjuncts = restrictAll(q.Conjuncts, list)
		return &c
	case *query.DisjunctionQuery:
		d := *q
		d.Disjuncts = restrictAll(q.Disjuncts, list)
		return &d
	case *query.BooleanQuery:
		b := *q
		if q.Must != nil {
			b.Must = restrict(q.Must, list)
		}
		if q.Should != nil {
			b.Should = restrict(q.Should, list)
		}
		return &b
	case bonusQuery:
		return bonusQuery{restrict(q.q, list), q.bonus}
	case filterQuery, *query.MatchAllQuery:
		return q
	}
	return lead(q)
}

func restrictAll(qs []query.Query, list matchList) []query.Query {
	out := make([]query.Query, len(qs))
	for i, q := range qs {
		out[i] = restrict(q, list)
	}
	return out
}

// candidateSets computes, for a query, a bitmap of internal ids holding
// every record it matches (more, possibly), or nil for "any record".
type candidateSets struct {
	ctx   context.Context
	r     index.IndexReader
	m     mapping.IndexMapping
	limit uint64 // a part matching more than limit records is "any record"
}

func (c candidateSets) of(q query.Query) (*roaring.Bitmap, error) {
	switch q := q.(type) {
	case *query.ConjunctionQuery:
		return c.all(q.Conjuncts)
	case *query.DisjunctionQuery:
		if q.Min > 1 {
			return c.read(q)
		}
		return c.any(q.Disjuncts)
	case *query.BooleanQuery:
		// what MustNot drops is left to the scored query
		var parts []query.Query
		if q.Must != nil {
			parts = append(parts, q.Must)
		} else if q.Should != nil {
			parts = append(parts, q.Should)
		}
		if q.Filter != nil {
			parts = append(parts, q.Filter)
		}
		return c.all(parts)
	case *query.MatchAllQuery:
		return nil, nil
	case bonusQuery:
		return c.of(q.q)
	case filterQuery:
		return c.of(q.q)
	case noLocations:
		return c.of(q.q)
	case exactWordQuery:
		// the candidates hold every record with one of the words too
		if terms, single := exactTerms(q.text); len(terms) >= 2 && single == "" {
			return c.searched(func(o bsearch.SearcherOptions) (bsearch.Searcher, error) {
				return candidates(c.ctx, c.r, exactFields[:q.fields], terms, q.boost, o)
			})
		}
	case *query.PhraseQuery:
		// the records with the phrase's two rarest terms, positions unread
		return c.searched(func(o bsearch.SearcherOptions) (bsearch.Searcher, error) {
			return candidates(c.ctx, c.r, []boostedField{{q.FieldVal, 1}}, q.Terms, 1, o)
		})
	}
	return c.read(q)
}

// all intersects the parts' candidates.
func (c candidateSets) all(parts []query.Query) (*roaring.Bitmap, error) {
	var out *roaring.Bitmap
	for _, p := range parts {
		s, err := c.of(p)
		if err != nil {
			return nil, err
		}
		switch {
		case s == nil:
		case out == nil:
			out = s
		default:
			out.And(s)
		}
	}
	return out, nil
}

// any unites the parts' candidates: any record if one part may be.
func (c candidateSets) any(parts []query.Query) (*roaring.Bitmap, error) {
	out := roaring.New()
	for _, p := range parts {
		s, err := c.of(p)
		if err != nil || s == nil {
			return nil, err
		}
		out.Or(s)
		if out.GetCardinality() > c.limit {
			return nil, nil
		}
	}
	return out, nil
}

// read is the matches of q itself, unscored.
func (c candidateSets) read(q query.Query) (*roaring.Bitmap, error) {
	return c.searched(func(o bsearch.SearcherOptions) (bsearch.Searcher, error) { return q.Searcher(c.ctx, c.r, c.m, o) })
}

// searched is the matches of the searcher build makes, unscored; nil (any
// record) when the searcher expects more than limit of them.
func (c candidateSets) searched(build func(bsearch.SearcherOptions) (bsearch.Searcher, error)) (*roaring.Bitmap, error) {
	s, err := build(unscored)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	if s.Count() > c.limit {
		return nil, nil
	}
	out := roaring.New()
	err = walkSearcher(c.ctx, c.r, s, 0, 0, func(dm *bsearch.DocumentMatch, pool *bsearch.DocumentMatchPool) error {
		v := dm.IndexInternalID.Value()
		if v > math.MaxUint32 {
			out = nil // past what a 32-bit bitmap holds: no narrowing
			return errStop
		}
		out.Add(uint32(v))
		pool.Put(dm)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// matchList is a query matching the documents of a sorted list of
// internal ids of one snapshot, unscored and weightless (see filterQuery).
type matchList []uint32

func (l matchList) Searcher(context.Context, index.IndexReader, mapping.IndexMapping, bsearch.SearcherOptions) (bsearch.Searcher, error) {
	return &matchListSearcher{ids: l}, nil
}

type matchListSearcher struct {
	ids []uint32
	i   int
}

func (s *matchListSearcher) match(ctx *bsearch.SearchContext) *bsearch.DocumentMatch {
	if s.i >= len(s.ids) {
		return nil
	}
	dm := ctx.DocumentMatchPool.Get()
	dm.IndexInternalID = index.NewIndexInternalID(dm.IndexInternalID, uint64(s.ids[s.i]))
	s.i++
	return dm
}

func (s *matchListSearcher) Next(ctx *bsearch.SearchContext) (*bsearch.DocumentMatch, error) {
	return s.match(ctx), nil
}

func (s *matchListSearcher) Advance(ctx *bsearch.SearchContext, id index.IndexInternalID) (*bsearch.DocumentMatch, error) {
	v := id.Value()
	s.i += sort.Search(len(s.ids)-s.i, func(k int) bool { return uint64(s.ids[s.i+k]) >= v })
	return s.match(ctx), nil
}

func (s *matchListSearcher) Close() error               { return nil }
func (s *matchListSearcher) Weight() float64            { return 0 }
func (s *matchListSearcher) SetQueryNorm(float64)       {}
func (s *matchListSearcher) Count() uint64              { return uint64(len(s.ids)) }
func (s *matchListSearcher) Min() int                   { return 0 }
func (s *matchListSearcher) Size() int                  { return 64 + 4*len(s.ids) }
func (s *matchListSearcher) DocumentMatchPoolSize() int { return 1 }
