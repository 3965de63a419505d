package search

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/search/query"

	"wenshu/internal/testenv"
)

var allUnits = Viewer{Units: []string{"驻财政部纪检监察组", "驻商务部纪检监察组", "第一巡察组"}, Clearance: "机密"}

var day = testenv.Day

func fixture() []Doc {
	base := Doc{Unit: "驻财政部纪检监察组", Classification: "内部", Retention: "D30", Kind: "通知", Template: "tz"}
	d := func(id, title, body string, mod func(*Doc)) Doc {
		x := base
		x.ID, x.Title, x.Body = id, title, body
		x.FiledAt = day("2024-03-01").AddDate(0, 0, len(id)*0)
		if mod != nil {
			mod(&x)
		}
		return x
	}
	return []Doc{
		d("a1", "关于对张三同志进行谈话函询的通知", "经研究，决定对张三同志违反中央八项规定精神的问题线索进行谈话函询。请于收到函询通知书之日起十五个工作日内作出书面说明。", func(x *Doc) {
			x.DocNumber, x.ArchiveCode, x.Persons, x.CaseNo = "驻财纪函〔2024〕3号", "Z109-WS·2024-D30-JJZ-0003", []string{"张三"}, "JJ-2024-007"
			x.Kind, x.Year, x.FiledAt = "函", 2024, day("2024-03-05")
		}),
		d("a2", "关于李四同志诫勉谈话的决定", "李四同志在“三重一大”事项集体决策中落实一岗双责不力，经研究，对其进行诫勉谈话。", func(x *Doc) {
			x.DocNumber, x.Persons, x.CaseNo = "驻财纪发〔2024〕5号", []string{"李四"}, "JJ-2024-008"
			x.Kind, x.Year, x.FiledAt = "决定", 2024, day("2024-04-10")
		}),
		d("a3", "王五同志谈话函询情况报告", "对王五同志进行了谈话函询，本人作了说明。鉴于其违纪情节轻微，另对其进行诫勉谈话。", func(x *Doc) {
			x.Persons, x.Kind, x.Year, x.FiledAt = []string{"王五"}, "报告", 2023, day("2023-11-20")
		}),
		d("a4", "关于八项规定精神落实情况的通报", "各单位要严格落实中央八项规定及其实施细则精神，持续纠治四风问题。", func(x *Doc) {
			x.Kind, x.Year, x.FiledAt, x.Retention = "通报", 2023, day("2023-06-01"), "Y"
		}),
		d("a5", "三重一大事项专项监督报告", "对驻在部门落实“三重一大”集体决策制度情况开展专项监督，发现问题线索2条。", func(x *Doc) {
			x.Kind, x.Year, x.FiledAt = "报告", 2024, day("2024-05-20")
		}),
		// other unit, higher classification: invisible to most viewers
		d("s1", "关于赵六同志谈话函询的请示", "拟对赵六同志进行谈话函询。", func(x *Doc) {
			x.Unit, x.Classification, x.Persons, x.CaseNo = "驻商务部纪检监察组", "秘密", []string{"赵六"}, "JJ-2024-007"
			x.Kind, x.Year, x.FiledAt = "请示", 2024, day("2024-06-01")
		}),
		d("s2", "机密：谈话函询工作预案", "谈话函询工作预案（机密）。", func(x *Doc) {
			x.Classification, x.Kind, x.Year, x.FiledAt = "机密", "预案", 2024, day("2024-06-02")
		}),
		d("x1", "<script>alert(1)</script>纪检监察工作要点", "纪检监察机关要<b>强化</b>政治监督。纪检、监察两项职能贯通。", func(x *Doc) {
			x.Kind, x.Year, x.FiledAt = "要点", 2022, day("2022-01-10")
		}),
	}
}

func ids(r *Result) []string {
	var out []string
	for _, h := range r.Hits {
		out = append(out, h.ID)
	}
	slices.Sort(out)
	return out
}

func mustSearch(t *testing.T, ix *Index, req Request, v Viewer) *Result {
	t.Helper()
	r, err := ix.Search(context.Background(), req, v)
	if err != nil {
		t.Fatalf("search %+v: %v", req, err)
	}
	return r
}

