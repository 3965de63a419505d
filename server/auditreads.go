package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"wenshu/archive"
	"wenshu/audit"
	"wenshu/catalog"
	"wenshu/identity"
	"wenshu/search"
)

// Audited reads (利用审计): every read of the archive through the API or
// the pages leaves one event in the audit chain — record metadata,
// content, verification, draft reads and previews, search, person and
// case views, lists, audit views — and so does every request refused to
// its caller (a 403, or a 404 it may not tell apart), mutations
// included. auditReads, one middleware for all routes, writes the event
// after the handler, through an audit.Recorder that batches the writes
// (see package audit), so a read pays an enqueue, not a transaction.
//
// An event names the actor (the caller, from the catalog), the action
// (from the route, readRoutes), the target (the record or draft id in
// the path) and the outcome: ok (2xx), denied (401, 403, 404) or failed
// (any other 4xx or 5xx). Its detail is compact JSON (readDetail): for a
// list its query string, the number returned and their ids (noteRecords,
// noteDrafts), for a search the query, filters, page, total hits and the
// ids returned (noteSearch; the handlers call these), the person or case
// viewed, and for an answer that is not ok its status and code.
//
// What another layer already records synchronously is not written twice:
// a content download (record.read) and a verification (record.verify)
// are recorded by archive, an audit query (audit.query) by its handler,
// a successful mutation by archive (draft.create, draft.update …), and
// logins and admin actions, allowed or refused, by identity. For those
// routes auditReads writes only what the other layer does not: a denied
// or failed read, a denied mutation. Requests without a caller (no or a
// bad token, no session) are not audited: they reach no data, and a
// failed login is identity's event. A GET answered with a redirect
// reached no data either and is not audited.

// readMode says which outcomes auditReads records for a route.
type readMode uint8

const (
	recordAll    readMode = iota // a read nobody else records
	recordNotOK                  // a read another layer records when it succeeds
	recordDenied                 // a mutation: archive records it when done
)

// targetKind is what the route's :id (or other parameter) names.
type targetKind uint8

const (
	targetNone targetKind = iota
	targetRecord
	targetDraft
	targetPerson
	targetCase
	targetSaved
)

// readRoute is the audit of one route.
type readRoute struct {
	action string
	mode   readMode
	target targetKind
	param  string // the route parameter holding the target
}

func read(action string) readRoute { return readRoute{action: action} }
func readOf(action string, t targetKind, param string) readRoute {
	return readRoute{action: action, target: t, param: param}
}
func (r readRoute) only(m readMode) readRoute { r.mode = m; return r }

