package search

import (
	"context"
	"html"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestHighlighter(t *testing.T) {
	tests := []struct {
		marks []string
		text  string
		title string
		body  []string
	}{
		// overlapping search-mode words are marked once
		{[]string{"纪检监察", "纪检", "监察"}, "纪检监察机关", "<mark>纪检监察</mark>机关", nil},
		{[]string{"纪检", "检监"}, "纪检监察", "<mark>纪检监</mark>察", nil},
		// touching matches merge
		{[]string{"纪检", "监察"}, "纪检监察", "<mark>纪检监察</mark>", nil},
		// everything else is escaped, even around a match
		{[]string{"script"}, "<script>alert(1)</script>", "&lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt;", nil},
		{[]string{"强化"}, "要<b>强化</b>监督&", "要&lt;b&gt;<mark>强化</mark>&lt;/b&gt;监督&amp;", nil},
		// case, width and punctuation between characters are ignored, like the bigram phrase
		{[]string{"八项规定 精神"}, "八项规定，精神", "<mark>八项规定，精神</mark>", nil},
		{[]string{"abc2024"}, "ＡＢＣ２０２４号", "<mark>ＡＢＣ２０２４</mark>号", nil},
		{[]string{"纪检监察"}, "纪检、监察", "", nil},
		{[]string{"不存在"}, "纪检监察", "", nil},
		// 4-byte runes survive
		{[]string{"监察"}, "😀监察😀", "😀<mark>监察</mark>😀", nil},
	}
	for _, tt := range tests {
		h := newHighlighter(exactMarks(tt.marks...), 100, 3)
		if got := h.title(tt.text); got != tt.title {
			t.Errorf("%v in %q:\n got  %s\n want %s", tt.marks, tt.text, got, tt.title)
		}
	}
}

func TestFragments(t *testing.T) {
	long := strings.Repeat("前言部分没有要找的内容。", 20) + "第一处谈话函询在这里。" +
		strings.Repeat("中间也没有。", 40) + "第二处<谈话函询>和纪检监察在这里。" + strings.Repeat("结尾。", 30)
	h := newHighlighter(exactMarks("谈话函询", "纪检监察", "纪检"), 40, 2)
	frags := h.fragments(long)
	if len(frags) != 2 {
		t.Fatalf("got %d fragments: %q", len(frags), frags)
	}
	for _, f := range frags {
		if !utf8.ValidString(f) {
			t.Errorf("fragment cuts a character: %q", f)
		}
		if strings.Count(f, "<mark>") != strings.Count(f, "</mark>") || strings.Contains(f, "<mark><mark>") {
			t.Errorf("bad marks: %q", f)
		}
		if strings.Contains(f, "<谈") {
			t.Errorf("unescaped text: %q", f)
		}
		plain := html.UnescapeString(strings.NewReplacer("<mark>", "", "</mark>", "").Replace(f))
		if utf8.RuneCountInString(plain) > 40+2 {
			t.Errorf("fragment too long (%d runes): %q", utf8.RuneCountInString(f), f)
		}
	}
	if !strings.HasPrefix(frags[0], "…第一处<mark>谈话函询</mark>") {
		t.Errorf("first fragment %q", frags[0])
	}
	if !strings.Contains(frags[1], "&lt;<mark>谈话函询</mark>&gt;和<mark>纪检监察</mark>") {
		t.Errorf("second fragment %q", frags[1])
	}
	// a match longer than the window is never cut
	h = newHighlighter(exactMarks(strings.Repeat("纪", 50)), 10, 1)
	f := h.fragments("开头" + strings.Repeat("纪", 50) + "结尾")
	if len(f) != 1 || !strings.Contains(f[0], "<mark>"+strings.Repeat("纪", 50)+"</mark>") {
		t.Errorf("long match cut: %q", f)
	}
}

// Highlights through Search: title and body, never a negated term.
func TestSearchHighlights(t *testing.T) {
	ix := openTest(t, Options{}, fixture()...)
	r := mustSearch(t, ix, Request{Q: "纪检监察 -谈话函询"}, allUnits)
	if len(r.Hits) != 1 || r.Hits[0].ID != "x1" {
		t.Fatalf("hits %v", ids(r))
	}
	hl := r.Hits[0].Highlights
	if want := []string{"&lt;script&gt;alert(1)&lt;/script&gt;<mark>纪检监察</mark>工作要点"}; !slices.Equal(hl["title"], want) {
		t.Errorf("title %q", hl["title"])
	}
	if want := []string{"<mark>纪检监察</mark>机关要&lt;b&gt;强化&lt;/b&gt;政治监督。纪检、监察两项职能贯通。"}; !slices.Equal(hl["body"], want) {
		t.Errorf("body %q", hl["body"])
	}
	r = mustSearch(t, ix, Request{Q: `"八项规定精神" -诫勉谈话`}, allUnits)
	for _, h := range r.Hits {
		for _, s := range append(h.Highlights["title"], h.Highlights["body"]...) {
			if strings.Contains(s, "<mark>诫勉") {
				t.Errorf("negated term marked: %q", s)
			}
		}
		if len(h.Highlights["body"]) == 0 && len(h.Highlights["title"]) == 0 {
			t.Errorf("%s: no highlight", h.ID)
		}
	}
	if _, err := ix.Search(context.Background(), Request{Q: "谈话函询"}, allUnits); err != nil {
		t.Fatal(err)
	}
}

// exactMarks is one mark group per string, each an exact needle.
func exactMarks(ss ...string) []markGroup {
	var out []markGroup
	for _, s := range ss {
		out = append(out, markGroup{exact: []string{s}})
	}
	return out
}
