package search

import (
	"fmt"
	"os"
	"sort"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/registry"
	"github.com/yanyiwu/gojieba"
)

// Names of the Bleve registry components this package registers. A mapping
// may refer to them once Open has loaded the dictionaries.
const (
	// TokenizerIndex segments with jieba's search mode: every word of the
	// coarse cut, plus the dictionary words inside it (纪检监察 → 纪检, 监察,
	// 纪检监察). A sub-word carries the position of its enclosing word, so a
	// phrase analysed with TokenizerQuery lines up with the indexed positions.
	TokenizerIndex = "wenshu_jieba_index"
	// TokenizerQuery segments with jieba's default (coarse) mode, one
	// position per word.
	TokenizerQuery = "wenshu_jieba_query"
	// AnalyzerIndex is TokenizerIndex + cjk width folding + lower case.
	AnalyzerIndex = "wenshu_zh_index"
	// AnalyzerQuery is TokenizerQuery + cjk width folding + lower case.
	AnalyzerQuery = "wenshu_zh_query"
	// AnalyzerBigram is Bleve's built-in cjk analyzer (overlapping bigrams),
	// used on the *_cjk shadow fields for exact phrase and substring search.
	AnalyzerBigram = cjk.AnalyzerName
)

// segmenter is the process-wide jieba instance and what was loaded into it.
type segmenter struct {
	jb      *gojieba.Jieba
	paths   dictPaths
	hash    string
	user    map[string]struct{} // user dictionary terms
	maxUser int                 // longest user term, in runes
}

var (
	segMu sync.Mutex
	seg   *segmenter // created once, never freed, never replaced
)

// loadSegmenter creates the process-wide jieba from explicit dictionary
// paths on first use and returns it afterwards. A failed attempt can be
// retried (sync.Once would remember the failure forever).
func loadSegmenter(paths dictPaths, hash string) (*segmenter, error) {
	segMu.Lock()
	defer segMu.Unlock()
	if seg != nil {
		return seg, nil
	}
	for _, p := range paths.list() {
		if p == "" {
			return nil, fmt.Errorf("search: empty dictionary path")
		}
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("search: dictionary: %w", err)
		}
	}
	userData, err := os.ReadFile(paths.User)
	if err != nil {
		return nil, fmt.Errorf("search: user dictionary: %w", err)
	}
	s := &segmenter{paths: paths, hash: hash, user: map[string]struct{}{}}
	for _, t := range userTerms(userData) {
		s.user[t] = struct{}{}
		if n := utf8.RuneCountInString(t); n > s.maxUser {
			s.maxUser = n
		}
	}
	if err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("search: jieba: %v", r)
			}
		}()
		// All five paths are explicit: gojieba's defaults point into the
		// module cache of the build machine.
		s.jb = gojieba.NewJieba(paths.Dict, paths.HMM, paths.User, paths.IDF, paths.Stop)
		return nil
	}(); err != nil {
		return nil, err
	}
	seg = s
	return s, nil
}

func currentSegmenter() (*segmenter, error) {
	segMu.Lock()
	defer segMu.Unlock()
	if seg == nil {
		return nil, fmt.Errorf("search: jieba dictionaries not loaded; call search.Open first")
	}
	return seg, nil
}

// jiebaTokenizer is a Bleve analysis.Tokenizer over the process-wide jieba.
type jiebaTokenizer struct {
	s     *segmenter
	index bool
}

// cleanText makes input safe for jieba without moving any byte: NUL (which
// would end the C string) and every byte of an invalid UTF-8 sequence become
// a space, so offsets into the result are offsets into input.
func cleanText(input []byte) string {
	ok := true
	for i := 0; i < len(input); {
		c := input[i]
		if c == 0 {
			ok = false
			break
		}
		if c < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(input[i:])
		if r == utf8.RuneError && n <= 1 {
			ok = false
			break
		}
		i += n
	}
	if ok {
		return string(input)
	}
	out := make([]byte, len(input))
	for i := 0; i < len(input); {
		c := input[i]
		if c == 0 {
			out[i] = ' '
			i++
			continue
		}
		if c < utf8.RuneSelf {
			out[i] = c
			i++
			continue
		}
		r, n := utf8.DecodeRune(input[i:])
		if r == utf8.RuneError && n <= 1 {
			out[i] = ' '
			i++
			continue
		}
		copy(out[i:], input[i:i+n])
		i += n
	}
	return string(out)
}

// hasWordRune reports whether s holds a letter or a digit; tokens without
// one (punctuation, spaces) are not indexed and take no position.
func hasWordRune(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsNumber(r) {
			return true
		}
	}
	return false
}

func tokenType(s string) analysis.TokenType {
	r, _ := utf8.DecodeRuneInString(s)
	switch {
	case unicode.Is(unicode.Han, r):
		return analysis.Ideographic
	case unicode.IsNumber(r):
		return analysis.Numeric
	}
	return analysis.AlphaNumeric
}

func (t *jiebaTokenizer) Tokenize(input []byte) analysis.TokenStream {
	text := cleanText(input)
	if !t.index {
		words := mergeLatin(text, t.s.jb.Tokenize(text, gojieba.DefaultMode, true))
		rv := make(analysis.TokenStream, 0, len(words))
		pos := 0
		for _, w := range words {
			if !hasWordRune(w.Str) {
				continue
			}
			pos++
			rv = append(rv, &analysis.Token{
				Term: []byte(w.Str), Start: w.Start, End: w.End,
				Position: pos, Type: tokenType(w.Str),
			})
		}
		return rv
	}
	return t.s.indexStream(text, t.s.jb.Tokenize(text, gojieba.SearchMode, true))
}