// readRoutes maps "METHOD pattern" (the route as registered) to its
// audit. Routes not listed (templates, /me, the public key, static
// files, login, logout, the admin pages' POSTs) are not audited here.
var readRoutes = map[string]readRoute{
	// API
	"GET /api/v1/drafts":                  read("drafts.list"),
	"GET /api/v1/drafts/:id":              readOf("draft.read", targetDraft, "id"),
	"GET /api/v1/drafts/:id/preview":      readOf("draft.preview", targetDraft, "id"),
	"GET /api/v1/drafts/:id/audit":        readOf("audit.view", targetDraft, "id"),
	"POST /api/v1/drafts":                 read("draft.create").only(recordDenied),
	"PUT /api/v1/drafts/:id":              readOf("draft.update", targetDraft, "id").only(recordDenied),
	"POST /api/v1/drafts/:id/return":      readOf("draft.return", targetDraft, "id").only(recordDenied),
	"POST /api/v1/drafts/:id/approve":     readOf("draft.approve", targetDraft, "id").only(recordDenied),
	"GET /api/v1/records":                 read("records.list"),
	"GET /api/v1/records/:id":             readOf("record.meta", targetRecord, "id"),
	"GET /api/v1/records/:id/content":     readOf("record.read", targetRecord, "id").only(recordNotOK),
	"GET /api/v1/records/:id/verify":      readOf("record.verify", targetRecord, "id").only(recordNotOK),
	"GET /api/v1/records/:id/audit":       readOf("audit.view", targetRecord, "id"),
	"GET /api/v1/records/:id/corrections": readOf("record.corrections", targetRecord, "id"),
	"POST /api/v1/records/import":         read("record.import").only(recordDenied),
	"POST /api/v1/records/:id/supersede":  readOf("record.supersede", targetRecord, "id").only(recordDenied),
	"GET /api/v1/search":                  read("search"),
	"GET /api/v1/persons/:name/records":   readOf("person.view", targetPerson, "name"),
	"GET /api/v1/cases/:case/records":     readOf("case.view", targetCase, "case"),
	"GET /api/v1/saved-searches":          read("saved.list"),
	"POST /api/v1/saved-searches":         read("saved.create").only(recordDenied),
	"DELETE /api/v1/saved-searches/:id":   readOf("saved.delete", targetSaved, "id").only(recordDenied),
	"GET /api/v1/audit":                   read("audit.query").only(recordNotOK),
	"GET /drafts":                         read("drafts.list"),
	"GET /queue":                          read("drafts.list"),
	"GET /drafts/:id":                     readOf("draft.read", targetDraft, "id"),
	"GET /drafts/:id/edit":                readOf("draft.read", targetDraft, "id"),
	"GET /drafts/:id/preview":             readOf("draft.preview", targetDraft, "id"),
	"POST /drafts/new":                    read("draft.create").only(recordDenied),
	"POST /drafts/:id/edit":               readOf("draft.update", targetDraft, "id").only(recordDenied),
	"POST /drafts/:id/approve":            readOf("draft.approve", targetDraft, "id").only(recordDenied),
	"POST /drafts/:id/return":             readOf("draft.return", targetDraft, "id").only(recordDenied),
	"GET /records":                        read("records.list"),
	"GET /records/:id":                    readOf("record.meta", targetRecord, "id"),
	"GET /records/:id/content":            readOf("record.read", targetRecord, "id").only(recordNotOK),
	"GET /records/:id/audit":              readOf("audit.view", targetRecord, "id"),
	"POST /records/:id/supersede":         readOf("record.supersede", targetRecord, "id").only(recordDenied),
	"GET /search":                         read("search"),
	"GET /persons/:name":                  readOf("person.view", targetPerson, "name"),
	"GET /cases/:case":                    readOf("case.view", targetCase, "case"),
	"POST /search/saved":                  read("saved.create").only(recordDenied),
	"POST /search/saved/:id/delete":       readOf("saved.delete", targetSaved, "id").only(recordDenied),
	"GET /audit":                          read("audit.view"),
	"GET /admin":                          read("users.list"),

	// The case loop and the archive's life cycle (issues 11 and 13).
	"GET /api/v1/filings/:id":                 read("filing.read"),
	"GET /api/v1/deadlines":                   read("deadlines.list"),
	"GET /api/v1/records/:id/service":         readOf("record.service_view", targetRecord, "id"),
	"POST /api/v1/records/:id/service":        readOf("record.serve", targetRecord, "id").only(recordDenied),
	"POST /api/v1/records/:id/replies":        readOf("record.reply", targetRecord, "id").only(recordDenied),
	"GET /api/v1/spot-checks/:id":             read("spotcheck.read"),
	"GET /api/v1/spot-checks/:id/verify":      read("spotcheck.verify"),
	"POST /api/v1/spot-checks":                read("spotcheck.create").only(recordDenied),
	"GET /api/v1/records/:id/four-properties": readOf("record.four_properties", targetRecord, "id"),
	"GET /api/v1/records/:id/legal-hold":      readOf("record.legal_hold_view", targetRecord, "id"),
	"POST /api/v1/records/:id/legal-hold":     readOf("record.legal_hold", targetRecord, "id").only(recordDenied),
	"DELETE /api/v1/records/:id/legal-hold":   readOf("record.legal_hold_lift", targetRecord, "id").only(recordDenied),
	"GET /api/v1/retention/expired":           read("retention.expired"),
	"GET /api/v1/disposals":                   read("disposals.list"),
	"GET /api/v1/disposals/:id":               read("disposal.read"),
	"POST /api/v1/exports":                    read("record.export").only(recordDenied),
	"GET /deadlines":                          read("deadlines.list"),
	"GET /records/:id/case":                   readOf("record.service_view", targetRecord, "id"),
	"GET /spot-checks":                        read("spotchecks.list"),
	"GET /spot-checks/:id":                    read("spotcheck.read"),
	"GET /cases/:case/loop":                   readOf("case.view", targetCase, "case"),
	"GET /records/:id/four-properties":        readOf("record.four_properties", targetRecord, "id"),
	"GET /lifecycle":                          read("retention.expired"),
	"POST /records/export":                    read("record.export").only(recordDenied),
}

// unauditedReads are the GET routes that show nothing of a case and are
// deliberately not audited as reads (TestEveryGetRouteAudited holds every
// other GET route to readRoutes, so a new page cannot slip past).
var unauditedReads = map[string]bool{
	"GET /api/v1/templates": true, "GET /api/v1/templates/:id": true, "GET /api/v1/me": true,
	"GET /api/v1/keys/public": true, "GET /api/v1/warnings": true,
	"GET /": true, "GET /login": true, "GET /static/*": true, "GET /healthz": true, "GET /readyz": true,
	"GET /drafts/new": true, "GET /records/export": true, "GET /admin/casework": true,
}

