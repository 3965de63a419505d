package search

import (
	"context"

	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
)

// filterQuery is a query that narrows the documents of a conjunction
// without taking part in its score: its searcher is built unscored (so
// Bleve turns disjunctions and conjunctions of plain terms into roaring
// bitmap operations) and weighs nothing (so the conjunction's query norm,
// and with it every score, is what it would be without the filter).
//
// Bleve's own BooleanQuery.Filter checks the filter against every match of
// Must, one by one: a clerk of a unit that holds 5 % of the records would
// still pay for scoring the other 95 %. Inside a conjunction the filter
// leapfrogs with the user's query instead, so a search costs in proportion
// to the records the viewer may see (or to the matches, if fewer).
type filterQuery struct{ q query.Query }

func (f filterQuery) Searcher(ctx context.Context, i index.IndexReader, m mapping.IndexMapping, _ bsearch.SearcherOptions) (bsearch.Searcher, error) {
	s, err := f.q.Searcher(ctx, i, m, unscored)
	if err != nil {
		return nil, err
	}
	return weightless{s}, nil
}

// weightless hides a searcher's weight from the enclosing query norm; its
// matches score 0 (it is built with Score "none").
type weightless struct{ bsearch.Searcher }

func (weightless) Weight() float64        { return 0 }
func (weightless) SetQueryNorm(_ float64) {}
