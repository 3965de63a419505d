package search

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/search/query"
)

type boostedField struct {
	name  string
	boost float64
}

// Text fields searched by a bare term or a phrase, with their boosts: a
// match in the title counts three times, in 文号/persons/case twice.
var (
	wordFields   = []boostedField{{fTitle, 3}, {fBody, 1}, {fMeta, 2}}
	bigramFields = []boostedField{{fTitleCJK, 3}, {fBodyCJK, 1}, {fMetaCJK, 2}}
	// the cjk-only baseline indexes title/body/meta with the cjk analyzer
	baselineFields = []boostedField{{fTitle, 3}, {fBody, 1}, {fMeta, 2}}
)

// queryStopWords are dropped from the word clause of a bare term (they stay
// in its exact-substring clause).
var queryStopWords = map[string]bool{
	"的": true, "了": true, "和": true, "与": true, "及": true, "或": true, "在": true,
	"是": true, "对": true, "等": true, "把": true, "被": true, "之": true, "其": true,
}

// compiler turns a parsed query into a Bleve query and collects the strings
// the highlighter marks.
type compiler struct {
	ix     *Index
	zh     analysis.Analyzer // AnalyzerQuery
	zhIdx  analysis.Analyzer // AnalyzerIndex, for the parts of long words
	bigram analysis.Analyzer // AnalyzerBigram
	marks  []string          // positive leaves' texts and words
}

func (ix *Index) newCompiler() *compiler {
	return &compiler{
		ix:     ix,
		zh:     ix.m.AnalyzerNamed(AnalyzerQuery),
		zhIdx:  ix.m.AnalyzerNamed(AnalyzerIndex),
		bigram: ix.m.AnalyzerNamed(AnalyzerBigram),
	}
}

// compile returns nil for "no constraint" (an empty query).
func (c *compiler) compile(n node, neg bool) query.Query {
	switch n := n.(type) {
	case nil:
		return nil
	case *leaf:
		q := c.leaf(n, neg)
		return q
	case *notNode:
		child := c.compile(n.child, !neg)
		if child == nil {
			return nil
		}
		return notQuery(child)
	case *andNode:
		var must, mustNot []query.Query
		for _, ch := range n.children {
			if nn, ok := ch.(*notNode); ok {
				if q := c.compile(nn.child, !neg); q != nil {
					mustNot = append(mustNot, q)
				}
				continue
			}
			if q := c.compile(ch, neg); q != nil {
				must = append(must, q)
			}
		}
		if len(must) == 0 && len(mustNot) == 0 {
			return nil
		}
		if len(mustNot) == 0 {
			if len(must) == 1 {
				return must[0]
			}
			return query.NewConjunctionQuery(must)
		}
		b := query.NewBooleanQuery(nil, nil, nil)
		if len(must) == 0 {
			b.Must = query.NewMatchAllQuery()
		} else if len(must) == 1 {
			b.Must = must[0]
		} else {
			b.Must = query.NewConjunctionQuery(must)
		}
		b.MustNot = disjunction(mustNot)
		return b
	case *orNode:
		var alts []query.Query
		for _, ch := range n.children {
			if q := c.compile(ch, neg); q != nil {
				alts = append(alts, q)
			}
		}
		if len(alts) == 0 {
			return nil
		}
		return disjunction(alts)
	}
	return nil
}

func notQuery(q query.Query) query.Query {
	b := query.NewBooleanQuery(nil, nil, nil)
	b.Must = query.NewMatchAllQuery()
	b.MustNot = q
	return b
}

func disjunction(qs []query.Query) query.Query {
	if len(qs) == 1 {
		return qs[0]
	}
	return query.NewDisjunctionQuery(qs)
}

func (c *compiler) mark(neg bool, s ...string) {
	if !neg {
		c.marks = append(c.marks, s...)
	}
}

func (c *compiler) leaf(l *leaf, neg bool) query.Query {
	switch l.kind {
	case leafField:
		c.mark(neg, strings.TrimSuffix(l.text, "*"))
		return fieldQuery(l.field, l.text)
	case leafPhrase:
		c.mark(neg, l.text)
		if c.ix.opts.mode == modeCJKOnly {
			return c.phrase(baselineFields, c.bigram, l.text)
		}
		if isSingleHan(l.text) {
			return c.singleHan(strings.TrimSpace(l.text))
		}
		return c.phrase(bigramFields, c.bigram, l.text)
	}
	// a bare term
	c.mark(neg, l.text)
	if c.ix.opts.mode == modeCJKOnly {
		var alts []query.Query
		for _, f := range baselineFields {
			m := query.NewMatchQuery(l.text)
			m.SetField(f.name)
			m.Analyzer = AnalyzerBigram
			m.SetBoost(f.boost)
			if c.ix.opts.baseOp == "and" {
				m.SetOperator(query.MatchQueryOperatorAnd)
			}
			alts = append(alts, m)
		}
		return disjunction(alts)
	}
	if isSingleHan(l.text) {
		return c.singleHan(strings.TrimSpace(l.text))
	}
	var alts []query.Query
	// 1. the exact substring, on the bigram shadow fields; not for a term
	// jieba keeps as one word (谈话函询, 纪检监察, most names): clause 2
	// finds it as an indexed word or sub-word, and a bigram phrase check
	// of a frequent word reads the positions of every record that has it.
	if !c.oneWord(l.text) {
		if q := c.phrase(bigramFields, c.bigram, l.text); q != nil {
			alts = append(alts, q)
		}
	}
	// 2. all of its jieba words, anywhere in one field each: finds
	// 违反中央八项规定精神 for 违反八项规定精神. Skipped when jieba cut a
	// single Han character out of it (李红梅 → 李 / 红梅): a lone character
	// would match far too much, and clause 1 already finds the name.
	if words := c.words(l.text); len(words) > 0 {
		var conj []query.Query
		for _, w := range words {
			q := wordQuery(w)
			c.mark(neg, w)
			// a long word also matches as its parts: the query word
			// 违反八项规定精神 is found in 违反中央八项规定精神, where
			// jieba's coarse cut differs.
			if parts := c.parts(w); len(parts) > 1 {
				var pq []query.Query
				for _, p := range parts {
					pq = append(pq, wordQuery(p))
				}
				c.mark(neg, parts...)
				q = query.NewDisjunctionQuery([]query.Query{q, query.NewConjunctionQuery(pq)})
			}
			conj = append(conj, q)
		}
		if len(conj) == 1 {
			alts = append(alts, conj[0])
		} else {
			alts = append(alts, query.NewConjunctionQuery(conj))
		}
	}
	if len(alts) == 0 {
		return nil
	}
	return disjunction(alts)
}