// Limits of what an event copies from the request.
const (
	maxAuditTarget = 128  // bytes of a path parameter
	maxAuditQuery  = 2048 // bytes of a query string or search query
)

// localReadDetail holds the *readDetail a handler fills (noteSearch).
const localReadDetail = "audit_read_detail"

// readDetail is the detail of a read event, written as compact JSON
// with sorted keys and no HTML escaping.
type readDetail struct {
	Query   string            `json:"q,omitempty"`       // the search query (q)
	Filters map[string]string `json:"filters,omitempty"` // the search filters set
	Params  string            `json:"params,omitempty"`  // the raw query string of a list
	Name    string            `json:"name,omitempty"`    // the person or case viewed
	Saved   string            `json:"saved,omitempty"`   // the saved search id
	Page    int               `json:"page,omitempty"`
	Total   *uint64           `json:"total,omitempty"`        // hits in all, for a search
	Capped  bool              `json:"total_capped,omitempty"` // Total is a lower bound (search.Result.TotalCapped)
	Count   *int              `json:"count,omitempty"`        // records or drafts returned, for a list
	IDs     []string          `json:"ids,omitempty"`          // ids returned, at most the page size (a list: maxAuditIDs)
	Status  int               `json:"status,omitempty"`
	Code    string            `json:"code,omitempty"`
}

// readAuditor owns the server's Recorder.
type readAuditor struct {
	rec   *audit.Recorder
	owned bool // created by the server, closed by it
	off   bool // benchmarks only: the baseline without audited reads
}

// startReadAudit uses rec, or a new Recorder on the store's catalog.
func (s *Server) startReadAudit(rec *audit.Recorder) {
	s.reads = &readAuditor{rec: rec}
	if rec == nil {
		s.reads.rec = audit.NewRecorder(s.store.AuditSink().Catalog(), audit.RecorderOptions{Logger: s.log})
		s.reads.owned = true
	}
}

// Close commits every audited read: it closes the Recorder the server
// created, or flushes the one it was given. Listen calls it after the
// last request; a caller of App alone calls it before closing the store.
func (s *Server) Close(ctx context.Context) error {
	if s.reads.owned {
		return s.reads.rec.Close(ctx)
	}
	if err := s.reads.rec.Flush(ctx); err != nil && !errors.Is(err, audit.ErrClosed) {
		return err
	}
	return nil
}

// closeReads is Close with a deadline, for Listen.
func (s *Server) closeReads() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		s.log.Error("audited reads not all committed at shutdown", slog.Any("err", err))
	}
}

// auditReads records the request's event after the handler (see the
// comment at the top of this file). An audit view first waits until
// every read before it is committed, so that it shows them. If the
// event of a read cannot be queued, the read is refused (503): nothing
// is served unaudited.
func (s *Server) auditReads(c *fiber.Ctx) error {
	if s.reads.off {
		return c.Next()
	}
	if c.Method() == fiber.MethodGet && strings.HasSuffix(c.Path(), "/audit") {
		if err := s.reads.rec.Flush(c.UserContext()); err != nil {
			s.log.Warn("audit flush before an audit view", slog.String("request_id", requestIDOf(c)), slog.Any("err", err))
		}
	}
	err := c.Next()
	route, ok := readRoutes[routeKey(c)]
	u, _ := caller(c)
	if !ok || u == nil {
		return err
	}
	status, code := answerOf(c, err)
	outcome := outcomeOf(status)
	switch {
	case status >= 300 && status < 400,
		route.mode == recordNotOK && outcome == catalog.OutcomeOK,
		route.mode == recordDenied && outcome != catalog.OutcomeDenied:
		return err
	}
	ev := readEvent(c, u, route, outcome, status, code)
	if rerr := s.reads.rec.Record(c.UserContext(), ev); rerr != nil {
		s.log.Error("read not audited; refused", slog.String("request_id", requestIDOf(c)),
			slog.String("action", ev.Action), slog.Any("err", rerr))
		if err == nil && outcome == catalog.OutcomeOK {
			return s.refuseUnaudited(c)
		}
	}
	return err
}

// refuseUnaudited replaces a read's answer by a 503, as JSON or a page.
func (s *Server) refuseUnaudited(c *fiber.Ctx) error {
	const msg = "审计记录暂不可用，本次查阅未予提供，请稍后重试"
	rid := requestIDOf(c)
	c.Response().Reset()
	c.Set("X-Request-ID", rid)
	if strings.HasPrefix(c.Path(), "/api/") {
		return apiErr(fiber.StatusServiceUnavailable, "audit_unavailable", "", msg)
	}
	s.setWebHeaders(c)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.errorPage(c, fiber.StatusServiceUnavailable, "暂不可用", msg)
}

