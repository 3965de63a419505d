package server

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"wenshu/archive"
	"wenshu/search"
)

// Search pages (检索): the query form with facets and paging, the person
// and case views, and saved searches.

type facetLink struct {
	Value    string
	Label    string
	Count    int
	URL      string
	Selected bool
}

type facetGroup struct {
	Name   string
	Label  string
	Values []facetLink
}

type hitView struct {
	search.Hit
	TitleHTML string   // highlighted title, escaped by search
	Body      []string // highlighted fragments, escaped by search
	Persons   []string
	CaseNo    string
}

type pageLink struct {
	N       int
	URL     string
	Current bool
}

type searchData struct {
	Heading  string
	Req      search.Request
	Params   url.Values
	From, To string
	Error    string
	Result   *search.Result
	Hits     []hitView
	Facets   []facetGroup
	Pages    []pageLink
	Prev     string
	Next     string
	Saved    []savedView
	Filters  []facetLink // active filters, each with a link that removes it
	Form     bool        // show the query form (not on person/case views)
	SaveBack string
}

type savedView struct {
	archive.SavedSearch
	URL string
}

var facetLabels = map[string]string{"kind": "文种", "year": "年度", "unit": "单位", "retention": "保管期限", "classification": "密级"}

var filterParams = []string{"kind", "year", "unit", "person", "case", "classification", "retention", "from", "to"}

func (s *Server) searchPage(c *fiber.Ctx) error {
	params := url.Values{}
	for _, k := range append([]string{"q", "sort", "page", "size"}, filterParams...) {
		if v := strings.TrimSpace(c.Query(k)); v != "" {
			params.Set(k, v)
		}
	}
	d := &searchData{Heading: "检索", Params: params, Form: true, From: params.Get("from"), To: params.Get("to")}
	req, err := searchRequest(c)
	if err != nil {
		return s.searchFailed(c, d, err)
	}
	req.Unit = c.Query("unit")
	d.Req = req
	run := func(v search.Viewer) (*search.Result, error) {
		r := req
		var err error
		if r.Unit, err = s.unitFilter(c.UserContext(), r.Unit); err != nil {
			return nil, err
		}
		return s.index.Search(c.UserContext(), r, v)
	}
	return s.showResults(c, d, run)
}

func (s *Server) personPage(c *fiber.Ctx) error {
	name := pathParam(c, "name")
	d := &searchData{Heading: "人员：" + name, Params: url.Values{}}
	page, _ := strconv.Atoi(c.Query("page"))
	d.Req.Page = page
	return s.showResults(c, d, func(v search.Viewer) (*search.Result, error) {
		return s.index.ByPerson(c.UserContext(), name, v, page, 20)
	})
}

func (s *Server) casePage(c *fiber.Ctx) error {
	cs := pathParam(c, "case")
	d := &searchData{Heading: "案件：" + cs, Params: url.Values{}}
	page, _ := strconv.Atoi(c.Query("page"))
	d.Req.Page = page
	return s.showResults(c, d, func(v search.Viewer) (*search.Result, error) {
		return s.index.ByCase(c.UserContext(), cs, v, page, 20)
	})
}

// searchFailed shows a bad search (a query error, a bad parameter) on the
// search page with its message; any other error goes to the error page.
func (s *Server) searchFailed(c *fiber.Ctx, d *searchData, err error) error {
	class := classify(err)
	if class.Status != fiber.StatusBadRequest {
		return err
	}
	d.Error = class.Message
	s.loadSaved(c, d)
	return s.render(c, class.Status, "search", newView(c, d.Heading, "search", d))
}

func (s *Server) loadSaved(c *fiber.Ctx, d *searchData) {
	u, _ := caller(c)
	list, err := s.store.ListSavedSearches(c.UserContext(), u)
	if err != nil {
		return
	}
	for _, ss := range list {
		d.Saved = append(d.Saved, savedView{SavedSearch: ss, URL: "/search?" + savedParams(ss.Query).Encode()})
	}
	d.SaveBack = d.Params.Encode()
}

