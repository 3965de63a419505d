package search

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestShippedSynonyms(t *testing.T) {
	s, err := loadSynonyms("")
	if err != nil {
		t.Fatal(err)
	}
	groups := 0
	for _, line := range strings.Split(string(shippedSynonyms), "\n") {
		if f := strings.Fields(strings.SplitN(line, "#", 2)[0]); len(f) >= 2 {
			groups++
		}
	}
	if groups < 30 {
		t.Errorf("%d groups shipped, want 30 or more", groups)
	}
	tests := []struct {
		term string
		want []string
	}{
		{"纪委", []string{"纪律检查委员会"}},
		{"纪律检查委员会", []string{"纪委"}},
		{"监委", []string{"监察委员会"}},
		{"市纪委", []string{"市纪律检查委员会"}},
		{"纪委监委", []string{"纪律检查委员会监察委员会"}}, // the longest form, not 纪委 + 监委
		// a form that holds the term adds nothing: 八项规定 finds 中央八项规定精神 literally
		{"八项规定", nil},
		{"中央八项规定精神", []string{"八项规定"}},
		{"党风廉政建设", []string{"党风廉政"}},
		{"违反八项规定精神", []string{"违反中央八项规定精神"}}, // not …精神精神
		{"Ｘ纪委", []string{"x纪律检查委员会"}},
		{"谈话函询", nil},
	}
	for _, tt := range tests {
		if got := s.expand(tt.term); !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.term, got, tt.want)
		}
	}
}

func TestSynonymFileErrors(t *testing.T) {
	for _, tt := range []struct{ data, want string }{
		{"纪委 纪律检查委员会\n专班\n", "x.txt:2: a group needs two forms"},
		{"甲 ，。\n", `x.txt:1: "，。" has no letter`},
		{"\xff\xfe", "not UTF-8"},
	} {
		s := &synonymSet{alts: map[string][]string{}}
		err := s.parse("x.txt", []byte(tt.data))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %q", tt.data, err, tt.want)
		}
	}
	s := &synonymSet{alts: map[string][]string{}}
	if err := s.parse("x.txt", []byte("\xef\xbb\xbf# 注释\n专班 攻坚组 # 行尾注释\n\n")); err != nil {
		t.Fatal(err)
	}
	if got := s.expand("专班"); !slices.Equal(got, []string{"攻坚组"}) {
		t.Errorf("专班: %q", got)
	}
}

