package search

import (
	"context"
	"fmt"
	"sort"

	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	"github.com/blevesearch/bleve/v2/search/searcher"
	index "github.com/blevesearch/bleve_index_api"
)

// exactWordQuery matches text verbatim (as exactQuery does) when there
// are jieba words a record cannot have without holding text: text's own
// word when jieba keeps it whole, and, for a synonym held by the term
// searched for (违规经商 in 违规经商办企业), the term's word as well. A
// record that has one of the words is accepted without reading a
// position; only the other candidates (see candidates) are checked as a
// phrase. A record with a word scores bonus more (the whole-word tier).
// Its matches and scores are those of Boolean{Must: exactQuery(text),
// Should: bonusQuery{words}}, but a frequent word (纪检监察, in every
// record) no longer costs a phrase check of every record.
type exactWordQuery struct {
	text  string
	words []string
	// fields is how many of exactFields and wordFields it searches (all
	// three, or title and body for a synonym); boost multiplies their
	// boosts.
	fields int
	boost  float64
	bonus  float64
}

// literalWord is the exactWordQuery of text, which jieba keeps as word.
func literalWord(text, word string) exactWordQuery {
	return exactWordQuery{text: text, words: []string{word}, fields: len(exactFields), boost: 1, bonus: wordBonus}
}

func (q exactWordQuery) Searcher(ctx context.Context, i index.IndexReader, m mapping.IndexMapping, o bsearch.SearcherOptions) (bsearch.Searcher, error) {
	terms, single := exactTerms(q.text)
	var ws []query.Query
	for _, w := range q.words {
		ws = append(ws, wordQueryOn(wordFields[:q.fields], w, q.boost))
	}
	word := bonusQuery{disjunction(ws), q.bonus}
	exact := exactQueryOn(exactFields[:q.fields], q.text, q.boost)
	if len(terms) < 2 || single != "" {
		// one term or a prefix: no positions to check anyway
		return query.NewBooleanQuery([]query.Query{exact}, []query.Query{word}, nil).Searcher(ctx, i, m, o)
	}
	cand, err := candidates(ctx, i, exactFields[:q.fields], terms, q.boost, o)
	if err != nil {
		return nil, err
	}
	wsr, err := word.Searcher(ctx, i, m, o)
	if err != nil {
		cand.Close()
		return nil, err
	}
	// the phrase searcher is built when a candidate without the word
	// comes up: for most words, never
	phrase := func() (bsearch.Searcher, error) {
		return exact.Searcher(ctx, i, m, unscored)
	}
	return &exactWordSearcher{cand: cand, word: follower{s: wsr}, phrase: follower{build: phrase}}, nil
}

// candidateTerms is how many of a text's exact-field terms a candidate
// must have in one field.
const candidateTerms = 2

// candidates matches the records that have, in one exact field, the
// candidateTerms of terms that fewest records of the shard have: a
// superset of the records that have all of them (every record holding the
// text), which costs far fewer postings to walk when some of the terms
// are frequent (党风廉政意见回复: 政意 and 见回 rather than 意见, 回复 …).
// The phrase check of exactWordSearcher decides the ones without the word.
func candidates(ctx context.Context, i index.IndexReader, fields []boostedField, terms []string, boost float64, o bsearch.SearcherOptions) (bsearch.Searcher, error) {
	var per []bsearch.Searcher
	closeAll := func(ss []bsearch.Searcher) {
		for _, s := range ss {
			s.Close()
		}
	}
	for _, f := range fields {
		var ts []bsearch.Searcher
		for _, t := range terms {
			s, err := searcher.NewTermSearcher(ctx, i, t, f.name, f.boost*boost, o)
			if err != nil {
				closeAll(ts)
				closeAll(per)
				return nil, err
			}
			ts = append(ts, s)
		}
		sort.SliceStable(ts, func(a, b int) bool { return ts[a].Count() < ts[b].Count() })
		if len(ts) > candidateTerms {
			closeAll(ts[candidateTerms:])
			ts = ts[:candidateTerms]
		}
		c, err := searcher.NewConjunctionSearcher(ctx, i, ts, o)
		if err != nil {
			closeAll(ts)
			closeAll(per)
			return nil, err
		}
		per = append(per, c)
	}
	d, err := searcher.NewDisjunctionSearcher(ctx, i, per, 1, o)
	if err != nil {
		closeAll(per)
		return nil, err
	}
	return d, nil
}