// savedParams turns a saved query (the JSON of search.Request) back into
// the page's query parameters.
func savedParams(raw json.RawMessage) url.Values {
	var r search.Request
	_ = json.Unmarshal(raw, &r)
	p := url.Values{}
	set := func(k, v string) {
		if v != "" {
			p.Set(k, v)
		}
	}
	set("q", r.Q)
	set("kind", r.Kind)
	set("unit", r.Unit)
	set("person", r.Person)
	set("case", r.Case)
	set("classification", r.Classification)
	set("retention", r.Retention)
	set("sort", r.Sort)
	if r.Year > 0 {
		p.Set("year", strconv.Itoa(r.Year))
	}
	if r.Size > 0 {
		p.Set("size", strconv.Itoa(r.Size))
	}
	if !r.From.IsZero() {
		p.Set("from", r.From.In(chinaTime).Format("2006-01-02"))
	}
	if !r.To.IsZero() {
		p.Set("to", r.To.In(chinaTime).Format("2006-01-02"))
	}
	return p
}

func withParam(p url.Values, k, v string) string {
	q := url.Values{}
	for key, vs := range p {
		q[key] = append([]string(nil), vs...)
	}
	if v == "" {
		q.Del(k)
	} else {
		q.Set(k, v)
	}
	if k != "page" {
		q.Del("page")
	}
	return q.Encode()
}

func (s *Server) showResults(c *fiber.Ctx, d *searchData, run func(search.Viewer) (*search.Result, error)) error {
	if s.index == nil {
		return apiErr(fiber.StatusServiceUnavailable, "search_unavailable", "", "检索服务未启用")
	}
	u, _ := caller(c)
	ctx := c.UserContext()
	v, err := s.viewer(ctx, u)
	if err != nil {
		return err
	}
	res, err := run(v)
	if err != nil {
		return s.searchFailed(c, d, err)
	}
	if res, err = s.present(ctx, res); err != nil {
		return err
	}
	d.Result = res
	base := c.Path()
	for _, h := range res.Hits {
		hv := hitView{Hit: h, Body: h.Highlights["body"]}
		if t := h.Highlights["title"]; len(t) > 0 {
			hv.TitleHTML = t[0]
		}
		if rec, err := s.store.GetRecord(ctx, u, h.ID); err == nil {
			hv.Persons, hv.CaseNo = rec.Persons, rec.CaseNo
		}
		d.Hits = append(d.Hits, hv)
	}
	if d.Form {
		for _, name := range search.FacetNames {
			g := facetGroup{Name: name, Label: facetLabels[name]}
			current := d.Params.Get(name)
			for _, fv := range res.Facets[name] {
				l := facetLink{Value: fv.Value, Label: fv.Value, Count: fv.Count, Selected: current == fv.Value}
				if name == "retention" {
					l.Label = retentionNames[fv.Value]
				}
				if l.Selected {
					l.URL = base + "?" + withParam(d.Params, name, "")
				} else {
					l.URL = base + "?" + withParam(d.Params, name, fv.Value)
				}
				g.Values = append(g.Values, l)
			}
			if len(g.Values) > 0 {
				d.Facets = append(d.Facets, g)
			}
		}
		for _, k := range filterParams {
			if val := d.Params.Get(k); val != "" {
				label := val
				if k == "retention" {
					label = retentionNames[val]
				}
				d.Filters = append(d.Filters, facetLink{Value: k, Label: filterLabel(k) + "：" + label, URL: base + "?" + withParam(d.Params, k, "")})
			}
		}
	}
	size := d.Req.Size
	if size <= 0 {
		size = search.DefaultSize
	}
	pages := (int(res.Total) + size - 1) / size
	if maxPages := search.MaxWindow / size; pages > maxPages {
		pages = maxPages
	}
	cur := max(d.Req.Page, 1)
	if pages > 1 {
		for n := max(1, cur-5); n <= min(pages, cur+5); n++ {
			d.Pages = append(d.Pages, pageLink{N: n, URL: base + "?" + withParam(d.Params, "page", strconv.Itoa(n)), Current: n == cur})
		}
		if cur > 1 {
			d.Prev = base + "?" + withParam(d.Params, "page", strconv.Itoa(cur-1))
		}
		if cur < pages {
			d.Next = base + "?" + withParam(d.Params, "page", strconv.Itoa(cur+1))
		}
	}
	if d.Form {
		s.loadSaved(c, d)
	}
	return s.render(c, fiber.StatusOK, "search", newView(c, d.Heading, "search", d))
}

