package server

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"wenshu/internal/testenv"
	"wenshu/search"
	"wenshu/templates"
)

// fileBoth files a talk plan and the inquiry letter that references it,
// through the API, and returns their record ids.
func fileBoth(t *testing.T, e *env) (plan, letter string) {
	t.Helper()
	approve := func(template string, fields map[string]any) string {
		r := e.do(t, "clerk", "POST", "/api/v1/drafts", draftBody(fields, template))
		if r.status != 201 {
			t.Fatalf("draft %s: %d %s", template, r.status, r.body)
		}
		var d struct{ ID string }
		r.json(t, &d)
		r = e.do(t, "approver", "POST", "/api/v1/drafts/"+d.ID+"/approve", nil)
		if r.status != 201 {
			t.Fatalf("approve %s: %d %s", template, r.status, r.body)
		}
		var rec struct{ ID string }
		r.json(t, &rec)
		return rec.ID
	}
	pf := withoutNumber(example(t, e.reg, "talk-plan"))
	pf["method"] = "函询" // the plan of an inquiry letter
	plan = approve("talk-plan", pf)
	lf := withoutNumber(example(t, e.reg, "inquiry-letter"))
	lf["plan_record_id"] = plan
	letter = approve("inquiry-letter", lf)
	return plan, letter
}

func (e *env) search(t *testing.T, who string, params url.Values) (*resp, *search.Result) {
	t.Helper()
	r := e.do(t, who, "GET", "/api/v1/search?"+params.Encode(), nil)
	if r.status != 200 {
		return r, nil
	}
	var res search.Result
	r.json(t, &res)
	return r, &res
}

func hitIDs(res *search.Result) []string {
	var ids []string
	for _, h := range res.Hits {
		ids = append(ids, h.ID)
	}
	return ids
}