// exactWordSearcher walks the candidates (records with every term of the
// text in one exact field) and keeps those with the word or the phrase.
type exactWordSearcher struct {
	cand         bsearch.Searcher
	word, phrase follower
}

func (s *exactWordSearcher) Next(ctx *bsearch.SearchContext) (*bsearch.DocumentMatch, error) {
	dm, err := s.cand.Next(ctx)
	return s.keep(ctx, dm, err)
}

func (s *exactWordSearcher) Advance(ctx *bsearch.SearchContext, id index.IndexInternalID) (*bsearch.DocumentMatch, error) {
	dm, err := s.cand.Advance(ctx, id)
	return s.keep(ctx, dm, err)
}

// keep returns the first of dm and the candidates after it that matches.
func (s *exactWordSearcher) keep(ctx *bsearch.SearchContext, dm *bsearch.DocumentMatch, err error) (*bsearch.DocumentMatch, error) {
	for ; err == nil && dm != nil; dm, err = s.cand.Next(ctx) {
		w, err := s.word.at(ctx, dm.IndexInternalID)
		if err != nil {
			return nil, err
		}
		if w != nil {
			dm.Score += w.Score
			return dm, nil
		}
		p, err := s.phrase.at(ctx, dm.IndexInternalID)
		if err != nil {
			return nil, err
		}
		if p != nil {
			return dm, nil
		}
		ctx.DocumentMatchPool.Put(dm)
	}
	if err != nil {
		return nil, fmt.Errorf("search: exact match: %w", err)
	}
	return nil, nil
}

func (s *exactWordSearcher) Close() error {
	err := s.cand.Close()
	for _, f := range []bsearch.Searcher{s.word.s, s.phrase.s} {
		if f == nil {
			continue
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

func (s *exactWordSearcher) Weight() float64 { return s.cand.Weight() + s.word.s.Weight() }

func (s *exactWordSearcher) SetQueryNorm(n float64) {
	s.cand.SetQueryNorm(n)
	s.word.s.SetQueryNorm(n)
}

func (s *exactWordSearcher) Count() uint64 { return s.cand.Count() }
func (s *exactWordSearcher) Min() int      { return 0 }
func (s *exactWordSearcher) Size() int     { return s.cand.Size() + s.word.s.Size() }

// phrasePoolSize is what a phrase searcher of the exact fields may take
// from the pool: the phrase searcher is built after the pool is sized.
const phrasePoolSize = 16

func (s *exactWordSearcher) DocumentMatchPoolSize() int {
	return s.cand.DocumentMatchPoolSize() + s.word.s.DocumentMatchPoolSize() + phrasePoolSize + 2
}

// follower is a searcher asked, for increasing ids, whether it matches one.
type follower struct {
	s     bsearch.Searcher
	build func() (bsearch.Searcher, error) // makes s on the first question, when s is nil
	curr  *bsearch.DocumentMatch           // its match at or after the last id asked
	done  bool
}

// at returns the follower's match of id, or nil; the match stays the
// follower's.
func (f *follower) at(ctx *bsearch.SearchContext, id index.IndexInternalID) (*bsearch.DocumentMatch, error) {
	if f.done {
		return nil, nil
	}
	if f.s == nil {
		s, err := f.build()
		if err != nil {
			return nil, err
		}
		f.s = s
	}
	if f.curr == nil || f.curr.IndexInternalID.Compare(id) < 0 {
		if f.curr != nil {
			ctx.DocumentMatchPool.Put(f.curr)
			f.curr = nil
		}
		dm, err := f.s.Advance(ctx, id)
		if err != nil {
			return nil, err
		}
		if dm == nil {
			f.done = true
			return nil, nil
		}
		f.curr = dm
	}
	if f.curr.IndexInternalID.Equals(id) {
		return f.curr, nil
	}
	return nil, nil
}
