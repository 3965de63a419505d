package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"wenshu/archive"
	"wenshu/identity"
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
func (s *Server) viewer(ctx context.Context, u *identity.User) (search.Viewer, error) {
	ids, err := s.store.Identity().VisibleUnits(ctx, u)
	if err != nil {
		return search.Viewer{}, err
	}
	v := search.Viewer{Clearance: u.Clearance}
	for _, id := range ids {
		v.Units = append(v.Units, indexer.UnitKey(id))
	}
	return v, nil
}

// searchRequest reads the query parameters of /search (see
// searchFromQuery).
func searchRequest(c *fiber.Ctx) (search.Request, error) {
	return searchFromQuery(queryValues(c))
}

func (s *Server) unitNames(ctx context.Context) (map[string]string, error) {
	units, err := s.store.Identity().ListUnits(ctx)
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
	u, err := s.store.Identity().UnitByName(ctx, v)
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
	asked := req // for the audit event: the unit as asked, not its key
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
	noteSearch(c, asked, res)
	return c.JSON(res)
}

func (s *Server) searchRecords(c *fiber.Ctx) error {
	req, err := searchRequest(c)
	if err != nil {
		return err
	}
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
	noteSearch(c, req, res)
	return c.JSON(res)
}

type savedSearchRequest struct {
	Name  string          `json:"name"`
	Query json.RawMessage `json:"query"`
}

func (s *Server) listSavedSearches(c *fiber.Ctx) error {
	u, _ := caller(c)
	list, err := s.store.Identity().ListSavedSearches(c.UserContext(), u)
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
	raw, err := json.Marshal(obj)
	if err != nil {
		return fmt.Errorf("server: re-encode saved search: %w", err)
	}
	var req savedSearchRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		return templates.FieldErrors{{Field: "name", Code: "bad_type", Message: "名称应为文本"}}
	}
	q, err := searchFromJSON(req.Query)
	if err != nil {
		return templates.FieldErrors{{Field: "query", Code: "bad_query", Message: "检索条件应为对象，如 {\"q\": \"谈话函询\", \"year\": 2026}"}}
	}
	if err := s.checkSearch(c, q); err != nil {
		return err
	}
	u, _ := caller(c)
	ss, err := s.store.Identity().SaveSearch(c.UserContext(), u, req.Name, req.Query)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(ss)
}

// checkSearch runs r once, for one hit, as the caller, so that a search is
// saved only if it would run. Without an index nothing can be checked.
func (s *Server) checkSearch(c *fiber.Ctx, r search.Request) error {
	if s.index == nil {
		return nil
	}
	ctx := c.UserContext()
	u, _ := caller(c)
	v, err := s.viewer(ctx, u)
	if err != nil {
		return err
	}
	r.Size = 1
	if r.Unit, err = s.unitFilter(ctx, r.Unit); err != nil {
		return err
	}
	_, err = s.index.Search(ctx, r, v)
	return err
}

func (s *Server) deleteSavedSearch(c *fiber.Ctx) error {
	if err := s.deleteSearch(c); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// deleteSearch deletes the caller's saved search :id, for the API and the
// search page alike; an id that is not a number is not found.
func (s *Server) deleteSearch(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return apiErr(fiber.StatusNotFound, "not_found", "", "保存的检索不存在")
	}
	u, _ := caller(c)
	return s.store.Identity().DeleteSavedSearch(c.UserContext(), u, id)
}

// pathParam returns a path parameter URL-decoded (Fiber leaves %XX as is)
// and trimmed.
func pathParam(c *fiber.Ctx, name string) string {
	v := c.Params(name)
	if d, err := url.PathUnescape(v); err == nil {
		v = d
	}
	return strings.TrimSpace(v)
}
