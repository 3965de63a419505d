package server

import (
	"net/url"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"wenshu/archive"
	"wenshu/identity"
)

// Record pages (档案): the list, one record with its verification and
// corrections, its download, and the correction draft (更正).

type recordsData struct {
	Records []*archive.Record
}

func (s *Server) recordsPage(c *fiber.Ctx) error {
	u, _ := caller(c)
	list, err := s.store.ListRecords(c.UserContext(), u, archive.RecordFilter{Limit: 200})
	if err != nil {
		return err
	}
	noteRecords(c, list)
	return s.render(c, fiber.StatusOK, "records", newView(c, "档案", "records", recordsData{Records: list}))
}

type recordData struct {
	Record       *archive.Record
	TemplateName string
	Fields       []formField
	Verification *archive.Verification
	Corrections  *archive.Corrections
	CanSupersede bool
}

func (s *Server) recordPage(c *fiber.Ctx) error {
	u, _ := caller(c)
	ctx := c.UserContext()
	rec, err := s.store.GetRecord(ctx, u, c.Params("id"))
	if err != nil {
		return err
	}
	d := recordData{Record: rec, TemplateName: rec.Kind,
		CanSupersede: u.Role == identity.RoleClerk || u.Role == identity.RoleApprover}
	if t, err := s.templates.Get(rec.TemplateID); err == nil && rec.TemplateID != "" {
		d.TemplateName = t.Name
		d.Fields = readOnlyFields(t, rec.Fields)
	}
	if d.Verification, err = s.store.Verify(ctx, u, rec.ID); err != nil {
		return err
	}
	status := fiber.StatusOK
	if d.Verification.Unavailable() {
		// The page still shows the record; the verification says the
		// store is unreachable (neither passed nor failed).
		status = fiber.StatusServiceUnavailable
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(storageRetryAfter))
	}
	if d.Corrections, err = s.store.Corrections(ctx, u, rec.ID); err != nil {
		return err
	}
	v := newView(c, "档案："+rec.Title, "records", d)
	v.Notice = noticeText(c.Query("notice"))
	return s.render(c, status, "record", v)
}

func (s *Server) webSupersede(c *fiber.Ctx) error {
	u, d, err := s.supersede(c)
	if err != nil {
		return err
	}
	if u.Role == identity.RoleClerk {
		return c.Redirect("/drafts/"+url.PathEscape(d.ID)+"/edit", fiber.StatusSeeOther)
	}
	return c.Redirect("/drafts/"+url.PathEscape(d.ID), fiber.StatusSeeOther)
}
