package search

import (
	"slices"
	"strings"
	"testing"
)

func TestExactAnalyzer(t *testing.T) {
	a := analyzerNamed(t, AnalyzerExact)
	in := "“三转”，30日内Ａ股"
	var got []string
	for _, tk := range a.Analyze([]byte(in)) {
		got = append(got, strings.ReplaceAll(tok(tk), runEdge, "|"))
	}
	// 三 starts a run: |三 beside its bigram; 转 ends one: 转|; full-width Ａ folds to a
	want := []string{
		"|三@1[3,6)", "三转@1[3,9)", "转|@2[6,9)",
		"|3@3[15,16)", "30@3[15,17)", "0日@4[16,20)", "日内@5[17,23)", "内a@6[20,26)", "a股@7[23,29)", "股|@8[26,29)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("tokens\n got %q\nwant %q", got, want)
	}
	bad := "\x00纪\xff检"
	for _, tk := range a.Analyze([]byte(bad)) {
		if tk.Start < 0 || tk.End > len(bad) || tk.Start >= tk.End {
			t.Errorf("token %s out of range", tok(tk))
		}
	}
}

func TestExactTerms(t *testing.T) {
	tests := []struct {
		in     string
		terms  []string
		single string
	}{
		{"三转", []string{"三转"}, ""},
		{"30日", []string{"30", "0日"}, ""},
		{"Ａ股", []string{"a股"}, ""},
		{"日", nil, "日"},
		{"，日。", nil, "日"},
		{"，。", nil, ""},
		{"八项规定 精神", []string{"八项", "项规", "规定", "定|", "精神"}, ""},
		{"定，精", []string{"定|", "|精"}, ""},
	}
	for _, tt := range tests {
		terms, single := exactTerms(tt.in)
		for i := range terms {
			terms[i] = strings.ReplaceAll(terms[i], runEdge, "|")
		}
		if !slices.Equal(terms, tt.terms) || single != tt.single {
			t.Errorf("%q: got %q %q, want %q %q", tt.in, terms, single, tt.terms, tt.single)
		}
	}
}

// substringFixture holds the strings of issue 12 that jieba cuts
// differently inside a sentence than alone.
func substringFixture() []Doc {
	base := Doc{Unit: "驻财政部纪检监察组", Classification: "内部", Retention: "D30", Kind: "通知", FiledAt: day("2025-03-01")}
	d := func(id, title, body string) Doc {
		x := base
		x.ID, x.Title, x.Body = id, title, body
		return x
	}
	return []Doc{
		d("b1", "关于深化“三转”的通知", "各派驻机构要持续深化“三转”，聚焦监督执纪问责。"),
		d("b2", "工程总承包项目专项检查报告", "对总承包单位开展抽检查验，请于30日内报送整改情况。"),
		d("b3", "2026年度监督检查工作计划", "开展监督检查工作，于15个工作日内完成。对A股上市公司进行检查。"),
		d("b4", "关于三项转变的说明", "三项工作转变：转职能、转方式、转作风。纪检、监察两项职能。"),
	}
}

func TestSubstringExact(t *testing.T) {
	ix := openTest(t, Options{}, substringFixture()...)
	v := Viewer{Units: []string{"驻财政部纪检监察组"}, Clearance: "内部"}
	tests := []struct {
		q    string
		want []string
	}{
		{"三转", []string{"b1"}},
		{"总承", []string{"b2"}},
		{"督检", []string{"b3"}},
		{"30日", []string{"b2"}},
		{"2026年", []string{"b3"}},
		{"15个工作日", []string{"b3"}},
		{"A股", []string{"b3"}},
		{"ａ股", []string{"b3"}},
		{"检查", []string{"b2", "b3"}},
		{"日内", []string{"b2", "b3"}},
		{"转", []string{"b1", "b4"}},
		// separators: any run of punctuation is one separator, and only a separator
		{"转职能 转方式", []string{"b4"}},
		{"纪检监察", nil},
		{"纪检、监察", []string{"b4"}},
		{"三转 -总承", []string{"b1"}},
		{"总承 OR 督检", []string{"b2", "b3"}},
	}
	for _, tt := range tests {
		for _, q := range []string{tt.q, `"` + tt.q + `"`} {
			if strings.ContainsAny(tt.q, "-") || strings.Contains(tt.q, " OR ") {
				if q != tt.q {
					continue
				}
			}
			got := ids(mustSearch(t, ix, Request{Q: q}, v))
			if !slices.Equal(got, tt.want) {
				t.Errorf("q=%s: got %v, want %v", q, got, tt.want)
			}
		}
	}
}

// A record where the term is a whole jieba word ranks above one where it is
// only a substring (检查 is a word in 进行检查, not in 抽检查验), and the
// highlight marks exactly the matched characters.
func TestWholeWordRanksFirst(t *testing.T) {
	base := Doc{Unit: "u", Classification: "公开", Retention: "Y", FiledAt: day("2025-01-01")}
	a, b := base, base
	a.ID, a.Title, a.Body = "word", "情况说明", "对项目抽检查验后进行检查。"
	b.ID, b.Title, b.Body = "sub", "情况说明", "对项目抽检查验，其余另行安排。"
	b.FiledAt = day("2025-02-01") // newer: wins a tie
	ix := openTest(t, Options{}, a, b)
	r := mustSearch(t, ix, Request{Q: "检查"}, Viewer{Units: []string{"u"}})
	if len(r.Hits) != 2 || r.Hits[0].ID != "word" {
		t.Fatalf("order %v", r.Hits)
	}
	if r.Hits[0].Score <= r.Hits[1].Score {
		t.Errorf("scores %v ≤ %v", r.Hits[0].Score, r.Hits[1].Score)
	}
	if got, want := r.Hits[1].Highlights["body"], []string{"对项目抽<mark>检查</mark>验，其余另行安排。"}; !slices.Equal(got, want) {
		t.Errorf("highlight %q, want %q", got, want)
	}
	r = mustSearch(t, ix, Request{Q: "督检 OR 查验"}, Viewer{Units: []string{"u"}})
	if got := r.Hits[0].Highlights["body"]; len(got) != 1 || !strings.Contains(got[0], "抽检<mark>查验</mark>") {
		t.Errorf("highlight %q", got)
	}
}