// isLatin reports whether s is letters and digits only, none of them Han.
func isLatin(s string) bool {
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsNumber(r)) || unicode.Is(unicode.Han, r) {
			return false
		}
	}
	return s != ""
}

// mergeLatin joins touching runs of non-Han letters and digits that jieba
// cut apart: it keeps ASCII words whole but splits full-width ones
// (ＡＢＣ → Ａ/Ｂ/Ｃ) and mixed digits (2０24). words must be sorted by start;
// a word inside the previous one (a search-mode sub-word) is left alone.
func mergeLatin(text string, words []gojieba.Word) []gojieba.Word {
	out := words[:0]
	for _, w := range words {
		if n := len(out); n > 0 && out[n-1].End == w.Start && isLatin(w.Str) && isLatin(out[n-1].Str) {
			out[n-1].End = w.End
			out[n-1].Str = text[out[n-1].Start:w.End]
			continue
		}
		out = append(out, w)
	}
	return out
}

// indexStream turns jieba's search-mode words into tokens. Search mode emits
// the coarse cut (the same as default mode) and, before each long word, the
// dictionary words inside it. Sorted by (start, -end), each coarse word comes
// first and owns the words inside it; all of them share its position.
func (s *segmenter) indexStream(text string, words []gojieba.Word) analysis.TokenStream {
	sort.SliceStable(words, func(i, j int) bool {
		if words[i].Start != words[j].Start {
			return words[i].Start < words[j].Start
		}
		return words[i].End > words[j].End
	})
	words = mergeLatin(text, words)
	rv := make(analysis.TokenStream, 0, len(words)+len(words)/4)
	pos := 0
	coarseEnd := -1
	coarseKept := false
	type span struct{ a, b int }
	var seen map[span]bool
	for _, w := range words {
		if w.Start >= coarseEnd {
			// a new coarse word
			coarseEnd = w.End
			coarseKept = hasWordRune(w.Str)
			if !coarseKept {
				continue
			}
			pos++
			rv = append(rv, &analysis.Token{
				Term: []byte(w.Str), Start: w.Start, End: w.End,
				Position: pos, Type: tokenType(w.Str),
			})
			if utf8.RuneCountInString(w.Str) >= 4 && s.maxUser >= 2 {
				if seen == nil {
					seen = map[span]bool{}
				}
				clear(seen)
				for _, sub := range s.userSubwords(w) {
					if !seen[span{sub.Start, sub.End}] {
						seen[span{sub.Start, sub.End}] = true
						rv = append(rv, &analysis.Token{
							Term: []byte(sub.Str), Start: sub.Start, End: sub.End,
							Position: pos, Type: tokenType(sub.Str),
						})
					}
				}
			}
			continue
		}
		if !coarseKept || !hasWordRune(w.Str) {
			continue
		}
		if seen != nil && seen[span{w.Start, w.End}] {
			continue // already emitted from the user dictionary
		}
		rv = append(rv, &analysis.Token{
			Term: []byte(w.Str), Start: w.Start, End: w.End,
			Position: pos, Type: tokenType(w.Str),
		})
	}
	return rv
}

// userSubwords finds the user-dictionary terms of two or more runes inside a
// coarse word (other than the word itself). jieba's search mode only looks
// for 2- and 3-rune sub-words, so without this 八项规定 would not be indexed
// inside 违反中央八项规定精神's coarse word 中央八项规定精神.
func (s *segmenter) userSubwords(w gojieba.Word) []gojieba.Word {
	offs := make([]int, 0, len(w.Str)/3+2)
	for i := range w.Str {
		offs = append(offs, i)
	}
	offs = append(offs, len(w.Str))
	n := len(offs) - 1
	var out []gojieba.Word
	for i := 0; i < n-1; i++ {
		for l := 2; l <= s.maxUser && i+l <= n; l++ {
			if i == 0 && l == n {
				continue
			}
			sub := w.Str[offs[i]:offs[i+l]]
			if _, ok := s.user[sub]; ok {
				out = append(out, gojieba.Word{Str: sub, Start: w.Start + offs[i], End: w.Start + offs[i+l]})
			}
		}
	}
	return out
}

func init() {
	for _, t := range []struct {
		name  string
		index bool
	}{{TokenizerIndex, true}, {TokenizerQuery, false}} {
		index := t.index
		mustRegister(registry.RegisterTokenizer(t.name, func(map[string]interface{}, *registry.Cache) (analysis.Tokenizer, error) {
			s, err := currentSegmenter()
			if err != nil {
				return nil, err
			}
			return &jiebaTokenizer{s: s, index: index}, nil
		}))
	}
	for _, a := range []struct{ name, tokenizer string }{{AnalyzerIndex, TokenizerIndex}, {AnalyzerQuery, TokenizerQuery}} {
		tokName := a.tokenizer
		mustRegister(registry.RegisterAnalyzer(a.name, func(_ map[string]interface{}, cache *registry.Cache) (analysis.Analyzer, error) {
			tok, err := cache.TokenizerNamed(tokName)
			if err != nil {
				return nil, err
			}
			width, err := cache.TokenFilterNamed(cjk.WidthName)
			if err != nil {
				return nil, err
			}
			lower, err := cache.TokenFilterNamed(lowercase.Name)
			if err != nil {
				return nil, err
			}
			return &analysis.DefaultAnalyzer{Tokenizer: tok, TokenFilters: []analysis.TokenFilter{width, lower}}, nil
		}))
	}
}

func mustRegister(err error) {
	if err != nil {
		panic(err)
	}
}
