package server

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"wenshu/identity"
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
	identity.SavedSearch
	URL string
}

var facetLabels = map[string]string{"kind": "文种", "year": "年度", "unit": "单位", "retention": "保管期限", "classification": "密级"}

func (s *Server) searchPage(c *fiber.Ctx) error {
	// Params echo what was asked, trimmed, for the form and the links.
	params := url.Values{}
	for _, k := range searchParamNames {
		if v := strings.TrimSpace(c.Query(k)); v != "" {
			params.Set(k, v)
		}
	}
	d := &searchData{Heading: "检索", Params: params, Form: true, From: params.Get("from"), To: params.Get("to")}
	req, err := searchRequest(c)
	if err != nil {
		return s.searchFailed(c, d, err)
	}
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

// personPageSize is the page size of the person and case views.
const personPageSize = 20

func (s *Server) personPage(c *fiber.Ctx) error {
	name := pathParam(c, "name")
	return s.listPage(c, "人员："+name, func(v search.Viewer, page int) (*search.Result, error) {
		return s.index.ByPerson(c.UserContext(), name, v, page, personPageSize)
	})
}

func (s *Server) casePage(c *fiber.Ctx) error {
	cs := pathParam(c, "case")
	return s.listPage(c, "案件："+cs, func(v search.Viewer, page int) (*search.Result, error) {
		return s.index.ByCase(c.UserContext(), cs, v, page, personPageSize)
	})
}

// listPage shows the records of one person or case, a page at a time.
func (s *Server) listPage(c *fiber.Ctx, heading string, list func(v search.Viewer, page int) (*search.Result, error)) error {
	d := &searchData{Heading: heading, Params: url.Values{}}
	req, err := searchRequest(c)
	if err != nil {
		return s.searchFailed(c, d, err)
	}
	d.Req.Page, d.Req.Size = req.Page, personPageSize
	return s.showResults(c, d, func(v search.Viewer) (*search.Result, error) { return list(v, req.Page) })
}

// searchFailed shows a bad search (a query error, a bad parameter) on the
// search page with its message; any other error goes to the error page.
func (s *Server) searchFailed(c *fiber.Ctx, d *searchData, err error) error {
	class := classify(err)
	if class.Status != fiber.StatusBadRequest {
		return err
	}
	d.Error = class.Message
	if d.Form {
		s.loadSaved(c, d)
	}
	return s.render(c, class.Status, "search", newView(c, d.Heading, "search", d))
}

// loadSaved lists the caller's saved searches below the form. A failure
// leaves the list out (and is logged); a saved search whose query does
// not read is listed without a link, so that it can still be deleted.
func (s *Server) loadSaved(c *fiber.Ctx, d *searchData) {
	u, _ := caller(c)
	list, err := s.store.Identity().ListSavedSearches(c.UserContext(), u)
	if err != nil {
		s.logPartial(c, "saved searches", err)
		return
	}
	for _, ss := range list {
		sv := savedView{SavedSearch: ss}
		if r, err := searchFromJSON(ss.Query); err != nil {
			s.logPartial(c, "saved search "+strconv.FormatInt(ss.ID, 10), err)
		} else {
			r.Page = 0 // a saved search opens on its first page
			sv.URL = "/search?" + searchToQuery(r).Encode()
		}
		d.Saved = append(d.Saved, sv)
	}
	d.SaveBack = d.Params.Encode()
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

// showResults runs a search for the caller and renders its page: the
// hits, and on the search page the facets, the active filters and the
// saved searches; then the page links.
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
	noteSearch(c, d.Req, res)
	d.Hits = hitViews(res.Hits)
	base := c.Path()
	if d.Form {
		d.Facets = facetGroups(d.Params, res.Facets, base)
		d.Filters = activeFilters(d.Params, base)
	}
	d.Pages, d.Prev, d.Next = pageLinks(d.Params, d.Req, res.Total, base)
	if d.Form {
		s.loadSaved(c, d)
	}
	return s.render(c, fiber.StatusOK, "search", newView(c, d.Heading, "search", d))
}

// hitViews adds to each hit its highlights. The persons and case number it
// links to come with the hit from the index: no catalog read per hit.
func hitViews(hits []search.Hit) []hitView {
	out := make([]hitView, 0, len(hits))
	for _, h := range hits {
		hv := hitView{Hit: h, Body: h.Highlights["body"]}
		if t := h.Highlights["title"]; len(t) > 0 {
			hv.TitleHTML = t[0]
		}
		out = append(out, hv)
	}
	return out
}

// facetGroups makes each facet a list of links that set its value, or
// unset it when it is the current one.
func facetGroups(params url.Values, facets map[string][]search.FacetValue, base string) []facetGroup {
	var out []facetGroup
	for _, name := range search.FacetNames {
		g := facetGroup{Name: name, Label: facetLabels[name]}
		current := params.Get(name)
		for _, fv := range facets[name] {
			l := facetLink{Value: fv.Value, Label: fv.Value, Count: fv.Count, Selected: current == fv.Value}
			if name == "retention" {
				l.Label = retentionNames[fv.Value]
			}
			if l.Selected {
				l.URL = base + "?" + withParam(params, name, "")
			} else {
				l.URL = base + "?" + withParam(params, name, fv.Value)
			}
			g.Values = append(g.Values, l)
		}
		if len(g.Values) > 0 {
			out = append(out, g)
		}
	}
	return out
}

// activeFilters are the filters set, each with a link that removes it.
func activeFilters(params url.Values, base string) []facetLink {
	var out []facetLink
	for _, k := range filterParams {
		if val := params.Get(k); val != "" {
			label := val
			if k == "retention" {
				label = retentionNames[val]
			}
			out = append(out, facetLink{Value: k, Label: filterLabel(k) + "：" + label, URL: base + "?" + withParam(params, k, "")})
		}
	}
	return out
}

// pageLinks are up to five pages either side of the current one, within
// the window search.Index serves, and the previous and next pages.
func pageLinks(params url.Values, req search.Request, total uint64, base string) (pages []pageLink, prev, next string) {
	size := req.Size
	if size <= 0 {
		size = search.DefaultSize
	}
	n := (int(total) + size - 1) / size
	if maxPages := search.MaxWindow / size; n > maxPages {
		n = maxPages
	}
	cur := max(req.Page, 1)
	if n <= 1 {
		return nil, "", ""
	}
	link := func(p int) string { return base + "?" + withParam(params, "page", strconv.Itoa(p)) }
	for p := max(1, cur-5); p <= min(n, cur+5); p++ {
		pages = append(pages, pageLink{N: p, URL: link(p), Current: p == cur})
	}
	if cur > 1 {
		prev = link(cur - 1)
	}
	if cur < n {
		next = link(cur + 1)
	}
	return pages, prev, next
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
// page's query string) under "name", after checking that it runs, as the
// API does. The page and the page size are not saved.
func (s *Server) saveSearchSubmit(c *fiber.Ctx) error {
	u, _ := caller(c)
	p, err := url.ParseQuery(c.FormValue("query"))
	if err != nil {
		return apiErr(fiber.StatusBadRequest, "bad_query", "query", "检索条件无效")
	}
	saved := url.Values{}
	for k, v := range p {
		if k != "page" && k != "size" {
			saved[k] = v
		}
	}
	r, err := searchFromQuery(saved)
	if err != nil {
		return err
	}
	if err := s.checkSearch(c, r); err != nil {
		return err
	}
	raw, err := searchToJSON(r)
	if err != nil {
		return err
	}
	if _, err := s.store.Identity().SaveSearch(c.UserContext(), u, c.FormValue("name"), raw); err != nil {
		return err
	}
	return c.Redirect("/search?"+withParam(p, "notice", "search"), fiber.StatusSeeOther)
}

func (s *Server) deleteSearchSubmit(c *fiber.Ctx) error {
	if err := s.deleteSearch(c); err != nil {
		return err
	}
	return c.Redirect("/search?notice=deleted", fiber.StatusSeeOther)
}
