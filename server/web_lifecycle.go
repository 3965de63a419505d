package server

import (
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"wenshu/archive"
	"wenshu/identity"
)

// Lifecycle pages: a record's 四性检测 report (printable) with its legal
// holds; the expiry list with appraisal, and the 销毁清册 with their
// approvals. Forms carry the CSRF token like every other page; the Store
// checks roles and units.

func (s *Server) webLifecycleRoutes(get, post func(string, fiber.Handler)) {
	get("/records/:id/four-properties", s.fourPropsPage)
	post("/records/:id/four-properties/keep", s.webKeepReport)
	post("/records/:id/legal-hold", s.webPlaceHold)
	post("/records/:id/legal-hold/lift", s.webLiftHold)
	get("/lifecycle", s.lifecyclePage)
	post("/records/:id/appraisal", s.webAppraise)
	post("/disposals", s.webPropose)
	post("/disposals/:id/approve", s.webApproveDisposal)
	post("/disposals/:id/execute", s.webExecuteDisposal)
}

type fourPropsData struct {
	Report  *archive.FourPropReport
	Holds   []archive.LegalHold
	CanHold bool
	KeptAs  string
}

func (s *Server) fourPropsPage(c *fiber.Ctx) error {
	u, _ := caller(c)
	ctx := c.UserContext()
	rep, err := s.store.RecordFourProperties(ctx, u, c.Params("id"))
	if err != nil {
		return err
	}
	holds, err := s.store.LegalHolds(ctx, u, rep.RecordID)
	if err != nil {
		return err
	}
	d := fourPropsData{Report: rep, Holds: holds, KeptAs: c.Query("kept"),
		CanHold: identity.HasRole(u, identity.RoleArchivist, identity.RoleAuditor)}
	v := newView(c, "四性检测："+rep.Title, "records", d)
	v.Notice = noticeText(c.Query("notice"))
	return s.render(c, fiber.StatusOK, "four_properties", v)
}

func (s *Server) webKeepReport(c *fiber.Ctx) error {
	u, _ := caller(c)
	rep, err := s.store.RecordFourProperties(c.UserContext(), u, c.Params("id"))
	if err != nil {
		return err
	}
	rec, err := s.store.KeepFourPropertiesReport(c.UserContext(), u, rep)
	if err != nil {
		return err
	}
	return c.Redirect("/records/"+url.PathEscape(rep.RecordID)+"/four-properties?kept="+url.QueryEscape(rec.ID), fiber.StatusSeeOther)
}

func (s *Server) webPlaceHold(c *fiber.Ctx) error {
	u, _ := caller(c)
	if _, err := s.store.PlaceLegalHold(c.UserContext(), u, c.Params("id"), c.FormValue("reason")); err != nil {
		return err
	}
	return c.Redirect("/records/"+url.PathEscape(c.Params("id"))+"/four-properties", fiber.StatusSeeOther)
}

func (s *Server) webLiftHold(c *fiber.Ctx) error {
	u, _ := caller(c)
	if _, err := s.store.LiftLegalHold(c.UserContext(), u, c.Params("id"), c.FormValue("reason")); err != nil {
		return err
	}
	return c.Redirect("/records/"+url.PathEscape(c.Params("id"))+"/four-properties", fiber.StatusSeeOther)
}

type lifecycleData struct {
	Expired     []archive.ExpiredRecord
	Disposals   []*archive.DisposalList
	IsArchivist bool
}

func (s *Server) lifecyclePage(c *fiber.Ctx) error {
	u, _ := caller(c)
	ctx := c.UserContext()
	var d lifecycleData
	var err error
	if identity.HasRole(u, identity.RoleArchivist, identity.RoleAuditor) {
		if d.Expired, err = s.store.ExpiredRecords(ctx, u); err != nil {
			return err
		}
	}
	if d.Disposals, err = s.store.ListDisposalLists(ctx, u); err != nil {
		return err
	}
	d.IsArchivist = identity.HasRole(u, identity.RoleArchivist)
	return s.render(c, fiber.StatusOK, "lifecycle", newView(c, "鉴定与销毁", "lifecycle", d))
}

func (s *Server) webAppraise(c *fiber.Ctx) error {
	u, _ := caller(c)
	in := archive.AppraisalInput{Decision: c.FormValue("decision"), Reason: c.FormValue("reason")}
	if v := strings.TrimSpace(c.FormValue("retain_until")); v != "" {
		t, err := parseDateOrTime(v)
		if err != nil {
			return apiErr(fiber.StatusUnprocessableEntity, "bad_retain_until", "retain_until", "新保管期限须为 YYYY-MM-DD")
		}
		in.RetainUntil = t.Add(24*time.Hour - time.Second)
	}
	if _, err := s.store.Appraise(c.UserContext(), u, c.Params("id"), in); err != nil {
		return err
	}
	return c.Redirect("/lifecycle", fiber.StatusSeeOther)
}

func (s *Server) webPropose(c *fiber.Ctx) error {
	u, _ := caller(c)
	form, err := c.MultipartForm()
	var ids []string
	if err == nil {
		ids = form.Value["record"]
	} else {
		c.Request().PostArgs().VisitAll(func(k, v []byte) {
			if string(k) == "record" {
				ids = append(ids, string(v))
			}
		})
	}
	if _, err := s.store.ProposeDisposal(c.UserContext(), u, ids); err != nil {
		return err
	}
	return c.Redirect("/lifecycle", fiber.StatusSeeOther)
}

func (s *Server) webApproveDisposal(c *fiber.Ctx) error {
	u, _ := caller(c)
	if _, err := s.store.ApproveDisposal(c.UserContext(), u, c.Params("id")); err != nil {
		return err
	}
	return c.Redirect("/lifecycle", fiber.StatusSeeOther)
}

func (s *Server) webExecuteDisposal(c *fiber.Ctx) error {
	u, _ := caller(c)
	if _, err := s.store.ExecuteDisposal(c.UserContext(), u, c.Params("id")); err != nil {
		return err
	}
	return c.Redirect("/lifecycle", fiber.StatusSeeOther)
}

var fourPropResultNames = map[string]string{
	archive.ResultPass: "通过", archive.ResultFail: "未通过", archive.ResultUnavailable: "无法检测",
}
