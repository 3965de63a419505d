package server

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"wenshu/internal/indexer"
	"wenshu/search"
)

// TestSearchHitsCarryPersonsAndCase: the API's hits carry the persons and
// case number of each record, as filed.
func TestSearchHitsCarryPersonsAndCase(t *testing.T) {
	e := newEnv(t)
	plan, letter := fileBoth(t, e)
	_, res := e.search(t, "clerk", url.Values{"q": {"三重一大"}})
	if res == nil || len(res.Hits) != 2 {
		t.Fatalf("search: %+v", res)
	}
	for _, h := range res.Hits {
		if h.ID != plan && h.ID != letter {
			t.Errorf("unexpected hit %s", h.ID)
		}
		if !slices.Contains(h.Persons, "张建国") || h.CaseNo != "AJ-2026-007" {
			t.Errorf("hit %s: persons %v, case %q", h.ID, h.Persons, h.CaseNo)
		}
	}
	r := e.do(t, "clerk", "GET", "/api/v1/search?q="+url.QueryEscape("三重一大"), nil)
	if !strings.Contains(string(r.body), `"persons":["张建国"`) || !strings.Contains(string(r.body), `"case_no":"AJ-2026-007"`) {
		t.Errorf("API body lacks persons/case_no: %s", r.body)
	}
}

// TestWebSearchLinksFromIndex: the search page links each hit's persons
// and case from the hit itself, not from a catalog read per hit. The
// records are put into the index only, so a page that asked the catalog
// would have no links at all.
func TestWebSearchLinksFromIndex(t *testing.T) {
	e := newWebEnv(t)
	ctx := context.Background()
	u, err := e.store.Identity().UnitByName(ctx, unitA)
	if err != nil {
		t.Fatal(err)
	}
	var docs []search.Doc
	for i, p := range []string{"钱一", "孙二", "周三"} {
		docs = append(docs, search.Doc{
			ID: "index-only-" + p, Title: "问题线索处置报告 " + p, Body: "关于问题线索的处置情况。",
			Kind: "报告", Unit: indexer.UnitKey(u.ID), Classification: "公开", Retention: "D30",
			Persons: []string{p, "共同人"}, CaseNo: "AJ-2026-10" + string(rune('0'+i)),
			FiledAt: time.Date(2026, 3, 1+i, 9, 0, 0, 0, time.UTC),
		})
	}
	if err := e.index.Index(ctx, docs...); err != nil {
		t.Fatal(err)
	}
	r := e.as(t, "clerk").get("/search?q=" + url.QueryEscape("问题线索处置"))
	wantStatus(t, r, 200, "search")
	wantBody(t, r, "search", "共 3 件")
	for _, d := range docs {
		wantBody(t, r, "search",
			`href="/persons/`+url.PathEscape(d.Persons[0])+`">人员：`+d.Persons[0]+`</a>`,
			`href="/cases/`+d.CaseNo+`">案件：`+d.CaseNo+`</a>`)
	}
	if n := strings.Count(string(r.body), `">人员：共同人</a>`); n != 3 {
		t.Errorf("second person linked %d times, want 3", n)
	}
}