// routeKey is "METHOD pattern" of the route that answered (HEAD as GET).
func routeKey(c *fiber.Ctx) string {
	r := c.Route()
	m := r.Method
	if m == fiber.MethodHead {
		m = fiber.MethodGet
	}
	return m + " " + r.Path
}

// answerOf is the status and code the caller gets: of the error the
// handler returned (the API; accessLog writes it), else of the response
// (a page has rendered its error already).
func answerOf(c *fiber.Ctx, err error) (int, string) {
	if err != nil {
		cl := classify(err)
		return cl.Status, cl.Code
	}
	return c.Response().StatusCode(), ""
}

func outcomeOf(status int) string {
	switch {
	case status < 400:
		return catalog.OutcomeOK
	case status == fiber.StatusUnauthorized, status == fiber.StatusForbidden, status == fiber.StatusNotFound:
		return catalog.OutcomeDenied
	}
	return catalog.OutcomeFailed
}

// readEvent builds the event of a request by u.
func readEvent(c *fiber.Ctx, u *identity.User, route readRoute, outcome string, status int, code string) audit.Event {
	ev := audit.Event{At: time.Now(), ActorID: u.ID, ActorName: u.Name, ActorRole: string(u.Role), ActorUnitID: u.UnitID,
		Action: route.action, Outcome: outcome}
	d, _ := c.Locals(localReadDetail).(*readDetail)
	if d == nil {
		d = &readDetail{}
		if q := c.Request().URI().QueryString(); len(q) > 0 {
			d.Params = clip(string(q), maxAuditQuery)
		}
	}
	if outcome != catalog.OutcomeOK {
		d.Status, d.Code = status, code
	}
	target := clip(pathParam(c, route.param), maxAuditTarget)
	switch route.target {
	case targetRecord:
		ev.RecordID = target
	case targetDraft:
		ev.DraftID = target
	case targetPerson, targetCase:
		d.Name = target
	case targetSaved:
		d.Saved = target
	}
	ev.Detail = d.encode()
	return ev
}

func (d *readDetail) encode() string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return ""
	}
	s := strings.TrimSuffix(buf.String(), "\n")
	if s == "{}" {
		return ""
	}
	return s
}

// noteSearch gives the search's event its query, filters, page, total
// and the ids of the hits returned (at most the page size).
func noteSearch(c *fiber.Ctx, req search.Request, res *search.Result) {
	d := &readDetail{Query: clip(req.Q, maxAuditQuery), Page: max(req.Page, 1)}
	f := searchToQuery(search.Request{Kind: req.Kind, Unit: req.Unit, Person: req.Person, Case: req.Case,
		Classification: req.Classification, Retention: req.Retention, Year: req.Year, From: req.From, To: req.To, Sort: req.Sort})
	for k := range f {
		if d.Filters == nil {
			d.Filters = map[string]string{}
		}
		d.Filters[k] = clip(f.Get(k), maxAuditTarget)
	}
	if res != nil {
		total := res.Total
		d.Total, d.Capped = &total, res.TotalCapped
		size := req.Size
		if size <= 0 {
			size = search.DefaultSize
		}
		size = min(size, search.MaxSize)
		d.IDs = []string{}
		for i, h := range res.Hits {
			if i == size {
				break
			}
			d.IDs = append(d.IDs, h.ID)
		}
	}
	c.Locals(localReadDetail, d)
}

// maxAuditIDs bounds the ids a list's event names (the pages' list size).
const maxAuditIDs = 200

// noteRecords gives a list's event the number of records returned and
// their ids (at most maxAuditIDs).
func noteRecords(c *fiber.Ctx, list []*archive.Record) {
	ids := make([]string, 0, min(len(list), maxAuditIDs))
	for _, r := range list[:min(len(list), maxAuditIDs)] {
		ids = append(ids, r.ID)
	}
	noteList(c, len(list), ids)
}

// noteDrafts is noteRecords for drafts.
func noteDrafts(c *fiber.Ctx, list []*archive.Draft) {
	ids := make([]string, 0, min(len(list), maxAuditIDs))
	for _, d := range list[:min(len(list), maxAuditIDs)] {
		ids = append(ids, d.ID)
	}
	noteList(c, len(list), ids)
}

func noteList(c *fiber.Ctx, n int, ids []string) {
	d := &readDetail{Count: &n, IDs: ids}
	if q := c.Request().URI().QueryString(); len(q) > 0 {
		d.Params = clip(string(q), maxAuditQuery)
	}
	c.Locals(localReadDetail, d)
}

// clip makes s valid UTF-8 of at most n bytes, cut at a rune boundary,
// in memory of its own: Fiber's parameters point into the request's
// buffer, which the next request on the connection overwrites while the
// event may still wait in the Recorder's queue.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) > n {
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n]
	}
	return strings.Clone(s)
}