func contains(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// TestSearchFiledRecords: a record filed through the API is found at once
// by its terms, phrases, people and 文号, with highlights and facets, and
// never by a user of another unit or a lower clearance.
func TestSearchFiledRecords(t *testing.T) {
	e := newEnv(t)
	plan, letter := fileBoth(t, e)
	var num string
	{
		r := e.do(t, "clerk", "GET", "/api/v1/records/"+letter, nil)
		var rec map[string]any
		r.json(t, &rec)
		num, _ = rec["doc_number"].(string)
	}
	cases := []struct {
		name string
		q    url.Values
		want []string
	}{
		{"term of art", url.Values{"q": {"三重一大"}}, []string{plan, letter}},
		{"phrase", url.Values{"q": {`"违反中央八项规定精神"`}}, []string{plan, letter}},
		{"boolean with Chinese", url.Values{"q": {"三重一大 -谈话提纲"}}, []string{letter}},
		{"OR", url.Values{"q": {"谈话提纲 OR 送达回执"}}, []string{plan}},
		{"person prefix", url.Values{"q": {"人员:张建国"}}, []string{plan, letter}},
		{"文号", url.Values{"q": {"文号:" + num}}, []string{letter}},
		{"kind filter", url.Values{"q": {"张建国"}, "kind": {"函询通知书"}}, []string{letter}},
		{"case filter", url.Values{"case": {"AJ-2026-007"}}, []string{plan, letter}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, res := e.search(t, "clerk", c.q)
			if res == nil {
				t.Fatalf("%d %s", r.status, r.body)
			}
			got := hitIDs(res)
			for _, id := range c.want {
				if !contains(got, id) {
					t.Errorf("%v: %s not found (got %v)", c.q, id, got)
				}
			}
			if int(res.Total) != len(c.want) {
				t.Errorf("%v: total %d, want %d", c.q, res.Total, len(c.want))
			}
		})
	}
	_, res := e.search(t, "clerk", url.Values{"q": {"三重一大"}})
	marked := false
	for _, h := range res.Hits {
		for _, frag := range append(h.Highlights["body"], h.Highlights["title"]...) {
			if strings.Contains(frag, "<mark>三重一大</mark>") {
				marked = true
			}
		}
		if h.Unit != unitA {
			t.Errorf("hit unit %q, want the unit's name", h.Unit)
		}
	}
	if !marked {
		t.Error("no <mark>三重一大</mark> highlight")
	}
	kinds := map[string]int{}
	for _, f := range res.Facets["kind"] {
		kinds[f.Value] = f.Count
	}
	if kinds["谈话方案"] != 1 || kinds["函询通知书"] != 1 {
		t.Errorf("kind facet %v", res.Facets["kind"])
	}
	if len(res.Facets["unit"]) != 1 || res.Facets["unit"][0].Value != unitA {
		t.Errorf("unit facet %v", res.Facets["unit"])
	}
	// Another unit, a lower clearance: nothing, in hits, totals or facets.
	for _, who := range []string{"other", "otherApprover", "lowclerk"} {
		_, res := e.search(t, who, url.Values{"q": {"三重一大"}})
		if res == nil || res.Total != 0 || len(res.Hits) != 0 || len(res.Facets["kind"]) != 0 {
			t.Errorf("%s sees %+v", who, res)
		}
		_, res = e.search(t, who, url.Values{})
		if res == nil || res.Total != 0 {
			t.Errorf("%s lists %d records", who, res.Total)
		}
		// Naming the other unit in the filter does not widen what one sees.
		_, res = e.search(t, who, url.Values{"unit": {unitA}})
		if res == nil || res.Total != 0 {
			t.Errorf("%s lists %d records of %s by naming it", who, res.Total, unitA)
		}
	}
	// Person and case views, newest first.
	r := e.do(t, "archivist", "GET", "/api/v1/persons/"+url.PathEscape("张建国")+"/records", nil)
	var byPerson search.Result
	r.json(t, &byPerson)
	if r.status != 200 || len(byPerson.Hits) != 2 || byPerson.Hits[0].ID != letter {
		t.Errorf("person view: %d %s", r.status, r.body)
	}
	if r := e.do(t, "other", "GET", "/api/v1/cases/AJ-2026-007/records", nil); !strings.Contains(string(r.body), `"total":0`) {
		t.Errorf("other unit's case view: %s", r.body)
	}
}

func TestSearchGrants(t *testing.T) {
	e := newEnv(t)
	_, letter := fileBoth(t, e)
	ctx := context.Background()
	// An auditor of unit B granted unit A sees A's records; a clerk of B
	// does not, even if granted.
	res, err := e.store.Identity().AddUser(ctx, newUser("审计员乙", "auditor", unitB, "机密"))
	if err != nil {
		t.Fatal(err)
	}
	e.tokens["auditorB"] = res.Token
	_, sr := e.search(t, "auditorB", url.Values{"q": {"函询"}})
	if sr.Total != 0 {
		t.Fatalf("auditor of B sees A before the grant")
	}
	unitAID := mustUnit(t, e, unitA)
	if err := e.store.Identity().GrantUnit(ctx, res.User.ID, unitAID); err != nil {
		t.Fatal(err)
	}
	_, sr = e.search(t, "auditorB", url.Values{"q": {"函询"}})
	if !contains(hitIDs(sr), letter) {
		t.Errorf("granted auditor does not find the letter: %v", hitIDs(sr))
	}
	if r := e.do(t, "auditorB", "GET", "/api/v1/records/"+letter+"/verify", nil); r.status != 200 {
		t.Errorf("granted auditor cannot verify: %d", r.status)
	}
	if err := e.store.Identity().GrantUnit(ctx, mustUser(t, e, "周志明"), unitAID); err == nil {
		t.Error("a clerk was granted another unit")
	}
}

