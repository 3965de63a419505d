package server

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"wenshu/archive"
	"wenshu/identity"
)

// Audit pages (审计): the auditor's start page and one record's audit events.

type auditHomeData struct {
	ID      string
	Records []*archive.Record
}

func (s *Server) auditPage(c *fiber.Ctx) error {
	if err := requireRole(c, identity.RoleAuditor); err != nil {
		return err
	}
	if id := strings.TrimSpace(c.Query("id")); id != "" {
		return c.Redirect("/records/"+url.PathEscape(id)+"#verify", fiber.StatusSeeOther)
	}
	u, _ := caller(c)
	list, err := s.store.ListRecords(c.UserContext(), u, archive.RecordFilter{Limit: 50})
	if err != nil {
		return err
	}
	noteRecords(c, list)
	return s.render(c, fiber.StatusOK, "audit", newView(c, "审计", "audit", auditHomeData{Records: list}))
}

type auditData struct {
	Record *archive.Record
	Events []archive.AuditEvent
}

func (s *Server) recordAuditPage(c *fiber.Ctx) error {
	u, _ := caller(c)
	rec, err := s.store.GetRecord(c.UserContext(), u, c.Params("id"))
	if err != nil {
		return err
	}
	ev, err := s.store.ListAudit(c.UserContext(), u, rec.ID)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "record_audit", newView(c, "审计事件："+rec.Title, "audit", auditData{Record: rec, Events: ev}))
}
