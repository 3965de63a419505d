package search

import (
	"html"
	"sort"
	"strings"
	"unicode"
)

// highlighter marks the strings a query looked for in stored text. It works
// on runes, so it never cuts a UTF-8 character, and it merges overlapping or
// touching matches (纪检监察 / 纪检 / 监察) into one <mark>. Matching ignores
// case and full-width forms, and treats any run of non-letters as one
// separator, as the bigram phrase search does (see sepRune).
type highlighter struct {
	groups    []needleGroup
	fragRunes int
	maxFrags  int
}

// markGroup is what one positive leaf of a query looks for: exact strings
// (the term and its synonyms), and words that a record may match it by
// instead (a bare term's jieba words), marked only in a text where none of
// the exact strings occurs.
type markGroup struct {
	exact, words []string
}

type needleGroup struct {
	exact, words [][]rune
}

const (
	markOpen   = "<mark>"
	markClose  = "</mark>"
	maxSpans   = 2000
	ellipsis   = "…"
	minNeedle  = 1
	maxNeedles = 64
)

func foldRune(r rune) rune {
	if r >= 0xFF01 && r <= 0xFF5E {
		r -= 0xFEE0
	}
	return unicode.ToLower(r)
}

// sepRune stands for a run of anything that is not a letter or digit: like
// the bigram field, "八项规定 精神" matches 八项规定，精神 but "纪检监察" does
// not match 纪检、监察.
const sepRune rune = -1

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }

func newHighlighter(marks []markGroup, fragRunes, maxFrags int) *highlighter {
	h := &highlighter{fragRunes: fragRunes, maxFrags: maxFrags}
	total := 0
	for _, m := range marks {
		g := needleGroup{exact: needles(m.exact), words: needles(m.words)}
		if n := len(g.exact) + len(g.words); n > 0 && total+n <= maxNeedles {
			total += n
			h.groups = append(h.groups, g)
		}
	}
	return h
}

// needles folds strings as the exact fields do: runes folded, every run
// of non-letters one sepRune, none at either end; duplicates and empty
// ones dropped.
func needles(ss []string) [][]rune {
	var out [][]rune
	seen := map[string]bool{}
	for _, m := range ss {
		var n []rune
		for _, r := range m {
			if r = foldRune(r); isWordRune(r) {
				n = append(n, r)
			} else if len(n) > 0 && n[len(n)-1] != sepRune {
				n = append(n, sepRune)
			}
		}
		if len(n) > 0 && n[len(n)-1] == sepRune {
			n = n[:len(n)-1]
		}
		if len(n) < minNeedle || seen[string(n)] {
			continue
		}
		seen[string(n)] = true
		out = append(out, n)
	}
	return out
}

type rspan struct{ a, b int } // rune indexes, [a, b)

// spans finds, for each group, every exact needle in text, or when there
// is none, every word needle, and returns merged, sorted rune spans.
func (h *highlighter) spans(text []rune) []rspan {
	if len(h.groups) == 0 {
		return nil
	}
	proj := make([]rune, 0, len(text))
	idx := make([]int, 0, len(text))
	for i, r := range text {
		if r = foldRune(r); isWordRune(r) {
			proj = append(proj, r)
			idx = append(idx, i)
		} else if len(proj) > 0 && proj[len(proj)-1] != sepRune {
			proj = append(proj, sepRune)
			idx = append(idx, i)
		}
	}
	var out []rspan
	for _, g := range h.groups {
		n := len(out)
		out = findNeedles(out, g.exact, proj, idx)
		if len(out) == n {
			out = findNeedles(out, g.words, proj, idx)
		}
	}
	if len(out) == 0 {
		return nil
	}
	sort.Slice(out, func(i, j int) bool { return out[i].a < out[j].a })
	merged := out[:1]
	for _, s := range out[1:] {
		last := &merged[len(merged)-1]
		if s.a <= last.b { // overlapping or touching
			last.b = max(last.b, s.b)
			continue
		}
		merged = append(merged, s)
	}
	return merged
}

// findNeedles appends the spans (in text runes, through idx) of every
// occurrence of a needle in the projected text proj.
func findNeedles(out []rspan, ns [][]rune, proj []rune, idx []int) []rspan {
	for _, n := range ns {
		for i := 0; i+len(n) <= len(proj) && len(out) < maxSpans; i++ {
			if proj[i] != n[0] {
				continue
			}
			ok := true
			for k := 1; k < len(n); k++ {
				if proj[i+k] != n[k] {
					ok = false
					break
				}
			}
			if ok {
				out = append(out, rspan{idx[i], idx[i+len(n)-1] + 1})
			}
		}
	}
	return out
}

// render writes text[a:b] escaped, with the spans inside it marked.
func render(b *strings.Builder, text []rune, a, e int, spans []rspan) {
	pos := a
	for _, s := range spans {
		if s.b <= a || s.a >= e {
			continue
		}
		sa, sb := max(s.a, a), min(s.b, e)
		writeEscaped(b, text[pos:sa])
		b.WriteString(markOpen)
		writeEscaped(b, text[sa:sb])
		b.WriteString(markClose)
		pos = sb
	}
	writeEscaped(b, text[pos:e])
}

// writeEscaped escapes HTML and folds line breaks and tabs into spaces.
func writeEscaped(b *strings.Builder, rs []rune) {
	s := strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		return r
	}, string(rs))
	b.WriteString(html.EscapeString(s))
}

// title returns the whole title with its matches marked, or "" when nothing
// in it matched.
func (h *highlighter) title(s string) string {
	text := []rune(s)
	spans := h.spans(text)
	if len(spans) == 0 {
		return ""
	}
	var b strings.Builder
	render(&b, text, 0, len(text), spans)
	return b.String()
}

// fragments returns up to maxFrags windows of about fragRunes runes around
// the densest matches in s, in text order. A window never cuts a match.
func (h *highlighter) fragments(s string) []string {
	text := []rune(s)
	spans := h.spans(text)
	if len(spans) == 0 {
		return []string{}
	}
	type frag struct{ a, e, n int }
	var frags []frag
	lead := h.fragRunes / 5
	prevEnd := 0
	for i := 0; i < len(spans); {
		a := max(prevEnd, spans[i].a-lead)
		// start after a sentence break in the lead-in when there is one
		for k := spans[i].a - 1; k > a; k-- {
			if strings.ContainsRune("。；！？\n", text[k]) {
				a = k + 1
				break
			}
		}
		e := min(len(text), a+h.fragRunes)
		e = max(e, spans[i].b)
		n := 0
		j := i
		for ; j < len(spans) && spans[j].a < e; j++ {
			e = max(e, spans[j].b) // never cut a match
			n++
		}
		frags = append(frags, frag{a, e, n})
		prevEnd = e
		i = j
	}
	sort.SliceStable(frags, func(i, j int) bool { return frags[i].n > frags[j].n })
	if len(frags) > h.maxFrags {
		frags = frags[:h.maxFrags]
	}
	sort.Slice(frags, func(i, j int) bool { return frags[i].a < frags[j].a })
	out := make([]string, 0, len(frags))
	for _, f := range frags {
		var b strings.Builder
		if f.a > 0 {
			b.WriteString(ellipsis)
		}
		render(&b, text, f.a, f.e, spans)
		if f.e < len(text) {
			b.WriteString(ellipsis)
		}
		out = append(out, b.String())
	}
	return out
}

// active reports whether there is anything to mark.
func (h *highlighter) active() bool { return len(h.groups) > 0 }
