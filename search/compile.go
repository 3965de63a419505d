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
	wordFields  = []boostedField{{fTitle, 3}, {fBody, 1}, {fMeta, 2}}
	exactFields = []boostedField{{fTitleExact, 3}, {fBodyExact, 1}, {fMetaExact, 2}}
	// the cjk-only baseline indexes title/body/meta with the cjk analyzer
	baselineFields = []boostedField{{fTitle, 3}, {fBody, 1}, {fMeta, 2}}
)

// Score tiers (bonusQuery): a record where a bare term is a whole jieba
// word gets wordBonus on top of its term statistics, so it ranks above the
// records where the term is only a substring; when a term has synonyms,
// its literal matches get literalBonus, so they rank above the records
// found only through a synonym, whose clauses are weighed synonymBoost.
const (
	wordBonus    = 10
	literalBonus = 100
	synonymBoost = 0.5
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
	bigram analysis.Analyzer // AnalyzerBigram (the cjk-only baseline)
	marks  []markGroup       // what positive leaves look for, for the highlighter
	// lastWords are the jieba words the last literal also matches by
	lastWords []string
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
		return c.leaf(n, neg)
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

// mark records what a positive leaf looks for: exact strings, and the
// words a record may match it by instead (highlighted only where none of
// the exact strings occurs).
func (c *compiler) mark(neg bool, exact []string, words []string) {
	if !neg {
		c.marks = append(c.marks, markGroup{exact: exact, words: words})
	}
}

func (c *compiler) leaf(l *leaf, neg bool) query.Query {
	if l.kind == leafField {
		c.mark(neg, []string{strings.TrimSuffix(l.text, "*")}, nil)
		return fieldQuery(l.field, l.text)
	}
	if c.ix.opts.mode == modeCJKOnly {
		c.mark(neg, []string{l.text}, nil)
		return c.baseline(l)
	}
	if l.kind == leafPhrase {
		// exactly the phrase; jieba only ranks
		c.mark(neg, []string{l.text}, nil)
		return c.literal(l.text, false)
	}
	// a bare term: itself, or one of its synonyms
	syns := c.ix.synonyms.Load().expand(l.text)
	lit := c.literal(l.text, true)
	exact := append([]string{l.text}, syns...)
	c.mark(neg, exact, c.lastWords)
	if len(syns) == 0 || lit == nil {
		return lit
	}
	alts := []query.Query{bonusQuery{lit, literalBonus}}
	for _, s := range syns {
		if q := c.synonym(l.text, s); q != nil {
			alts = append(alts, q)
		}
	}
	return disjunction(alts)
}

// synonym matches the synonym s of the bare term text verbatim in the
// title and body (meta holds numbers and names, no synonyms), weighed
// synonymBoost. The jieba words that imply s (its own, and text's when s
// is part of text: every record with 违规经商办企业 holds 违规经商) spare
// those records a phrase check.
func (c *compiler) synonym(text, s string) query.Query {
	var words []string
	if w, ok := c.wholeWord(s); ok {
		words = append(words, w)
	}
	if w, ok := c.wholeWord(text); ok && holdsRun(text, s) {
		words = append(words, w)
	}
	if len(words) == 0 {
		return exactQueryOn(exactFields[:2], s, synonymBoost)
	}
	return exactWordQuery{text: s, words: words, fields: 2, boost: synonymBoost}
}

// literal matches text verbatim in the exact fields (separators matching
// any separator; see exact.go). A record where jieba made text one word
// ranks above one where it is only a substring (wordBonus). A bare term
// (bare) that jieba cuts into several words also matches a record that has
// all of those words, each anywhere in one field (违反八项规定精神 finds
// 违反中央八项规定精神), ranked below the verbatim matches; c.lastWords
// then holds the words, for the highlighter.
func (c *compiler) literal(text string, bare bool) query.Query {
	c.lastWords = nil
	exact := exactQuery(text, 1)
	if exact == nil {
		return nil
	}
	if w, whole := c.wholeWord(text); whole {
		// every record that has the jieba word also has the substring:
		// only the others are checked as a phrase
		exact = literalWord(text, w)
		parts := c.parts(w)
		if len(parts) == 0 || !bare {
			return exact
		}
		// the word is exact's already; its parts anywhere rank below
		var pq []query.Query
		for _, p := range parts {
			pq = append(pq, wordQuery(p))
		}
		c.lastWords = append([]string{w}, parts...)
		return query.NewDisjunctionQuery([]query.Query{bonusQuery{exact, wordBonus}, query.NewConjunctionQuery(pq)})
	}
	if !bare {
		return exact
	}
	words := c.allWords(text)
	if words == nil {
		return exact
	}
	return query.NewDisjunctionQuery([]query.Query{bonusQuery{exact, wordBonus}, words})
}

// allWords matches every jieba word of s, each anywhere in one word field,
// or returns nil when jieba cut a single Han character out of s (李红梅 →
// 李 / 红梅: a lone character would match far too much). It sets
// c.lastWords.
func (c *compiler) allWords(s string) query.Query {
	words := c.words(s)
	if len(words) == 0 {
		return nil
	}
	var conj []query.Query
	for _, w := range words {
		q := wordQuery(w)
		c.lastWords = append(c.lastWords, w)
		// a long word also matches as its parts: the query word
		// 违反八项规定精神 is found in 违反中央八项规定精神, where
		// jieba's coarse cut differs.
		if parts := c.parts(w); len(parts) > 1 {
			var pq []query.Query
			for _, p := range parts {
				pq = append(pq, wordQuery(p))
			}
			c.lastWords = append(c.lastWords, parts...)
			q = query.NewDisjunctionQuery([]query.Query{q, query.NewConjunctionQuery(pq)})
		}
		conj = append(conj, q)
	}
	if len(conj) == 1 {
		return conj[0]
	}
	return query.NewConjunctionQuery(conj)
}

// baseline is the cjk-only benchmark baseline: a phrase as a bigram phrase,
// a bare term as a match query of its bigrams.
func (c *compiler) baseline(l *leaf) query.Query {
	if l.kind == leafPhrase {
		return c.phrase(baselineFields, c.bigram, l.text)
	}
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

// holdsRun reports whether every text holding text holds s too: both are
// one run of letters and digits (no separator), and s's are a part of
// text's.
func holdsRun(text, s string) bool {
	run := func(x string) (string, bool) {
		us := exactUnits([]byte(x))
		var b strings.Builder
		for i, u := range us {
			if i > 0 && u.runStart {
				return "", false
			}
			b.WriteRune(u.r)
		}
		return b.String(), len(us) > 0
	}
	t, ok1 := run(text)
	r, ok2 := run(s)
	return ok1 && ok2 && strings.Contains(t, r)
}

// wholeWord returns the jieba word s is, folded as the index folds it, when
// jieba's query mode keeps s whole (one token spanning all of s, not a
// single Han character), or a single letter or digit. A long word may
// still be made of dictionary words (党风廉政意见回复 → 党风廉政意见 回复;
// see parts).
func (c *compiler) wholeWord(s string) (string, bool) {
	if t := strings.TrimSpace(s); isSingleWordRune(t) {
		r, _ := utf8.DecodeRuneInString(t)
		return string(foldRune(r)), true
	}
	toks := c.zh.Analyze([]byte(s))
	if len(toks) == 1 && toks[0].Start == 0 && toks[0].End == len(s) && !isSingleHan(s) {
		return string(toks[0].Term), true
	}
	return "", false
}

// wordQuery finds one jieba word in any of the word fields.
func wordQuery(w string) query.Query { return wordQueryOn(wordFields, w, 1) }

// wordQueryOn finds one jieba word in any of fields, their boosts times
// boost.
func wordQueryOn(fields []boostedField, w string, boost float64) query.Query {
	var per []query.Query
	for _, f := range fields {
		t := query.NewTermQuery(w)
		t.SetField(f.name)
		t.SetBoost(f.boost * boost)
		per = append(per, t)
	}
	return disjunction(per)
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

// isSingleWordRune reports whether s is one letter or digit (spaces aside).
func isSingleWordRune(s string) bool {
	s = strings.TrimSpace(s)
	r, n := utf8.DecodeRuneInString(s)
	return n == len(s) && n > 0 && isWordRune(r)
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
