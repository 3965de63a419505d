package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"wenshu/search"
)

// The one codec of search parameters (检索条件): the query string of GET
// /api/v1/search and of the search page read by searchFromQuery and
// written by searchToQuery, and the JSON of a saved search written by
// searchToJSON and read by searchFromJSON. Dates are days in China time
// (chinaTime): "from" is the first instant of its day, "to" the last.

// filterParams are the parameters that narrow a search, in the order the
// search page lists the active filters.
var filterParams = []string{"kind", "year", "unit", "person", "case", "classification", "retention", "from", "to"}

// searchParamNames are every parameter of a search.
var searchParamNames = append([]string{"q", "sort", "page", "size"}, filterParams...)

const dateLayout = "2006-01-02"

// chinaTime is UTC+8, the zone of 成文日期 and date filters.
var chinaTime = time.FixedZone("CST", 8*3600)

// queryValues is the request's query string as url.Values, read the way
// c.Query reads one parameter.
func queryValues(c *fiber.Ctx) url.Values {
	v := url.Values{}
	c.Context().QueryArgs().VisitAll(func(k, val []byte) { v.Add(string(k), string(val)) })
	return v
}

// searchFromQuery reads a search from query parameters. A number or a date
// that does not parse is a 400 naming the parameter; everything else is
// left for search.Index to judge.
func searchFromQuery(p url.Values) (search.Request, error) {
	req := search.Request{
		Q: p.Get("q"), Kind: p.Get("kind"), Unit: p.Get("unit"), Person: p.Get("person"), Case: p.Get("case"),
		Classification: p.Get("classification"), Retention: p.Get("retention"), Sort: p.Get("sort"),
	}
	var err error
	for _, n := range []struct {
		name string
		to   *int
	}{{"year", &req.Year}, {"page", &req.Page}, {"size", &req.Size}} {
		if *n.to, err = intParam(p, n.name); err != nil {
			return req, err
		}
	}
	if req.From, err = dateParam(p, "from", false); err != nil {
		return req, err
	}
	if req.To, err = dateParam(p, "to", true); err != nil {
		return req, err
	}
	return req, nil
}

func intParam(p url.Values, name string) (int, error) {
	v := p.Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, apiErr(fiber.StatusBadRequest, "bad_"+name, name, "参数 "+name+" 应为整数")
	}
	return n, nil
}

// dateParam reads a day; end makes it the day's last instant.
func dateParam(p url.Values, name string, end bool) (time.Time, error) {
	v := p.Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation(dateLayout, v, chinaTime)
	if err != nil {
		return time.Time{}, apiErr(fiber.StatusBadRequest, "bad_"+name, name, "参数 "+name+" 应为日期 YYYY-MM-DD")
	}
	if end {
		t = t.Add(24*time.Hour - time.Nanosecond)
	}
	return t, nil
}

// searchToQuery writes the parameters of r that are set; searchFromQuery
// reads them back to r.
func searchToQuery(r search.Request) url.Values {
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
	for k, n := range map[string]int{"year": r.Year, "page": r.Page, "size": r.Size} {
		if n > 0 {
			p.Set(k, strconv.Itoa(n))
		}
	}
	if !r.From.IsZero() {
		p.Set("from", r.From.In(chinaTime).Format(dateLayout))
	}
	if !r.To.IsZero() {
		p.Set("to", r.To.In(chinaTime).Format(dateLayout))
	}
	return p
}

// searchToJSON writes a saved search: only the parameters that are set,
// so that it reads like a query sent to the API.
func searchToJSON(r search.Request) (json.RawMessage, error) {
	m := map[string]any{}
	for k, v := range map[string]string{"q": r.Q, "kind": r.Kind, "unit": r.Unit, "person": r.Person, "case": r.Case,
		"classification": r.Classification, "retention": r.Retention, "sort": r.Sort} {
		if v != "" {
			m[k] = v
		}
	}
	for k, n := range map[string]int{"year": r.Year, "page": r.Page, "size": r.Size} {
		if n > 0 {
			m[k] = n
		}
	}
	if !r.From.IsZero() {
		m["from"] = r.From
	}
	if !r.To.IsZero() {
		m["to"] = r.To
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("server: encode saved search: %w", err)
	}
	return raw, nil
}

// searchFromJSON reads a saved search (the JSON of search.Request),
// refusing keys it does not know.
func searchFromJSON(raw json.RawMessage) (search.Request, error) {
	var r search.Request
	if len(raw) == 0 {
		return r, errors.New("server: saved search: empty query")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, fmt.Errorf("server: saved search: %w", err)
	}
	if dec.More() {
		return r, errors.New("server: saved search: content after the query")
	}
	return r, nil
}
