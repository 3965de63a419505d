package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"wenshu/archive"
	"wenshu/internal/indexer"
	"wenshu/search"
	"wenshu/templates"
)

func (s *Server) searchRoutes(api fiber.Router) {
	api.Get("/search", s.searchRecords)
	api.Get("/persons/:name/records", s.personRecords)
	api.Get("/cases/:case/records", s.caseRecords)
	api.Get("/saved-searches", s.listSavedSearches)
	api.Post("/saved-searches", s.createSavedSearch)
	api.Delete("/saved-searches/:id", s.deleteSavedSearch)
}

// viewer is what the caller may see: its own unit (archivists and
// auditors also the units they are granted) at or below its clearance.
// It is built from the catalog, never from the request.
func (s *Server) viewer(ctx context.Context, u *archive.User) (search.Viewer, error) {
	ids, err := s.store.VisibleUnits(ctx, u)
	if err != nil {
		return search.Viewer{}, err
	}
	v := search.Viewer{Clearance: u.Clearance}
	for _, id := range ids {
		v.Units = append(v.Units, indexer.UnitKey(id))
	}
	return v, nil
}

// searchRequest reads the query parameters of /search.
func searchRequest(c *fiber.Ctx) (search.Request, error) {
	req := search.Request{
		Q: c.Query("q"), Kind: c.Query("kind"), Person: c.Query("person"), Case: c.Query("case"),
		Classification: c.Query("classification"), Retention: c.Query("retention"), Sort: c.Query("sort"),
	}
	num := func(name string) (int, error) {
		v := c.Query(name)
		if v == "" {
			return 0, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, apiErr(fiber.StatusBadRequest, "bad_"+name, name, "参数 "+name+" 应为整数")
		}
		return n, nil
	}
	var err error
	if req.Year, err = num("year"); err != nil {
		return req, err
	}
	if req.Page, err = num("page"); err != nil {
		return req, err
	}
	if req.Size, err = num("size"); err != nil {
		return req, err
	}
	date := func(name string, end bool) (time.Time, error) {
		v := c.Query(name)
		if v == "" {
			return time.Time{}, nil
		}
		t, err := time.ParseInLocation("2006-01-02", v, chinaTime)
		if err != nil {
			return time.Time{}, apiErr(fiber.StatusBadRequest, "bad_"+name, name, "参数 "+name+" 应为日期 YYYY-MM-DD")
		}
		if end {
			t = t.Add(24*time.Hour - time.Nanosecond)
		}
		return t, nil
	}
	if req.From, err = date("from", false); err != nil {
		return req, err
	}
	if req.To, err = date("to", true); err != nil {
		return req, err
	}
	return req, nil
}

// chinaTime is UTC+8, the zone of 成文日期 and date filters.
var chinaTime = time.FixedZone("CST", 8*3600)

func (s *Server) unitNames(ctx context.Context) (map[string]string, error) {
	units, err := s.store.ListUnits(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(units))
	for _, u := range units {
		m[indexer.UnitKey(u.ID)] = u.Name
	}
	return m, nil
}

// present replaces unit keys by names in hits and facets.
func (s *Server) present(ctx context.Context, res *search.Result) (*search.Result, error) {
	names, err := s.unitNames(ctx)
	if err != nil {
		return nil, err
	}
	for i := range res.Hits {
		if n, ok := names[res.Hits[i].Unit]; ok {
			res.Hits[i].Unit = n
		}
	}
	for i, f := range res.Facets["unit"] {
		if n, ok := names[f.Value]; ok {
			res.Facets["unit"][i].Value = n
		}
	}
	return res, nil
}

// unitFilter turns a unit name (or key) from the request into the key the
// index holds. An unknown unit matches nothing.
func (s *Server) unitFilter(ctx context.Context, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	if _, err := strconv.ParseInt(v, 10, 64); err == nil {
		return v, nil
	}
	u, err := s.store.UnitByName(ctx, v)
	if errors.Is(err, archive.ErrNotFound) {
		return "unknown-unit", nil
	}
	if err != nil {
		return "", err
	}
	return indexer.UnitKey(u.ID), nil
}