func TestSearchBadQueries(t *testing.T) {
	e := newEnv(t)
	for _, q := range []url.Values{
		{"q": {`"未闭合`}},
		{"q": {strings.Repeat("长", 10000)}},
		{"size": {"100000"}},
		{"page": {"-1"}},
		{"sort": {"name"}},
		{"year": {"二〇二六"}},
		{"from": {"2026/01/01"}},
		{"classification": {"绝密"}},
		{"q": {"( 三重一大"}},
	} {
		r, _ := e.search(t, "clerk", q)
		if r.status != 400 || r.errorCode(t) == "" {
			t.Errorf("%v: %d %s", q, r.status, r.body)
		}
	}
}

func TestSavedSearches(t *testing.T) {
	e := newEnv(t)
	r := e.do(t, "archivist", "POST", "/api/v1/saved-searches", map[string]any{"name": "谈话函询案件", "query": map[string]any{"q": "谈话函询", "year": 2026}})
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	var ss struct {
		ID   int64
		Name string
	}
	r.json(t, &ss)
	if r := e.do(t, "archivist", "POST", "/api/v1/saved-searches", map[string]any{"name": "坏的", "query": map[string]any{"q": `"x`}}); r.status != 400 {
		t.Errorf("bad saved query: %d %s", r.status, r.body)
	}
	if r := e.do(t, "archivist", "POST", "/api/v1/saved-searches", map[string]any{"name": "谈话函询案件", "query": map[string]any{"q": "x"}}); r.status != 409 {
		t.Errorf("duplicate name: %d %s", r.status, r.body)
	}
	if r := e.do(t, "archivist", "POST", "/api/v1/saved-searches", map[string]any{"name": "x", "query": map[string]any{"bogus": 1}}); r.status != 422 {
		t.Errorf("unknown parameter: %d %s", r.status, r.body)
	}
	r = e.do(t, "archivist", "GET", "/api/v1/saved-searches", nil)
	if !strings.Contains(string(r.body), "谈话函询案件") {
		t.Errorf("list: %s", r.body)
	}
	if r := e.do(t, "clerk", "GET", "/api/v1/saved-searches", nil); strings.Contains(string(r.body), "谈话函询案件") {
		t.Error("another user sees the saved search")
	}
	path := "/api/v1/saved-searches/" + itoa(ss.ID)
	if r := e.do(t, "clerk", "DELETE", path, nil); r.status != 404 {
		t.Errorf("another user deletes: %d", r.status)
	}
	if r := e.do(t, "archivist", "DELETE", path, nil); r.status != 204 {
		t.Errorf("delete: %d", r.status)
	}
}

// A search in date order that stops counting (search.Options.TotalLimit)
// says so: total_capped on the API with the lower bound, "件以上" on the
// page, and every record still listed newest first; by relevance the
// total stays exact.
func TestSearchTotalCapped(t *testing.T) {
	e := newEnvIndexed(t, testenv.MinIO(t), templates.Options{}, nil, search.Options{TotalLimit: 2})
	e.setWebPasswords(t)
	plan := withoutNumber(example(t, e.reg, "talk-plan"))
	var filed []string
	for i := 0; i < 4; i++ {
		filed = append(filed, fileOne(t, e, "talk-plan", plan))
	}
	r, res := e.search(t, "clerk", url.Values{"sort": {"-filed_at"}})
	if res == nil || !res.TotalCapped || res.Total != 2 || len(res.Hits) != 4 {
		t.Fatalf("date order: %d %s", r.status, r.body)
	}
	if got := hitIDs(res); !slices.Equal(got, []string{filed[3], filed[2], filed[1], filed[0]}) {
		t.Errorf("date order: hits %v, want newest first %v", got, filed)
	}
	page := e.as(t, "clerk").get("/search?sort=-filed_at")
	wantStatus(t, page, 200, "search page")
	if !strings.Contains(string(page.body), "共 2 件以上") {
		t.Errorf("page does not say the total is a lower bound: %s", page.body)
	}
	if _, res := e.search(t, "clerk", url.Values{"q": {"谈话"}}); res == nil || res.TotalCapped || res.Total != 4 {
		t.Errorf("relevance: %+v", res)
	}
}
