package search

import (
	"context"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/registry"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
)

// The exact fields (title_x, body_x, meta_x) make every substring of the
// text findable (精确子串, substring-exact recall), whatever jieba made of
// it: 三转 inside “三转”, 总承 inside 总承包, 督检 inside 监督检查, 30日
// inside 30日内, A股.
//
// Every letter or digit of the text (after width folding and lower case,
// foldRune) is one unit with a position of its own; anything else
// (punctuation, spaces, quotation marks) separates runs of units and takes
// no position. At a unit's position the field holds one term:
//
//   - the unit and the next one (a bigram) when the next one is in the
//     same run: 三转 → "三转" at 1, …;
//   - the unit and runEdge when it ends its run: "转\x1f";
//
// and a unit that starts a run also holds runEdge + the unit ("\x1f三").
// A query string of units q1 … qm is then the phrase of the terms of
// q1 … q(m-1) as above, plus, when qm starts a run of its own, "\x1f"+qm:
// the text contains the string (separators matching any separator) if and
// only if it has that phrase. Two units are a single term (no positions
// read); one unit is a prefix query (any term that starts with it).

// AnalyzerExact analyses the exact fields (see above).
const AnalyzerExact = "wenshu_exact"

// runEdge stands for the edge of a run of units in an exact-field term; it
// is never a unit itself.
const runEdge = "\x1f"

// exactUnit is one letter or digit of a text, folded, with its byte offsets.
type exactUnit struct {
	r          rune
	start, end int
	runStart   bool // the first unit of the text or after a separator
}

// exactUnits returns the units of text. A NUL or a byte of an invalid UTF-8
// sequence is a separator.
func exactUnits(text []byte) []exactUnit {
	out := make([]exactUnit, 0, len(text)/3+1)
	sep := true
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRune(text[i:])
		if r == utf8.RuneError && n <= 1 {
			sep, i = true, i+1
			continue
		}
		if f := foldRune(r); isWordRune(f) {
			out = append(out, exactUnit{r: f, start: i, end: i + n, runStart: sep})
			sep = false
		} else {
			sep = true
		}
		i += n
	}
	return out
}

// exactAnalyzer is AnalyzerExact.
type exactAnalyzer struct{}

func (exactAnalyzer) Analyze(input []byte) analysis.TokenStream {
	us := exactUnits(input)
	runs := 0
	size := 0
	for i, u := range us {
		size += utf8.RuneLen(u.r) + len(runEdge)
		if i+1 < len(us) && !us[i+1].runStart {
			size += utf8.RuneLen(us[i+1].r) - len(runEdge)
		}
		if u.runStart {
			runs++
			size += len(runEdge) + utf8.RuneLen(u.r)
		}
	}
	// one buffer for every term; each term is a full slice of it
	buf := make([]byte, 0, size)
	term := func(parts ...rune) []byte {
		a := len(buf)
		for _, p := range parts {
			buf = utf8.AppendRune(buf, p)
		}
		return buf[a:len(buf):len(buf)]
	}
	edge := rune(runEdge[0])
	toks := make([]analysis.Token, 0, len(us)+runs)
	rv := make(analysis.TokenStream, 0, len(us)+runs)
	for i, u := range us {
		pos := i + 1
		if u.runStart {
			toks = append(toks, analysis.Token{Term: term(edge, u.r), Start: u.start, End: u.end, Position: pos, Type: analysis.Ideographic})
		}
		if i+1 < len(us) && !us[i+1].runStart {
			toks = append(toks, analysis.Token{Term: term(u.r, us[i+1].r), Start: u.start, End: us[i+1].end, Position: pos, Type: analysis.Ideographic})
		} else {
			toks = append(toks, analysis.Token{Term: term(u.r, edge), Start: u.start, End: u.end, Position: pos, Type: analysis.Ideographic})
		}
	}
	for i := range toks {
		rv = append(rv, &toks[i])
	}
	return rv
}