func (s *Server) doSearch(c *fiber.Ctx, req search.Request) error {
	if s.index == nil {
		return apiErr(fiber.StatusServiceUnavailable, "search_unavailable", "", "检索服务未启用")
	}
	u, _ := caller(c)
	ctx := c.UserContext()
	v, err := s.viewer(ctx, u)
	if err != nil {
		return err
	}
	if req.Unit, err = s.unitFilter(ctx, req.Unit); err != nil {
		return err
	}
	res, err := s.index.Search(ctx, req, v)
	if err != nil {
		return err
	}
	res, err = s.present(ctx, res)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

func (s *Server) searchRecords(c *fiber.Ctx) error {
	req, err := searchRequest(c)
	if err != nil {
		return err
	}
	req.Unit = c.Query("unit")
	return s.doSearch(c, req)
}

func (s *Server) personRecords(c *fiber.Ctx) error {
	return s.listBy(c, func(ctx context.Context, v search.Viewer, page, size int) (*search.Result, error) {
		return s.index.ByPerson(ctx, pathParam(c, "name"), v, page, size)
	})
}

func (s *Server) caseRecords(c *fiber.Ctx) error {
	return s.listBy(c, func(ctx context.Context, v search.Viewer, page, size int) (*search.Result, error) {
		return s.index.ByCase(ctx, pathParam(c, "case"), v, page, size)
	})
}

func (s *Server) listBy(c *fiber.Ctx, f func(ctx context.Context, v search.Viewer, page, size int) (*search.Result, error)) error {
	if s.index == nil {
		return apiErr(fiber.StatusServiceUnavailable, "search_unavailable", "", "检索服务未启用")
	}
	req, err := searchRequest(c)
	if err != nil {
		return err
	}
	u, _ := caller(c)
	ctx := c.UserContext()
	v, err := s.viewer(ctx, u)
	if err != nil {
		return err
	}
	res, err := f(ctx, v, req.Page, req.Size)
	if err != nil {
		return err
	}
	if res, err = s.present(ctx, res); err != nil {
		return err
	}
	return c.JSON(res)
}

type savedSearchRequest struct {
	Name  string          `json:"name"`
	Query json.RawMessage `json:"query"`
}

func (s *Server) listSavedSearches(c *fiber.Ctx) error {
	u, _ := caller(c)
	list, err := s.store.ListSavedSearches(c.UserContext(), u)
	if err != nil {
		return err
	}
	return c.JSON(list)
}

// createSavedSearch saves {name, query: {q, kind, year, …}} after checking
// that the query parses as a search.
func (s *Server) createSavedSearch(c *fiber.Ctx) error {
	obj, err := s.jsonObject(c)
	if err != nil {
		return err
	}
	raw, _ := json.Marshal(obj)
	var req savedSearchRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		return templates.FieldErrors{{Field: "name", Code: "bad_type", Message: "名称应为文本"}}
	}
	var q search.Request
	dec := json.NewDecoder(bytes.NewReader(req.Query))
	dec.DisallowUnknownFields()
	if len(req.Query) == 0 || dec.Decode(&q) != nil {
		return templates.FieldErrors{{Field: "query", Code: "bad_query", Message: "检索条件应为对象，如 {\"q\": \"谈话函询\", \"year\": 2026}"}}
	}
	if s.index != nil {
		u, _ := caller(c)
		v, err := s.viewer(c.UserContext(), u)
		if err != nil {
			return err
		}
		q.Size = 1
		q.Unit, _ = s.unitFilter(c.UserContext(), q.Unit)
		if _, err := s.index.Search(c.UserContext(), q, v); err != nil {
			return err
		}
	}
	u, _ := caller(c)
	ss, err := s.store.SaveSearch(c.UserContext(), u, req.Name, req.Query)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(ss)
}

func (s *Server) deleteSavedSearch(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return apiErr(fiber.StatusNotFound, "not_found", "", "保存的检索不存在")
	}
	u, _ := caller(c)
	if err := s.store.DeleteSavedSearch(c.UserContext(), u, id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// pathParam returns a path parameter URL-decoded (Fiber leaves %XX as is).
func pathParam(c *fiber.Ctx, name string) string {
	v := c.Params(name)
	if d, err := url.PathUnescape(v); err == nil {
		v = d
	}
	return strings.TrimSpace(v)
}
