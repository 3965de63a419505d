package search

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"unicode"
)

// The random-substring property (issue 12 item 2): every record that
// contains a string verbatim is found by it, typed bare and in quotes.

// substringSentences are extra sentences of the property corpus: digits
// next to Han, Latin letters, quotation marks and brackets of every kind.
var substringSentences = []func(r *rand.Rand) string{
	func(r *rand.Rand) string { return fmt.Sprintf("请于%d日内报送整改情况。", 5+r.Intn(56)) },
	func(r *rand.Rand) string { return fmt.Sprintf("%d年度工作要点已印发。", 2019+r.Intn(8)) },
	func(r *rand.Rand) string {
		return fmt.Sprintf("应在%d个工作日内作出书面说明。", 5+r.Intn(26))
	},
	func(r *rand.Rand) string {
		return fmt.Sprintf("涉及A股上市公司%d家、H股%d家。", 1+r.Intn(9), r.Intn(5))
	},
	func(r *rand.Rand) string {
		return fmt.Sprintf("涉案金额%d.%d万元，已全部退缴。", 1+r.Intn(500), r.Intn(10))
	},
	func(r *rand.Rand) string {
		return "深化“" + []string{"三转", "四风", "三重一大", "两个维护", "一岗双责"}[r.Intn(5)] + "”要求落实。"
	},
	func(r *rand.Rand) string {
		return fmt.Sprintf("依据《监督执纪工作规则》第%d条（第%d款）处理。", 1+r.Intn(80), 1+r.Intn(4))
	},
	func(r *rand.Rand) string {
		return "通过" + []string{"ERP系统", "PPP项目", "OA平台", "QQ群", "App"}[r.Intn(5)] + "收集线索，共" + fmt.Sprint(10+r.Intn(90)) + "条。"
	},
	func(r *rand.Rand) string {
		return fmt.Sprintf("第%d季度完成率达%d%%，较上年提高%d个百分点。", 1+r.Intn(4), 50+r.Intn(50), 1+r.Intn(20))
	},
	func(r *rand.Rand) string {
		return fmt.Sprintf("〔%d〕%d号文件要求：“立行立改、即知即改”。", 2020+r.Intn(6), 1+r.Intn(30))
	},
	func(r *rand.Rand) string {
		return "总承包单位对项目开展抽检查验，落实监督检查意见。"
	},
	func(r *rand.Rand) string {
		return fmt.Sprintf("GB/T %d—%d规定的格式；Ｖ%d版。", 9000+r.Intn(900), 2012+r.Intn(10), 1+r.Intn(9))
	},
}

// genSubstringCorpus is the quality generator's records with one to three
// substringSentences appended to each body, from a fixed seed.
func genSubstringCorpus(n int) []Doc {
	r := rand.New(rand.NewSource(12012))
	var out []Doc
	for _, g := range genCorpus(n) {
		d := g.Doc
		for k := 1 + r.Intn(3); k > 0; k-- {
			d.Body += substringSentences[r.Intn(len(substringSentences))](r)
		}
		if r.Intn(3) == 0 {
			d.Title += "（" + substringSentences[r.Intn(len(substringSentences))](r) + "）"
		}
		out = append(out, d)
	}
	return out
}

// queryUnsafe are runes a drawn string may not hold: they are query syntax
// (quotes, parentheses, spaces, field colons, OR bars) or line breaks.
func queryUnsafe(r rune) bool {
	return isQuote(r) || r == '(' || r == ')' || r == ':' || r == '：' || r == '|' || r == '&' || unicode.IsSpace(r)
}

// drawSubstrings draws k strings of 2–8 runes from the records' title,
// body and meta: a third starting or ending beside punctuation or a
// quotation mark, a third holding a digit or Latin letter where the record
// has one, the rest anywhere. Each starts and ends with a letter or digit
// and holds no query syntax.
func drawSubstrings(r *rand.Rand, docs []Doc, k int) []string {
	var out []string
	seen := map[string]bool{}
	for tries := 0; len(out) < k && tries < 200*k; tries++ {
		d := docs[r.Intn(len(docs))]
		texts := []string{d.Title, d.Body, d.fields()[fMeta].(string)}
		text := []rune(texts[r.Intn(len(texts))])
		n := 2 + r.Intn(7)
		if len(text) < n {
			continue
		}
		a := r.Intn(len(text) - n + 1)
		switch len(out) % 3 {
		case 0: // beside punctuation or a quotation mark
			if !(a > 0 && !isWordRune(text[a-1])) && !(a+n < len(text) && !isWordRune(text[a+n])) {
				continue
			}
		case 1: // a digit or a Latin letter inside
			if !strings.ContainsFunc(string(text[a:a+n]), func(r rune) bool { return r < 0x3000 && isWordRune(r) }) {
				continue
			}
		}
		s := text[a : a+n]
		if !isWordRune(s[0]) || !isWordRune(s[len(s)-1]) || strings.ContainsFunc(string(s), queryUnsafe) {
			continue
		}
		if str := string(s); !seen[str] {
			seen[str] = true
			out = append(out, str)
		}
	}
	return out
}