// exactTerms returns what a query string must match in an exact field:
// the terms at consecutive positions, or, for a string of one unit, that
// unit (to be matched as a prefix). Both are empty when s has no unit.
func exactTerms(s string) (terms []string, single string) {
	us := exactUnits([]byte(s))
	switch len(us) {
	case 0:
		return nil, ""
	case 1:
		return nil, string(us[0].r)
	}
	for i := 0; i < len(us)-1; i++ {
		if us[i+1].runStart {
			terms = append(terms, string(us[i].r)+runEdge)
		} else {
			terms = append(terms, string(us[i].r)+string(us[i+1].r))
		}
	}
	if last := us[len(us)-1]; last.runStart {
		terms = append(terms, runEdge+string(last.r))
	}
	return terms, ""
}

// exactQuery finds s verbatim (separators matching any separator) in any
// of the exact fields, with the fields' boosts times boost; nil when s has
// no letter or digit.
func exactQuery(s string, boost float64) query.Query {
	return exactQueryOn(exactFields, s, boost)
}

// exactQueryOn is exactQuery on some of the exact fields.
func exactQueryOn(fields []boostedField, s string, boost float64) query.Query {
	terms, single := exactTerms(s)
	if len(terms) == 0 && single == "" {
		return nil
	}
	var alts []query.Query
	for _, f := range fields {
		var q interface {
			query.Query
			SetBoost(float64)
		}
		switch {
		case single != "":
			p := query.NewPrefixQuery(single)
			p.SetField(f.name)
			q = p
		case len(terms) == 1:
			t := query.NewTermQuery(terms[0])
			t.SetField(f.name)
			q = t
		default:
			q = query.NewPhraseQuery(terms, f.name)
		}
		q.SetBoost(f.boost * boost)
		if len(terms) > 1 {
			alts = append(alts, noLocations{q})
			continue
		}
		alts = append(alts, q)
	}
	return disjunction(alts)
}

// noLocations drops the term locations a phrase searcher attaches to its
// matches. Nothing reads them (highlights are found in the stored text),
// and Bleve would otherwise copy them up through every enclosing searcher
// and into a map per hit.
type noLocations struct{ q query.Query }

func (n noLocations) Searcher(ctx context.Context, i index.IndexReader, m mapping.IndexMapping, o bsearch.SearcherOptions) (bsearch.Searcher, error) {
	s, err := n.q.Searcher(ctx, i, m, o)
	if err != nil {
		return nil, err
	}
	return noLocationsSearcher{s}, nil
}

type noLocationsSearcher struct{ bsearch.Searcher }

func (s noLocationsSearcher) Next(ctx *bsearch.SearchContext) (*bsearch.DocumentMatch, error) {
	dm, err := s.Searcher.Next(ctx)
	if dm != nil {
		dm.FieldTermLocations = dm.FieldTermLocations[:0]
	}
	return dm, err
}

func (s noLocationsSearcher) Advance(ctx *bsearch.SearchContext, id index.IndexInternalID) (*bsearch.DocumentMatch, error) {
	dm, err := s.Searcher.Advance(ctx, id)
	if dm != nil {
		dm.FieldTermLocations = dm.FieldTermLocations[:0]
	}
	return dm, err
}

// bonusQuery adds a constant to the score of every match of q (in scored
// searches): it ranks its matches a tier above those of the clauses beside
// it, whatever their term statistics.
type bonusQuery struct {
	q     query.Query
	bonus float64
}

func (b bonusQuery) Searcher(ctx context.Context, i index.IndexReader, m mapping.IndexMapping, o bsearch.SearcherOptions) (bsearch.Searcher, error) {
	s, err := b.q.Searcher(ctx, i, m, o)
	if err != nil || o.Score == "none" {
		return s, err
	}
	return bonusSearcher{s, b.bonus}, nil
}

type bonusSearcher struct {
	bsearch.Searcher
	bonus float64
}

func (s bonusSearcher) Next(ctx *bsearch.SearchContext) (*bsearch.DocumentMatch, error) {
	dm, err := s.Searcher.Next(ctx)
	if dm != nil {
		dm.Score += s.bonus
	}
	return dm, err
}

func (s bonusSearcher) Advance(ctx *bsearch.SearchContext, id index.IndexInternalID) (*bsearch.DocumentMatch, error) {
	dm, err := s.Searcher.Advance(ctx, id)
	if dm != nil {
		dm.Score += s.bonus
	}
	return dm, err
}

func init() {
	mustRegister(registry.RegisterAnalyzer(AnalyzerExact, func(map[string]interface{}, *registry.Cache) (analysis.Analyzer, error) {
		return exactAnalyzer{}, nil
	}))
}
