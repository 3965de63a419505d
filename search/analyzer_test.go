package search

import (
	"fmt"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"
)

func analyzerNamed(t *testing.T, name string) analysis.Analyzer {
	t.Helper()
	testSegmenter(t)
	a, err := registry.NewCache().AnalyzerNamed(name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// tok renders a token as term@position[start,end).
func tok(t *analysis.Token) string {
	return fmt.Sprintf("%s@%d[%d,%d)", t.Term, t.Position, t.Start, t.End)
}

func TestAnalyzerTokenStreams(t *testing.T) {
	tests := []struct {
		analyzer string
		in       string
		want     []string
	}{
		{AnalyzerQuery, "谈话函询", []string{"谈话函询@1[0,12)"}},
		{AnalyzerIndex, "谈话函询", []string{"谈话函询@1[0,12)", "谈话@1[0,6)", "函询@1[6,12)"}},
		{AnalyzerQuery, "国办发〔2024〕1号", []string{"国办发@1[0,9)", "2024@2[12,16)", "1@3[19,20)", "号@4[20,23)"}},
		{AnalyzerIndex, "国办发〔2024〕1号", []string{"国办发@1[0,9)", "国办@1[0,6)", "办发@1[3,9)", "2024@2[12,16)", "1@3[19,20)", "号@4[20,23)"}},
		{AnalyzerQuery, "关于印发《纪检监察机关派驻机构工作规则》的通知", []string{
			"关于@1[0,6)", "印发@2[6,12)", "纪检监察机关@3[15,33)", "派驻机构@4[33,45)", "工作@5[45,51)", "规则@6[51,57)", "的@7[60,63)", "通知@8[63,69)"}},
		{AnalyzerIndex, "关于印发《纪检监察机关派驻机构工作规则》的通知", []string{
			"关于@1[0,6)", "印发@2[6,12)",
			"纪检监察机关@3[15,33)", "纪检监察@3[15,27)", "纪检@3[15,21)", "监察@3[21,27)", "机关@3[27,33)",
			"派驻机构@4[33,45)", "派驻@4[33,39)", "机构@4[39,45)",
			"工作@5[45,51)", "规则@6[51,57)", "的@7[60,63)", "通知@8[63,69)"}},
		// user-dictionary words longer than 3 runes inside a coarse word
		{AnalyzerIndex, "违反中央八项规定精神", []string{
			"违反@1[0,6)", "中央八项规定精神@2[6,30)", "中央八项规定@2[6,24)", "八项规定@2[12,24)", "八项规定精神@2[12,30)",
			"中央@2[6,12)", "八项@2[12,18)", "规定@2[18,24)", "精神@2[24,30)"}},
		// full-width letters fold, case folds, offsets stay those of the input
		{AnalyzerQuery, "ＡＢＣ公司 Hello", []string{"abc@1[0,9)", "公司@2[9,15)", "hello@3[16,21)"}},
		{AnalyzerIndex, "２０24年", []string{"2024@1[0,8)", "年@2[8,11)"}},
		// NUL and invalid UTF-8 never shift offsets
		{AnalyzerQuery, "谈话\x00函询\xff三重一大", []string{"谈话@1[0,6)", "函询@2[7,13)", "三重一大@3[14,26)"}},
	}
	for _, tt := range tests {
		t.Run(tt.analyzer+"/"+tt.in, func(t *testing.T) {
			a := analyzerNamed(t, tt.analyzer)
			var got []string
			for _, tk := range a.Analyze([]byte(tt.in)) {
				got = append(got, tok(tk))
				if !strings.EqualFold(string(tk.Term), narrow(tt.in[tk.Start:tk.End])) {
					t.Errorf("token %s: offsets point at %q", tok(tk), tt.in[tk.Start:tk.End])
				}
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("\n got  %s\n want %s", strings.Join(got, " "), strings.Join(tt.want, " "))
			}
		})
	}
}

// Every sub-word sits inside the word that owns its position, and positions
// grow by one per coarse word: what phrase queries rely on.
func TestIndexPositionsNest(t *testing.T) {
	a := analyzerNamed(t, AnalyzerIndex)
	q := analyzerNamed(t, AnalyzerQuery)
	text := "经研究，决定对驻在部门党组成员王晓明同志进行谈话函询，并在党风廉政意见回复中如实说明违反中央八项规定精神问题线索的初步核实情况。"
	idx := a.Analyze([]byte(text))
	coarse := map[int]*analysis.Token{}
	for _, tk := range q.Analyze([]byte(text)) {
		coarse[tk.Position] = tk
	}
	for _, tk := range idx {
		c := coarse[tk.Position]
		if c == nil || tk.Start < c.Start || tk.End > c.End {
			t.Errorf("index token %s is not inside query token at position %d", tok(tk), tk.Position)
		}
	}
	if len(coarse) == 0 || len(idx) <= len(coarse) {
		t.Fatalf("expected sub-words: %d index tokens, %d coarse", len(idx), len(coarse))
	}
}

func TestUserDictionary(t *testing.T) {
	data, err := embeddedDict("dict/user.dict.utf8")
	if err != nil {
		t.Fatal(err)
	}
	terms := userTerms(data)
	if len(terms) < 200 {
		t.Fatalf("user dictionary has %d terms, want at least 200", len(terms))
	}
	seen := map[string]bool{}
	for _, term := range terms {
		if seen[term] {
			t.Errorf("duplicate term %s", term)
		}
		seen[term] = true
	}
	q := analyzerNamed(t, AnalyzerQuery)
	for _, term := range []string{"谈话函询", "三重一大", "纪检监察", "派驻机构", "驻在部门", "问题线索", "初步核实",
		"审查调查", "诫勉谈话", "党风廉政", "廉政档案", "一岗双责", "四风", "八项规定", "一案双查", "巡察反馈",
		"函询通知书", "监察建议", "纪律检查建议", "第一种形态"} {
		if !seen[term] {
			t.Errorf("%s missing from the user dictionary", term)
		}
		toks := q.Analyze([]byte(term))
		if len(toks) != 1 || string(toks[0].Term) != term {
			var got []string
			for _, tk := range toks {
				got = append(got, string(tk.Term))
			}
			t.Errorf("%s segments as %v, want one word", term, got)
		}
	}
}