func filterLabel(k string) string {
	switch k {
	case "person":
		return "人员"
	case "case":
		return "案件"
	case "from":
		return "起"
	case "to":
		return "止"
	}
	return facetLabels[k]
}

// saveSearchSubmit saves the search given by the posted "query" (the
// page's query string) under "name", after checking that it parses, as
// the API does.
func (s *Server) saveSearchSubmit(c *fiber.Ctx) error {
	u, _ := caller(c)
	p, err := url.ParseQuery(c.FormValue("query"))
	if err != nil {
		return apiErr(fiber.StatusBadRequest, "bad_query", "query", "检索条件无效")
	}
	r := search.Request{Q: p.Get("q"), Kind: p.Get("kind"), Unit: p.Get("unit"), Person: p.Get("person"), Case: p.Get("case"),
		Classification: p.Get("classification"), Retention: p.Get("retention"), Sort: p.Get("sort")}
	if y := p.Get("year"); y != "" {
		if r.Year, err = strconv.Atoi(y); err != nil {
			return apiErr(fiber.StatusBadRequest, "bad_year", "year", "年度应为整数")
		}
	}
	for _, k := range []string{"from", "to"} {
		if v := p.Get(k); v != "" {
			t, err := time.ParseInLocation("2006-01-02", v, chinaTime)
			if err != nil {
				return apiErr(fiber.StatusBadRequest, "bad_"+k, k, "日期应为 YYYY-MM-DD")
			}
			if k == "from" {
				r.From = t
			} else {
				r.To = t.Add(24*time.Hour - time.Nanosecond)
			}
		}
	}
	if s.index != nil {
		v, err := s.viewer(c.UserContext(), u)
		if err != nil {
			return err
		}
		check := r
		check.Size = 1
		check.Unit, _ = s.unitFilter(c.UserContext(), check.Unit)
		if _, err := s.index.Search(c.UserContext(), check, v); err != nil {
			return err
		}
	}
	raw, _ := json.Marshal(compactRequest(r))
	if _, err := s.store.SaveSearch(c.UserContext(), u, c.FormValue("name"), raw); err != nil {
		return err
	}
	return c.Redirect("/search?"+withParam(p, "notice", "search"), fiber.StatusSeeOther)
}

// compactRequest keeps only the parameters that are set, so a saved
// search reads like one sent to the API.
func compactRequest(r search.Request) map[string]any {
	m := map[string]any{}
	for k, v := range map[string]string{"q": r.Q, "kind": r.Kind, "unit": r.Unit, "person": r.Person, "case": r.Case,
		"classification": r.Classification, "retention": r.Retention, "sort": r.Sort} {
		if v != "" {
			m[k] = v
		}
	}
	if r.Year > 0 {
		m["year"] = r.Year
	}
	if !r.From.IsZero() {
		m["from"] = r.From
	}
	if !r.To.IsZero() {
		m["to"] = r.To
	}
	return m
}

func (s *Server) deleteSearchSubmit(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return apiErr(fiber.StatusNotFound, "not_found", "", "保存的检索不存在")
	}
	u, _ := caller(c)
	if err := s.store.DeleteSavedSearch(c.UserContext(), u, id); err != nil {
		return err
	}
	return c.Redirect("/search?notice=deleted", fiber.StatusSeeOther)
}