func TestSearchQueries(t *testing.T) {
	ix := openTest(t, Options{}, fixture()...)
	tests := []struct {
		q    string
		want []string
	}{
		{"谈话函询", []string{"a1", "a3", "s1", "s2"}},
		{"函询", []string{"a1", "a3", "s1", "s2"}},
		{"纪检", []string{"x1"}},
		// AND by default, exclusion, OR — with Chinese words
		{"谈话函询 -诫勉谈话", []string{"a1", "s1", "s2"}},
		{"谈话函询 诫勉谈话", []string{"a3"}},
		{"三重一大 OR 八项规定", []string{"a1", "a2", "a4", "a5"}},
		{"(三重一大 OR 八项规定) -通报", []string{"a1", "a2", "a5"}},
		{"三重一大 OR 八项规定 报告", []string{"a5"}},
		{"-谈话函询 -三重一大", []string{"a4", "x1"}},
		{"谈话函询 NOT 赵六", []string{"a1", "a3", "s2"}},
		// exact phrases: only the contiguous text
		{`"违反中央八项规定精神" 人员:张三`, []string{"a1"}},
		{`"违反中央八项规定精神"`, []string{"a1"}},
		{`"八项规定精神"`, []string{"a1", "a4"}},
		{`"中央八项规定精神"`, []string{"a1"}},
		{`“八项规定及其实施细则”`, []string{"a4"}},
		{`"规定精神落实"`, []string{"a4"}},
		{`"张三李四"`, nil},
		{`"谈话函询的通知"`, []string{"a1"}},
		// a bare multi-word term also finds the words apart
		{"违反八项规定精神", []string{"a1"}},
		// field prefixes, Chinese and English, exact and normalised
		{"文号:驻财纪函〔2024〕3号", []string{"a1"}},
		{"doc_number:驻财纪函[2024]3号", []string{"a1"}},
		{"文号：驻财纪函〔2024〕", nil},
		{"档号:Z109-WS·2024-D30-JJZ-0003", []string{"a1"}},
		{"archive_code:z109-ws·2024-*", []string{"a1"}},
		{"人员:李四", []string{"a2"}},
		{"person:李", nil},
		{"案件:JJ-2024-007", []string{"a1", "s1"}},
		{"case:JJ-2024-007 -人员:赵六", []string{"a1"}},
		{`人员:"张三" OR 人员:王五`, []string{"a1", "a3"}},
		// persons and 文号 are found by a bare query too
		{"张三", []string{"a1"}},
		{"驻财纪发〔2024〕5号", []string{"a2"}},
		{"监察", []string{"x1"}},
		{"script", []string{"x1"}},
		// punctuation-only terms are ignored; empty q lists everything
		{"，。", []string{"a1", "a2", "a3", "a4", "a5", "s1", "s2", "x1"}},
		{"", []string{"a1", "a2", "a3", "a4", "a5", "s1", "s2", "x1"}},
		{"不存在的词语组合", nil},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			r := mustSearch(t, ix, Request{Q: tt.q, Size: 50}, allUnits)
			got := ids(r)
			if !slices.Equal(got, tt.want) {
				t.Errorf("q=%q: got %v, want %v", tt.q, got, tt.want)
			}
			if r.Total != uint64(len(tt.want)) {
				t.Errorf("q=%q: total %d, want %d", tt.q, r.Total, len(tt.want))
			}
		})
	}
}

// Positions written by AnalyzerIndex let a phrase analysed by AnalyzerQuery
// match on the jieba field itself, although sub-words share positions.
func TestJiebaFieldPhrase(t *testing.T) {
	ix := openTest(t, Options{}, fixture()...)
	for _, tt := range []struct {
		phrase string
		want   []string
	}{
		{"违反中央八项规定精神的问题线索", []string{"a1"}},
		{"进行谈话函询", []string{"a1", "s1"}}, // a3 has 进行了谈话函询
		{"谈话函询工作预案", []string{"s2"}},
		{"函询工作预案", []string{"s2"}}, // 函询 is a sub-word of 谈话函询, same position
		{"进行诫勉谈话", []string{"a2", "a3"}},
		{"谈话进行", nil},
	} {
		q := query.NewMatchPhraseQuery(tt.phrase)
		q.SetField(fBody)
		q.Analyzer = AnalyzerQuery
		res, err := searchShards(context.Background(), ix.allShards(), bleve.NewSearchRequestOptions(q, 50, 0, false))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, h := range res.Hits {
			got = append(got, h.ID)
		}
		slices.Sort(got)
		if !slices.Equal(got, tt.want) {
			t.Errorf("phrase %q on %s: got %v, want %v", tt.phrase, fBody, got, tt.want)
		}
	}
}