// substringRecall is the share of (string, visible record containing it)
// pairs a search returns, bare and quoted, and the share of quoted hits
// that contain the string (separators matching any separator).
type substringRecall struct {
	strings, pairs                int
	bare, quoted, quotedPrecision float64
	missed                        []string
}

func measureSubstrings(tb testing.TB, ix *Index, docs []Doc, v Viewer, subs []string) substringRecall {
	units := map[string]bool{}
	for _, u := range v.Units {
		units[u] = true
	}
	rank := classRank(v.Clearance)
	byID := map[string]*Doc{}
	for i := range docs {
		byID[docs[i].ID] = &docs[i]
	}
	var sr substringRecall
	var bareHits, quotedHits, quotedReturned, quotedRight int
	for _, s := range subs {
		want := map[string]bool{}
		for _, d := range docs {
			if units[d.Unit] && classRank(d.Classification) <= rank &&
				(strings.Contains(d.Title, s) || strings.Contains(d.Body, s) || strings.Contains(d.fields()[fMeta].(string), s)) {
				want[d.ID] = true
			}
		}
		if len(want) == 0 {
			continue
		}
		sr.strings++
		sr.pairs += len(want)
		for _, q := range []string{s, `"` + s + `"`} {
			got := allHits(tb, ix, q, v)
			found := 0
			for id := range want {
				if got[id] {
					found++
				}
			}
			if found < len(want) {
				sr.missed = append(sr.missed, fmt.Sprintf("%s (%d of %d)", q, found, len(want)))
			}
			if q == s {
				bareHits += found
				continue
			}
			quotedHits += found
			hl := newHighlighter(exactMarks(s), 100, 1)
			for id := range got {
				quotedReturned++
				d := byID[id]
				visible := d != nil && units[d.Unit] && classRank(d.Classification) <= rank
				if want[id] || visible && len(hl.spans([]rune(d.Title+"\n"+d.Body+"\n"+d.fields()[fMeta].(string)))) > 0 {
					quotedRight++
				}
			}
		}
	}
	sr.bare = float64(bareHits) / float64(sr.pairs)
	sr.quoted = float64(quotedHits) / float64(sr.pairs)
	sr.quotedPrecision = 1
	if quotedReturned > 0 {
		sr.quotedPrecision = float64(quotedRight) / float64(quotedReturned)
	}
	return sr
}

// allHits pages through every hit of q and returns the ids found.
func allHits(tb testing.TB, ix *Index, q string, v Viewer) map[string]bool {
	out := map[string]bool{}
	for page := 1; ; page++ {
		r, err := ix.search(context.Background(), Request{Q: q, Size: MaxSize, Page: page}, v, false) // no facets
		if err != nil {
			tb.Fatalf("q=%s: %v", q, err)
		}
		for _, h := range r.Hits {
			out[h.ID] = true
		}
		if len(r.Hits) < MaxSize || page*MaxSize >= MaxWindow {
			return out
		}
	}
}

// TestSubstringProperty draws 400 strings from a corpus of 600 records
// with digits, Latin letters and quotation marks and checks, against a
// brute-force strings.Contains over what the viewer may see, that every
// record holding one is found, bare and quoted.
func TestSubstringProperty(t *testing.T) {
	docs := genSubstringCorpus(600)
	ix := openTest(t, Options{}, docs...)
	v := Viewer{Units: cUnits[:4], Clearance: "秘密"}
	subs := drawSubstrings(rand.New(rand.NewSource(5)), docs, 400)
	if len(subs) < 400 {
		t.Fatalf("drew only %d strings", len(subs))
	}
	sr := measureSubstrings(t, ix, docs, v, subs)
	t.Logf("%d strings, %d (string, record) pairs: bare %.3f, quoted %.3f, quoted precision %.3f", sr.strings, sr.pairs, sr.bare, sr.quoted, sr.quotedPrecision)
	if sr.strings < 300 || sr.bare < 1 || sr.quoted < 1 || sr.quotedPrecision < 1 {
		t.Errorf("substring recall bare %.3f, quoted %.3f, quoted precision %.3f over %d strings; missed %q",
			sr.bare, sr.quoted, sr.quotedPrecision, sr.strings, sr.missed[:min(20, len(sr.missed))])
	}
}