// A bare term finds the records of its synonyms below its literal hits,
// with the synonym highlighted; an admin's file adds groups, and
// ReloadSynonyms applies a change without a reindex.
func TestSynonymSearch(t *testing.T) {
	dir := t.TempDir()
	synDir := filepath.Join(dir, "synonyms.d")
	if err := os.MkdirAll(synDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(synDir, "10-local.txt"), []byte("专班 攻坚组\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	testSegmenter(t)
	ix, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	base := Doc{Unit: "u", Classification: "公开", Retention: "Y", FiledAt: day("2025-01-01")}
	var docs []Doc
	for _, d := range []struct{ id, body string }{
		{"short", "市纪委对该问题线索进行了初步核实。"},
		{"full", "市纪律检查委员会对该问题线索进行了初步核实，市纪律检查委员会研究决定。"},
		{"other", "监察委员会依法开展调查。"},
		{"team", "成立攻坚组推进整改。"},
	} {
		x := base
		x.ID, x.Title, x.Body = d.id, "情况报告", d.body
		x.FiledAt = x.FiledAt.AddDate(0, 0, len(docs))
		docs = append(docs, x)
	}
	if err := ix.Index(t.Context(), docs...); err != nil {
		t.Fatal(err)
	}
	v := Viewer{Units: []string{"u"}}
	order := func(q string) []string {
		var out []string
		for _, h := range mustSearch(t, ix, Request{Q: q}, v).Hits {
			out = append(out, h.ID)
		}
		return out
	}
	// the literal hit first, although the synonym's record says it twice and is newer
	if got := order("纪委"); !slices.Equal(got, []string{"short", "full"}) {
		t.Errorf("纪委: %v", got)
	}
	if got := order("纪律检查委员会"); !slices.Equal(got, []string{"full", "short"}) {
		t.Errorf("纪律检查委员会: %v", got)
	}
	if got := order(`"纪委"`); !slices.Equal(got, []string{"short"}) {
		t.Errorf(`"纪委" (a phrase is not expanded): %v`, got)
	}
	if got := order("初步核实 -纪委"); len(got) != 0 {
		t.Errorf("初步核实 -纪委: %v", got)
	}
	if got := order("专班"); !slices.Equal(got, []string{"team"}) {
		t.Errorf("专班 (admin group): %v", got)
	}
	r := mustSearch(t, ix, Request{Q: "纪委"}, v)
	if hl := r.Hits[1].Highlights["body"]; len(hl) != 1 || !strings.Contains(hl[0], "市<mark>纪律检查委员会</mark>对") {
		t.Errorf("synonym highlight %q", hl)
	}
	if err := os.WriteFile(filepath.Join(synDir, "10-local.txt"), []byte("调查 核查\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := ix.ReloadSynonyms(); err != nil {
		t.Fatal(err)
	}
	if got := order("专班"); len(got) != 0 {
		t.Errorf("专班 after reload: %v", got)
	}
	if got := ix.Synonyms("核查"); !slices.Equal(got, []string{"调查"}) {
		t.Errorf("Synonyms(核查) %q", got)
	}
	if got := order("核查"); !slices.Equal(got, []string{"other"}) {
		t.Errorf("核查 after reload: %v", got)
	}
	if err := os.WriteFile(filepath.Join(synDir, "20-bad.txt"), []byte("孤词\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := ix.ReloadSynonyms(); err == nil || !strings.Contains(err.Error(), "20-bad.txt:1") {
		t.Errorf("bad file: %v", err)
	}
	if got := order("核查"); !slices.Equal(got, []string{"other"}) {
		t.Errorf("核查 after a failed reload: %v", got)
	}
}

// A synonym held by the term (违规经商 in 违规经商办企业) is found through
// the term's own word as well as verbatim: every record holding either is
// returned, the term's first, and a record that only looks alike is not.
func TestHeldSynonymSearch(t *testing.T) {
	base := Doc{Unit: "u", Classification: "公开", Retention: "Y", FiledAt: day("2025-01-01")}
	var docs []Doc
	for i, d := range []struct{ id, body string }{
		{"term", "反映其违规经商办企业，涉及亲属公司。"},
		{"held", "反映其违规经商，收取干股分红。"},
		{"apart", "反映其违规参与经商活动。"},
	} {
		x := base
		x.ID, x.Title, x.Body = d.id, "问题线索", d.body
		x.FiledAt = x.FiledAt.AddDate(0, 0, i)
		docs = append(docs, x)
	}
	ix := openTest(t, Options{}, docs...)
	var got []string
	for _, h := range mustSearch(t, ix, Request{Q: "违规经商办企业"}, Viewer{Units: []string{"u"}}).Hits {
		got = append(got, h.ID)
	}
	if !slices.Equal(got, []string{"term", "held"}) {
		t.Errorf("违规经商办企业: %v, want [term held]", got)
	}
}

func TestHoldsRun(t *testing.T) {
	for _, tt := range []struct {
		text, s string
		want    bool
	}{
		{"违规经商办企业", "违规经商", true},
		{"违规经商办企业", "办企业", true},
		{"违规经商办企业", "违规 经商", false}, // s needs a separator text lacks
		{"违规 经商", "违规经商", false},
		{"ＡＢ股", "ab", true}, // folded as the exact fields fold
		{"纪委", "纪律检查委员会", false},
		{"", "", false},
	} {
		if got := holdsRun(tt.text, tt.s); got != tt.want {
			t.Errorf("holdsRun(%q, %q) = %v, want %v", tt.text, tt.s, got, tt.want)
		}
	}
}