func TestPermissionFilter(t *testing.T) {
	ix := openTest(t, Options{}, fixture()...)
	clerk := Viewer{Units: []string{"驻财政部纪检监察组"}, Clearance: "内部"}
	for _, q := range []string{"谈话函询", "", "赵六", "人员:赵六", "案件:JJ-2024-007", "机密", "谈话函询 OR 赵六"} {
		r := mustSearch(t, ix, Request{Q: q, Size: 100}, clerk)
		for _, h := range r.Hits {
			if h.ID == "s1" || h.ID == "s2" {
				t.Errorf("q=%q: %s visible to a clerk of another unit or lower clearance", q, h.ID)
			}
		}
		if uint64(len(r.Hits)) != r.Total {
			t.Errorf("q=%q: total %d counts %d hits", q, r.Total, len(r.Hits))
		}
		for name, vals := range r.Facets {
			sum := 0
			for _, v := range vals {
				sum += v.Count
				if v.Value == "驻商务部纪检监察组" || v.Value == "秘密" || v.Value == "机密" || v.Value == "预案" || v.Value == "请示" {
					t.Errorf("q=%q: facet %s shows invisible value %s", q, name, v.Value)
				}
			}
			if uint64(sum) != r.Total {
				t.Errorf("q=%q: facet %s counts %d, total %d", q, name, sum, r.Total)
			}
		}
	}
	// the other unit's record appears for its own unit at its clearance only
	r := mustSearch(t, ix, Request{Q: "赵六"}, Viewer{Units: []string{"驻商务部纪检监察组"}, Clearance: "内部"})
	if r.Total != 0 {
		t.Errorf("秘密 record visible at 内部 clearance")
	}
	r = mustSearch(t, ix, Request{Q: "赵六"}, Viewer{Units: []string{"驻商务部纪检监察组"}, Clearance: "秘密"})
	if got := ids(r); !slices.Equal(got, []string{"s1"}) {
		t.Errorf("own unit at 秘密: got %v", got)
	}
	// no units: nothing at all
	r = mustSearch(t, ix, Request{}, Viewer{Clearance: "机密"})
	if r.Total != 0 || len(r.Hits) != 0 || len(r.Facets["unit"]) != 0 {
		t.Errorf("empty Units saw %d records", r.Total)
	}
	// "" clearance is 公开
	r = mustSearch(t, ix, Request{}, Viewer{Units: allUnits.Units})
	if r.Total != 0 {
		t.Errorf("公开 viewer saw %v", ids(r))
	}
	if _, err := ix.Search(context.Background(), Request{}, Viewer{Units: allUnits.Units, Clearance: "绝密"}); !errors.Is(err, ErrBadViewer) {
		t.Errorf("unknown clearance: %v", err)
	}
	// ByPerson / ByCase go through the same filter
	r, err := ix.ByCase(context.Background(), "JJ-2024-007", clerk, 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(r); !slices.Equal(got, []string{"a1"}) {
		t.Errorf("ByCase for clerk: %v", got)
	}
	r, err = ix.ByPerson(context.Background(), "赵六", clerk, 1, 10)
	if err != nil || r.Total != 0 {
		t.Errorf("ByPerson 赵六 for clerk: %v %v", r, err)
	}
}

func TestFiltersSortFacets(t *testing.T) {
	ix := openTest(t, Options{}, fixture()...)
	r := mustSearch(t, ix, Request{Sort: "-filed_at", Size: 3}, allUnits)
	if got := []string{r.Hits[0].ID, r.Hits[1].ID, r.Hits[2].ID}; !slices.Equal(got, []string{"s2", "s1", "a5"}) {
		t.Errorf("-filed_at: %v", got)
	}
	r = mustSearch(t, ix, Request{Sort: "filed_at", Size: 2, Page: 2}, allUnits)
	if got := []string{r.Hits[0].ID, r.Hits[1].ID}; !slices.Equal(got, []string{"a3", "a1"}) || r.Total != 8 {
		t.Errorf("filed_at page 2: %v (total %d)", got, r.Total)
	}
	for _, tt := range []struct {
		req  Request
		want []string
	}{
		{Request{Kind: "报告"}, []string{"a3", "a5"}},
		{Request{Year: 2023}, []string{"a3", "a4"}},
		{Request{Retention: "Y"}, []string{"a4"}},
		{Request{Classification: "秘密"}, []string{"s1"}},
		{Request{Unit: "驻商务部纪检监察组"}, []string{"s1"}},
		{Request{Person: "张三"}, []string{"a1"}},
		{Request{Case: "JJ-2024-007"}, []string{"a1", "s1"}},
		{Request{From: day("2024-04-10"), To: day("2024-05-20")}, []string{"a2", "a5"}},
		{Request{Q: "谈话函询", From: day("2024-01-01")}, []string{"a1", "s1", "s2"}},
	} {
		tt.req.Size = 50
		if got := ids(mustSearch(t, ix, tt.req, allUnits)); !slices.Equal(got, tt.want) {
			t.Errorf("%+v: got %v, want %v", tt.req, got, tt.want)
		}
	}
	r = mustSearch(t, ix, Request{Q: "谈话函询"}, allUnits)
	if len(r.Hits) == 0 || r.Hits[0].Score <= 0 {
		t.Fatalf("no scored hits")
	}
	years := r.Facets["year"]
	if len(years) != 2 || years[0] != (FacetValue{"2024", 3}) || years[1] != (FacetValue{"2023", 1}) {
		t.Errorf("year facet %v", years)
	}
	h := r.Hits[slices.IndexFunc(r.Hits, func(h Hit) bool { return h.ID == "a1" })]
	if h.DocNumber != "驻财纪函〔2024〕3号" || h.ArchiveCode != "Z109-WS·2024-D30-JJZ-0003" || h.Kind != "函" ||
		h.Year != 2024 || h.Unit != "驻财政部纪检监察组" || !h.FiledAt.Equal(day("2024-03-05")) {
		t.Errorf("hit fields: %+v", h)
	}
	js, _ := json.Marshal(r)
	for _, key := range []string{`"total":`, `"took_ms":`, `"doc_number":`, `"archive_code":`, `"filed_at":`, `"highlights":{"body":`, `"facets":{`, `"classification":[`} {
		if !strings.Contains(string(js), key) {
			t.Errorf("JSON lacks %s: %s", key, js)
		}
	}
}

func TestBadRequests(t *testing.T) {
	ix := openTest(t, Options{}, fixture()...)
	tests := []struct {
		req   Request
		field string
		code  string
	}{
		{Request{Q: `"谈话函询`}, "q", CodeUnbalancedQuote},
		{Request{Q: `人员:"张三`}, "q", CodeUnbalancedQuote},
		{Request{Q: `(谈话函询 OR 三重一大`}, "q", CodeUnbalancedParen},
		{Request{Q: `谈话函询)`}, "q", CodeUnbalancedParen},
		{Request{Q: `谈话函询 OR`}, "q", CodeDanglingOperator},
		{Request{Q: `OR 谈话函询`}, "q", CodeDanglingOperator},
		{Request{Q: `谈话函询 -`}, "", ""}, // a lone minus is ignored
		{Request{Q: `人员:`}, "q", CodeEmptyFieldValue},
		{Request{Q: strings.Repeat("纪", 10000)}, "q", CodeQueryTooLong},
		{Request{Q: strings.Repeat("a ", 40)}, "q", CodeTooManyTerms},
		{Request{Q: strings.Repeat("(", 20) + "a" + strings.Repeat(")", 20)}, "q", CodeTooDeep},
		{Request{Q: "\xff\xfe"}, "q", CodeBadEncoding},
		{Request{Size: 100000}, "size", CodeSizeTooLarge},
		{Request{Size: -1}, "size", CodeBadSize},
		{Request{Page: -1}, "page", CodeBadPage},
		{Request{Page: 1000, Size: 100}, "page", CodeBadPage},
		{Request{Sort: "title"}, "sort", CodeBadSort},
		{Request{Year: 24}, "year", CodeBadYear},
		{Request{Classification: "绝密"}, "classification", CodeBadClassification},
		{Request{Retention: "D5"}, "retention", CodeBadRetention},
		{Request{From: day("2024-02-01"), To: day("2024-01-01")}, "from", CodeBadDateRange},
	}
	for _, tt := range tests {
		_, err := ix.Search(context.Background(), tt.req, allUnits)
		if tt.code == "" {
			if err != nil {
				t.Errorf("%+v: %v", tt.req, err)
			}
			continue
		}
		var qe *QueryError
		if !errors.As(err, &qe) {
			t.Errorf("q=%.20q: error %v is not a *QueryError", tt.req.Q, err)
			continue
		}
		if qe.Field != tt.field || qe.Code != tt.code || qe.Message == "" || !strings.HasPrefix(qe.Error(), "search: ") {
			t.Errorf("q=%.20q: got %+v, want %s/%s", tt.req.Q, qe, tt.field, tt.code)
		}
	}
	if _, err := ix.ByPerson(context.Background(), " ", allUnits, 1, 10); err == nil {
		t.Error("ByPerson with no name")
	}
}

func TestIndexLifecycle(t *testing.T) {
	ctx := context.Background()
	ix := openTest(t, Options{BatchSize: 3}, fixture()...)
	if n, err := ix.Count(); err != nil || n != 8 {
		t.Fatalf("count %d %v", n, err)
	}
	if ok, err := ix.Has("a1"); err != nil || !ok {
		t.Errorf("Has(a1) %v %v", ok, err)
	}
	if err := ix.Delete(ctx, "a1", "nope"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := ix.Has("a1"); ok {
		t.Error("a1 still there")
	}
	var all []string
	if err := ix.ForEachID(ctx, func(id string) error { all = append(all, id); return nil }); err != nil {
		t.Fatal(err)
	}
	slices.Sort(all)
	if !slices.Equal(all, []string{"a2", "a3", "a4", "a5", "s1", "s2", "x1"}) {
		t.Errorf("ids %v", all)
	}
	// re-indexing replaces
	d := fixture()[1]
	d.Title = "关于李四同志诫勉谈话的决定（修订）"
	if err := ix.Index(ctx, d); err != nil {
		t.Fatal(err)
	}
	if r := mustSearch(t, ix, Request{Q: "修订"}, allUnits); !slices.Equal(ids(r), []string{"a2"}) {
		t.Errorf("updated doc: %v", ids(r))
	}
	for _, bad := range []Doc{{}, {ID: "b", Unit: "u", Classification: "绝密", Retention: "Y"}, {ID: "b", Unit: "u", Classification: "公开", Retention: "D5"}, {ID: "b", Classification: "公开", Retention: "Y"}} {
		if err := ix.Index(ctx, bad); !errors.Is(err, ErrBadDoc) {
			t.Errorf("bad doc %+v: %v", bad, err)
		}
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Search(ctx, Request{}, allUnits); !errors.Is(err, ErrClosed) {
		t.Errorf("search after close: %v", err)
	}
}

func TestReopenAndNeedsReindex(t *testing.T) {
	testSegmenter(t)
	dir := t.TempDir()
	ctx := context.Background()
	ix, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Index(ctx, fixture()...); err != nil {
		t.Fatal(err)
	}
	if need, err := ix.NeedsReindex(); err != nil || need {
		t.Fatalf("fresh index needs reindex: %v %v", need, err)
	}
	ix.Close()
	// an index built with another dictionary
	if err := writeMeta(filepath.Join(dir, "index"), indexMeta{Schema: schemaVersion, DictHash: "old"}); err != nil {
		t.Fatal(err)
	}
	ix, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if need, _ := ix.NeedsReindex(); !need {
		t.Error("changed dictionary hash not detected")
	}
	if r := mustSearch(t, ix, Request{Q: "谈话函询"}, allUnits); r.Total != 4 {
		t.Errorf("reopened index: total %d", r.Total)
	}
	if err := ix.MarkReindexed(); err != nil {
		t.Fatal(err)
	}
	if need, _ := ix.NeedsReindex(); need {
		t.Error("still needs reindex after MarkReindexed")
	}
	if len(ix.DictionaryHash()) != 64 {
		t.Errorf("hash %q", ix.DictionaryHash())
	}
}

// An index of an older schema keeps its old mapping, so Open starts it
// afresh and NeedsReindex stays true until the records are indexed again:
// the single index of schema ≤ 2 (no shards) and shards of another schema.
func TestOpenOldSchema(t *testing.T) {
	testSegmenter(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		make func(t *testing.T, dir string)
	}{
		{"single index of schema 2", func(t *testing.T, dir string) {
			old, err := bleve.NewUsing(filepath.Join(dir, "index"), newMapping(modeJieba), scorch.Name, scorch.Name, nil)
			if err != nil {
				t.Fatal(err)
			}
			b := old.NewBatch()
			for _, d := range fixture() {
				if err := b.Index(d.ID, d.fields()); err != nil {
					t.Fatal(err)
				}
			}
			b.SetInternal([]byte("wenshu:schema"), []byte("2"))
			if err := old.Batch(b); err != nil {
				t.Fatal(err)
			}
			old.Close()
		}},
		{"shards of another schema", func(t *testing.T, dir string) {
			ix, err := Open(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := ix.Index(ctx, fixture()...); err != nil {
				t.Fatal(err)
			}
			ix.Close()
			if err := writeMeta(filepath.Join(dir, "index"), indexMeta{Schema: "2x", DictHash: ix.DictionaryHash()}); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.make(t, dir)
			ix, err := Open(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer ix.Close()
			if n, _ := ix.Count(); n != 0 {
				t.Errorf("index of an old schema kept %d records", n)
			}
			if need, _ := ix.NeedsReindex(); !need {
				t.Error("schema change not reported by NeedsReindex")
			}
			if _, err := os.Stat(filepath.Join(dir, "index", "index_meta.json")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("old single index left behind: %v", err)
			}
			if err := ix.Index(ctx, fixture()...); err != nil {
				t.Fatal(err)
			}
			if need, _ := ix.NeedsReindex(); !need {
				t.Error("NeedsReindex false before MarkReindexed")
			}
			if err := ix.MarkReindexed(); err != nil {
				t.Fatal(err)
			}
			r := mustSearch(t, ix, Request{Q: "谈话函询"}, allUnits)
			if need, _ := ix.NeedsReindex(); need || r.Total != 4 || len(r.Facets["unit"]) == 0 {
				t.Errorf("after reindex: need %v, total %d, unit facet %v", need, r.Total, r.Facets["unit"])
			}
			// and it stays so when opened again
			ix.Close()
			ix2, err := Open(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer ix2.Close()
			if need, _ := ix2.NeedsReindex(); need {
				t.Error("reopened: needs reindex")
			}
			if n, _ := ix2.Count(); n != 8 {
				t.Errorf("reopened: count %d", n)
			}
		})
	}
}

func TestFiledKeyOrder(t *testing.T) {
	times := []time.Time{
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(2024, 3, 5, 9, 0, 0, 0, time.UTC), time.Date(2024, 3, 5, 9, 0, 0, int(time.Millisecond), time.UTC),
		time.Date(2024, 3, 5, 17, 0, 0, 0, time.FixedZone("CST", 8*3600)).Add(time.Hour), time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
	}
	for i := 1; i < len(times); i++ {
		a, b := filedKey(times[i-1]), filedKey(times[i])
		if len(a) != 10 || len(b) != 10 || a >= b {
			t.Errorf("filedKey(%v)=%q, filedKey(%v)=%q", times[i-1], a, times[i], b)
		}
	}
	// the sort keys: time then id, and time inverted then id; no time last
	for i := 2; i < len(times); i++ {
		for _, ids := range [][2]string{{"b", "a"}, {"a", "b"}, {"a", "a2"}} {
			olderAsc, olderDesc := sortKeys(times[i-1], ids[0])
			newerAsc, newerDesc := sortKeys(times[i], ids[1])
			if olderAsc >= newerAsc || newerDesc >= olderDesc {
				t.Errorf("sortKeys %v/%s vs %v/%s: %q %q, %q %q", times[i-1], ids[0], times[i], ids[1], olderAsc, newerAsc, newerDesc, olderDesc)
			}
		}
		a1, d1 := sortKeys(times[i], "a")
		a2, d2 := sortKeys(times[i], "a2")
		if a1 >= a2 || d1 >= d2 {
			t.Errorf("ties not by id: %q %q, %q %q", a1, a2, d1, d2)
		}
		none, noneDesc := sortKeys(time.Time{}, "a")
		if none <= a2 || noneDesc <= d2 {
			t.Errorf("no filing time does not sort last: %q %q", none, noneDesc)
		}
	}
}

// Index splits a large call among writers; a record given twice keeps its
// last version, and every record is indexed once.
func TestIndexConcurrentBatches(t *testing.T) {
	ix := openTest(t, Options{BatchSize: 100, IndexWorkers: 3})
	corpus := plainDocs(genCorpus(1000))
	dup := corpus[10]
	dup.Title = "最后的版本"
	docs := append(append([]Doc{}, corpus...), dup)
	if err := ix.Index(context.Background(), docs...); err != nil {
		t.Fatal(err)
	}
	if n, _ := ix.Count(); n != 1000 {
		t.Errorf("count %d", n)
	}
	r := mustSearch(t, ix, Request{Q: `"最后的版本"`}, everyone)
	if r.Total != 1 || r.Hits[0].ID != dup.ID {
		t.Errorf("last version of %s not indexed: %v", dup.ID, ids(r))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ix.Index(ctx, corpus...); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestHitPersonsAndCase: a hit carries its record's persons (in order) and
// case number as filed — not folded as the filters index them — and the
// JSON of a hit without them leaves them out.
func TestHitPersonsAndCase(t *testing.T) {
	base := Doc{Unit: "驻财政部纪检监察组", Classification: "内部", Retention: "D30", Kind: "报告", FiledAt: day("2024-03-01")}
	both, none := base, base
	both.ID, both.Title, both.Persons, both.CaseNo = "p1", "函询情况报告", []string{" 李 四 ", "张三", "ＡＢ王"}, "（2024）纪案７号"
	none.ID, none.Title = "p2", "工作报告"
	ix := openTest(t, Options{}, both, none)
	for _, res := range []*Result{
		mustSearch(t, ix, Request{Q: "函询"}, allUnits),
		mustSearch(t, ix, Request{Person: "李四"}, allUnits),
	} {
		if len(res.Hits) != 1 {
			t.Fatalf("hits %+v", res.Hits)
		}
		h := res.Hits[0]
		if want := []string{"李 四", "张三", "ＡＢ王"}; !slices.Equal(h.Persons, want) || h.CaseNo != "（2024）纪案７号" {
			t.Errorf("persons %q, case %q", h.Persons, h.CaseNo)
		}
	}
	res, err := ix.ByCase(context.Background(), "(2024)纪案7号", allUnits, 1, 10)
	if err != nil || len(res.Hits) != 1 || res.Hits[0].CaseNo != "（2024）纪案７号" {
		t.Fatalf("by case: %v %+v", err, res)
	}
	res = mustSearch(t, ix, Request{Q: "工作报告"}, allUnits)
	if len(res.Hits) != 1 || res.Hits[0].Persons != nil || res.Hits[0].CaseNo != "" {
		t.Fatalf("hit without persons: %+v", res.Hits)
	}
	js, _ := json.Marshal(res.Hits[0])
	if strings.Contains(string(js), `"persons"`) || strings.Contains(string(js), `"case_no"`) {
		t.Errorf("empty persons/case in JSON: %s", js)
	}
}
