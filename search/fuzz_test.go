package search

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

var (
	fuzzOnce sync.Once
	fuzzIx   *Index
)

// FuzzParseQuery: no query string makes parsing, compiling, searching or
// highlighting panic; every failure is a *QueryError.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{
		"谈话函询 -诫勉谈话", "三重一大 OR 八项规定", `"违反中央八项规定精神" 人员:张三`, `文号:"国办发〔2024〕1号"`,
		"(a OR (b -c)) AND d", `“未闭合`, "人员：", "- - -", "OR", "NOT NOT x", "档号:Z109-WS·2024-*", "\x00\xff",
		"纪", "(((", ")))", `""`, "a|b", "&& ||", "case:JJ-2024-007 -person:赵六",
	} {
		f.Add(s)
	}
	testSegmenter(f)
	fuzzOnce.Do(func() {
		ix, err := Open(f.TempDir(), Options{})
		if err != nil {
			f.Fatal(err)
		}
		if err := ix.Index(context.Background(), fixture()...); err != nil {
			f.Fatal(err)
		}
		fuzzIx = ix
	})
	f.Fuzz(func(t *testing.T, q string) {
		r, err := fuzzIx.Search(context.Background(), Request{Q: q}, allUnits)
		if err != nil {
			var qe *QueryError
			if !errors.As(err, &qe) {
				t.Fatalf("q=%q: %v is not a *QueryError", q, err)
			}
			return
		}
		for _, h := range r.Hits {
			for _, s := range append(h.Highlights["title"], h.Highlights["body"]...) {
				if !utf8.ValidString(s) || strings.Count(s, "<mark>") != strings.Count(s, "</mark>") {
					t.Fatalf("q=%q: bad highlight %q", q, s)
				}
			}
		}
	})
}

// FuzzAnalyzers: the jieba tokenizers never panic and every token's offsets
// lie inside the input on character boundaries.
func FuzzAnalyzers(f *testing.F) {
	for _, s := range []string{"关于印发《纪检监察机关派驻机构工作规则》的通知", "国办发〔2024〕1号", "\x00谈话\xff函询", "ＡＢＣ2０24", "😀中文"} {
		f.Add(s)
	}
	s := testSegmenter(f)
	f.Fuzz(func(t *testing.T, in string) {
		for _, tz := range []*jiebaTokenizer{{s: s, index: true}, {s: s}} {
			last := 0
			for _, tk := range tz.Tokenize([]byte(in)) {
				if tk.Start < 0 || tk.End > len(in) || tk.Start >= tk.End {
					t.Fatalf("%q: token %s out of range", in, tok(tk))
				}
				if string(tk.Term) != in[tk.Start:tk.End] || !utf8.Valid(tk.Term) {
					t.Fatalf("%q: token %s does not match its offsets", in, tok(tk))
				}
				if tk.Position < last || tk.Position > last+1 {
					t.Fatalf("%q: position jumps to %d after %d", in, tk.Position, last)
				}
				last = tk.Position
			}
		}
		// the exact analyzer: offsets on character boundaries, one
		// position per letter or digit, no term longer than two runes + edge
		last := 0
		for _, tk := range (exactAnalyzer{}).Analyze([]byte(in)) {
			if tk.Start < 0 || tk.End > len(in) || tk.Start >= tk.End || !utf8.ValidString(in[tk.Start:tk.End]) {
				t.Fatalf("%q: exact token %s out of range", in, tok(tk))
			}
			if tk.Position < last || tk.Position > last+1 || utf8.RuneCount(tk.Term) > 2 {
				t.Fatalf("%q: exact token %s after position %d", in, tok(tk), last)
			}
			last = tk.Position
		}
	})
}