// oneWord reports whether jieba's query mode keeps s whole: one token
// spanning all of s.
func (c *compiler) oneWord(s string) bool {
	toks := c.zh.Analyze([]byte(s))
	return len(toks) == 1 && toks[0].Start == 0 && toks[0].End == len(s) && !isSingleHan(s) &&
		len(c.parts(string(toks[0].Term))) == 0
}

// wordQuery finds one jieba word in any of the word fields.
func wordQuery(w string) query.Query {
	var per []query.Query
	for _, f := range wordFields {
		t := query.NewTermQuery(w)
		t.SetField(f.name)
		t.SetBoost(f.boost)
		per = append(per, t)
	}
	return query.NewDisjunctionQuery(per)
}

// parts covers a word of five or more runes with the longest dictionary
// words inside it, left to right (违反八项规定精神 → 违反 八项规定精神), or
// returns nil when they leave a gap.
func (c *compiler) parts(w string) []string {
	// Four-rune terms of art (谈话函询, 诫勉谈话) stay whole: 谈话 … 函询
	// apart is not 谈话函询.
	if utf8.RuneCountInString(w) < 5 {
		return nil
	}
	toks := c.zhIdx.Analyze([]byte(w))
	var out []string
	for o := 0; o < len(w); {
		best := -1
		for i, t := range toks {
			if t.Start == o && (t.End-t.Start) < len(w) && (best < 0 || t.End > toks[best].End) {
				best = i
			}
		}
		if best < 0 {
			return nil
		}
		out = append(out, string(toks[best].Term))
		o = toks[best].End
	}
	return out
}

// words returns the distinct query-mode jieba words of s without stop words,
// or nil when one of them is a single Han character.
func (c *compiler) words(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range c.zh.Analyze([]byte(s)) {
		w := string(t.Term)
		if isSingleHan(w) {
			if queryStopWords[w] {
				continue
			}
			return nil
		}
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

func isSingleHan(s string) bool {
	s = strings.TrimSpace(s)
	r, n := utf8.DecodeRuneInString(s)
	return n == len(s) && n > 0 && unicode.Is(unicode.Han, r)
}

// singleHan finds one Han character: as the first character of any bigram
// (or a lone unigram) in the shadow fields, or as a jieba word.
func (c *compiler) singleHan(ch string) query.Query {
	var alts []query.Query
	for _, f := range bigramFields {
		p := query.NewPrefixQuery(ch)
		p.SetField(f.name)
		p.SetBoost(f.boost)
		alts = append(alts, p)
	}
	for _, f := range wordFields {
		t := query.NewTermQuery(ch)
		t.SetField(f.name)
		t.SetBoost(f.boost)
		alts = append(alts, t)
	}
	return query.NewDisjunctionQuery(alts)
}

// phrase matches text as a phrase (consecutive positions) in any of fields.
func (c *compiler) phrase(fields []boostedField, a analysis.Analyzer, text string) query.Query {
	toks := a.Analyze([]byte(text))
	if len(toks) == 0 {
		return nil
	}
	var terms []string
	var phrase [][]string
	if len(toks) == 1 {
		terms = []string{string(toks[0].Term)}
	} else {
		first, last := toks[0].Position, toks[0].Position
		for _, t := range toks {
			first, last = min(first, t.Position), max(last, t.Position)
		}
		phrase = make([][]string, last-first+1)
		for _, t := range toks {
			phrase[t.Position-first] = append(phrase[t.Position-first], string(t.Term))
		}
		for i := range phrase {
			if len(phrase[i]) == 0 {
				phrase[i] = []string{""} // a gap: any term
			}
		}
	}
	var alts []query.Query
	for _, f := range fields {
		if terms != nil {
			t := query.NewTermQuery(terms[0])
			t.SetField(f.name)
			t.SetBoost(f.boost)
			alts = append(alts, t)
			continue
		}
		p := query.NewMultiPhraseQuery(phrase, f.name)
		p.SetBoost(f.boost)
		alts = append(alts, p)
	}
	return disjunction(alts)
}

// fieldQuery is an exact (or, with a trailing *, prefix) match on a keyword
// field, normalised like the indexed value.
func fieldQuery(field, value string) query.Query {
	prefix := strings.HasSuffix(value, "*") && len(value) > 1
	value = strings.TrimSuffix(value, "*")
	var name, term string
	switch field {
	case "doc_number":
		name, term = fDocNumberKey, foldKey(value)
	case "archive_code":
		name, term = fArchiveCodeKey, foldKey(value)
	case "person":
		name, term = fPersons, foldName(value)
	default: // case
		name, term = fCase, foldName(value)
	}
	if prefix {
		p := query.NewPrefixQuery(term)
		p.SetField(name)
		return p
	}
	t := query.NewTermQuery(term)
	t.SetField(name)
	return t
}
