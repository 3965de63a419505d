package server

import (
	"database/sql"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"wenshu/audit"
	"wenshu/catalog"
	"wenshu/identity"
)

// The audit query (审计查询) for auditors: GET /api/v1/audit?actor=&action=
// &record=&from=&to=&page=&size=. An auditor sees the events attributed to
// its unit or its granted units (an event about a record or draft belongs
// to that record's or draft's unit, any other to its actor's unit) and the
// events whose actor belonged to one of them. The query is itself audited
// (audit.query). Every parameter is checked; a bad one is a 400 with the
// code bad_<name>.

func (s *Server) auditRoutes(api fiber.Router) {
	api.Get("/audit", s.queryAudit)
}

var auditParamNames = map[string]bool{"actor": true, "action": true, "record": true, "from": true, "to": true, "page": true, "size": true}

var (
	auditActionRe = regexp.MustCompile(`^[a-z][a-z0-9_.]{0,63}$`)
	auditRecordRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

func (s *Server) queryAudit(c *fiber.Ctx) error {
	if err := requireRole(c, identity.RoleAuditor); err != nil {
		return err
	}
	u, _ := caller(c)
	p := queryValues(c)
	q, err := auditQueryFromParams(p)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	if q.Units, err = s.store.Identity().VisibleUnits(ctx, u); err != nil {
		return err
	}
	db := s.store.AuditSink().Catalog()
	page, err := audit.Search(ctx, db.Reader(), q)
	if err != nil {
		return err
	}
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		return catalog.AppendAudit(ctx, tx, catalog.AuditEntry{At: time.Now(), ActorID: u.ID, ActorName: u.Name,
			ActorRole: string(u.Role), ActorUnitID: u.UnitID, Action: "audit.query",
			Detail: p.Encode() + " total=" + strconv.FormatInt(page.Total, 10)})
	})
	if err != nil {
		return err
	}
	return c.JSON(page)
}

// auditQueryFromParams reads and checks the query parameters.
func auditQueryFromParams(p url.Values) (audit.Query, error) {
	var q audit.Query
	for name, vs := range p {
		if !auditParamNames[name] {
			return q, apiErr(fiber.StatusBadRequest, "unknown_parameter", name, "未知参数 "+name)
		}
		if len(vs) > 1 {
			return q, apiErr(fiber.StatusBadRequest, "bad_"+name, name, "参数 "+name+" 只能出现一次")
		}
	}
	q.Actor, q.Action, q.Record = strings.TrimSpace(p.Get("actor")), p.Get("action"), p.Get("record")
	if q.Actor != "" && !plainName(q.Actor) {
		return q, apiErr(fiber.StatusBadRequest, "bad_actor", "actor", "参数 actor 应为用户姓名（不超过 64 个字符）")
	}
	if q.Action != "" && !auditActionRe.MatchString(q.Action) {
		return q, apiErr(fiber.StatusBadRequest, "bad_action", "action", "参数 action 应为操作名，如 record.read")
	}
	if q.Record != "" && !auditRecordRe.MatchString(q.Record) {
		return q, apiErr(fiber.StatusBadRequest, "bad_record", "record", "参数 record 应为档案编号")
	}
	var err error
	if q.From, err = auditTimeParam(p, "from", false); err != nil {
		return q, err
	}
	if q.To, err = auditTimeParam(p, "to", true); err != nil {
		return q, err
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		return q, apiErr(fiber.StatusBadRequest, "bad_to", "to", "参数 to 不能早于 from")
	}
	if q.Page, err = boundedInt(p, "page", 1, 1_000_000); err != nil {
		return q, err
	}
	if q.Size, err = boundedInt(p, "size", 1, audit.MaxPageSize); err != nil {
		return q, err
	}
	return q, nil
}

// plainName is a user name: valid UTF-8, no control or format characters,
// at most 64 characters.
func plainName(s string) bool {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > 64 {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }) < 0
}

// auditTimeParam reads a day (YYYY-MM-DD, China time; end makes it the
// day's last instant) or an RFC 3339 instant.
func auditTimeParam(p url.Values, name string, end bool) (time.Time, error) {
	v := p.Get(name)
	if len(v) > len(dateLayout) {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return time.Time{}, apiErr(fiber.StatusBadRequest, "bad_"+name, name, "参数 "+name+" 应为日期 YYYY-MM-DD 或 RFC 3339 时间")
		}
		return t, nil
	}
	return dateParam(p, name, end)
}

// boundedInt reads an integer in [lo, hi]; absent is 0 (the default).
func boundedInt(p url.Values, name string, lo, hi int) (int, error) {
	n, err := intParam(p, name)
	if err != nil {
		return 0, err
	}
	if p.Get(name) != "" && (n < lo || n > hi) {
		return 0, apiErr(fiber.StatusBadRequest, "bad_"+name, name, "参数 "+name+" 应在 "+strconv.Itoa(lo)+" 到 "+strconv.Itoa(hi)+" 之间")
	}
	return n, nil
}
