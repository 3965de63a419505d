package server

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"wenshu/archive"
	"wenshu/identity"
	"wenshu/templates"
)

// Draft pages (起草, 待审批): the lists, the editor generated from the
// template, the draft view and the approver's decisions.

type draftRow struct {
	*archive.Draft
	TemplateName string
	Title        string
	Mine         bool
	Editable     bool
}

type draftsData struct {
	Templates []*templates.Template
	Drafts    []draftRow
	Heading   string
	Queue     bool
}

func (s *Server) draftRows(c *fiber.Ctx, list []*archive.Draft) []draftRow {
	u, _ := caller(c)
	rows := make([]draftRow, 0, len(list))
	for _, d := range list {
		r := draftRow{Draft: d, Mine: d.AuthorID == u.ID,
			Editable: u.Role == identity.RoleClerk && (d.Status == archive.DraftOpen || d.Status == archive.DraftReturned)}
		r.TemplateName = d.TemplateID
		if t, err := s.templates.Get(d.TemplateID); err == nil {
			r.TemplateName = t.Name
		}
		r.Title = draftTitle(d)
		rows = append(rows, r)
	}
	return rows
}

// draftTitle names a draft in lists: its title or subject field, else its
// person's name.
func draftTitle(d *archive.Draft) string {
	for _, k := range []string{"title", "subject"} {
		if v, ok := d.Fields[k].(string); ok && v != "" {
			return v
		}
	}
	if p, ok := d.Fields["person"].(map[string]any); ok {
		if n, ok := p["name"].(string); ok {
			return n
		}
	}
	return ""
}

func (s *Server) draftsPage(c *fiber.Ctx) error {
	if err := requireRole(c, identity.RoleClerk, identity.RoleApprover); err != nil {
		return err
	}
	u, _ := caller(c)
	list, err := s.store.ListDrafts(c.UserContext(), u, archive.DraftFilter{Limit: 200})
	if err != nil {
		return err
	}
	noteDrafts(c, list)
	d := draftsData{Templates: s.templates.All(), Drafts: s.draftRows(c, list), Heading: "本单位文稿"}
	v := newView(c, "起草", "drafts", d)
	v.Notice = noticeText(c.Query("notice"))
	return s.render(c, fiber.StatusOK, "drafts", v)
}

func (s *Server) queuePage(c *fiber.Ctx) error {
	if err := requireRole(c, identity.RoleApprover); err != nil {
		return err
	}
	u, _ := caller(c)
	list, err := s.store.ListDrafts(c.UserContext(), u, archive.DraftFilter{Status: archive.DraftOpen, Limit: 200})
	if err != nil {
		return err
	}
	noteDrafts(c, list)
	v := newView(c, "待审批", "queue", draftsData{Drafts: s.draftRows(c, list), Heading: "待审批文稿", Queue: true})
	v.Notice = noticeText(c.Query("notice"))
	return s.render(c, fiber.StatusOK, "queue", v)
}

// draftFormData is the draft editor.
type draftFormData struct {
	Template       *templates.Template
	DraftID        string
	Revision       int
	Action         string
	Fields         []formField
	CaseNo         string
	Persons        string
	Classification string
	Retention      string
	Meta           map[string][]string // errors of the draft's own inputs
	Summary        []fieldErrorList
	PlanRecords    map[string][]*archive.Record // cited template → the records a record_id field may name
	ReturnReason   string
}

// planRecords lists, per template cited by a record_id field (Field.Cites),
// the filed records of the unit the draft may cite (archive.CitableRecords:
// a letter's plans are the 函询 ones, never superseded); on a failure the
// picker is left empty (and the failure logged).
func (s *Server) planRecords(c *fiber.Ctx, t *templates.Template) map[string][]*archive.Record {
	u, _ := caller(c)
	out := map[string][]*archive.Record{}
	for _, f := range t.Fields {
		if f.Format != templates.FormatRecordID || f.Cites == "" || out[f.Cites] != nil {
			continue
		}
		list, err := s.store.CitableRecords(c.UserContext(), u, t.ID, f.Cites)
		if err != nil {
			s.logPartial(c, "citable records", err)
			continue
		}
		out[f.Cites] = list
	}
	return out
}

func (s *Server) showDraftForm(c *fiber.Ctx, status int, d *draftFormData, values map[string]any, errs map[string][]string, list []templates.FieldError, isNew bool) error {
	d.Fields = buildFormFields(d.Template, values, errs, isNew)
	d.Meta = errs
	d.Summary = errorSummary(d.Template, list)
	d.PlanRecords = s.planRecords(c, d.Template)
	title := "起草：" + d.Template.Name
	if d.DraftID != "" {
		title = "修改文稿：" + d.Template.Name
	}
	return s.render(c, status, "draft_form", newView(c, title, "drafts", d))
}

func defaultClassification(t *templates.Template) string {
	if f, ok := t.Field(templates.FieldClassification); ok && f.Default != "" {
		return f.Default
	}
	return identity.ClearanceInternal
}

func (s *Server) newDraftPage(c *fiber.Ctx) error {
	if err := requireRole(c, identity.RoleClerk, identity.RoleApprover); err != nil {
		return err
	}
	t, err := s.templates.Get(c.Query("template"))
	if err != nil {
		return err
	}
	d := &draftFormData{Template: t, Action: "/drafts/new?template=" + url.QueryEscape(t.ID),
		Classification: defaultClassification(t), Retention: string(archive.Retention30)}
	return s.showDraftForm(c, fiber.StatusOK, d, map[string]any{}, nil, nil, true)
}

// draftInput reads the posted editor into a DraftInput.
func (s *Server) draftInput(c *fiber.Ctx, t *templates.Template) (archive.DraftInput, url.Values, error) {
	form, err := postedForm(c)
	if err != nil {
		return archive.DraftInput{}, nil, err
	}
	fields := parseDraftForm(t.Fields, form) // the Store sets the issuer from the author's unit
	in := archive.DraftInput{
		TemplateID:     t.ID,
		Fields:         fields,
		CaseNo:         form.Get("case_no"),
		Persons:        splitPersons(form.Get("persons")),
		Classification: form.Get("classification"),
		Retention:      archive.Retention(form.Get("retention")),
	}
	in.Revision, _ = strconv.Atoi(form.Get("revision"))
	return in, form, nil
}

func formDataFrom(t *templates.Template, in archive.DraftInput, form url.Values) *draftFormData {
	return &draftFormData{Template: t, CaseNo: in.CaseNo, Persons: form.Get("persons"),
		Classification: in.Classification, Retention: string(in.Retention)}
}

func (s *Server) newDraftSubmit(c *fiber.Ctx) error {
	if err := requireRole(c, identity.RoleClerk, identity.RoleApprover); err != nil {
		return err
	}
	t, err := s.templates.Get(c.Query("template"))
	if err != nil {
		return err
	}
	in, form, err := s.draftInput(c, t)
	if err != nil {
		return err
	}
	u, _ := caller(c)
	dr, err := s.store.CreateDraft(c.UserContext(), u, in)
	if err != nil {
		errs, list, class, ok := collectErrors(err)
		if !ok {
			return err
		}
		d := formDataFrom(t, in, form)
		d.Action = "/drafts/new?template=" + url.QueryEscape(t.ID)
		return s.showDraftForm(c, class.Status, d, in.Fields, errs, list, false)
	}
	return c.Redirect("/drafts/"+url.PathEscape(dr.ID)+"?notice=saved", fiber.StatusSeeOther)
}

// editedDraft is what both edit handlers start from: a clerk, the draft it
// may read, and the draft's template.
func (s *Server) editedDraft(c *fiber.Ctx) (*archive.Draft, *templates.Template, error) {
	if err := requireRole(c, identity.RoleClerk); err != nil {
		return nil, nil, err
	}
	u, _ := caller(c)
	dr, err := s.store.GetDraft(c.UserContext(), u, c.Params("id"))
	if err != nil {
		return nil, nil, err
	}
	t, err := s.templates.Get(dr.TemplateID)
	if err != nil {
		return nil, nil, err
	}
	return dr, t, nil
}

func (s *Server) editDraftPage(c *fiber.Ctx) error {
	dr, t, err := s.editedDraft(c)
	if err != nil {
		return err
	}
	if dr.Status != archive.DraftOpen && dr.Status != archive.DraftReturned {
		return c.Redirect("/drafts/"+url.PathEscape(dr.ID), fiber.StatusSeeOther)
	}
	d := &draftFormData{Template: t, DraftID: dr.ID, Revision: dr.Revision, Action: "/drafts/" + url.PathEscape(dr.ID) + "/edit",
		CaseNo: dr.CaseNo, Persons: strings.Join(dr.Persons, "、"), Classification: dr.Classification,
		Retention: string(dr.Retention), ReturnReason: dr.ReturnReason}
	return s.showDraftForm(c, fiber.StatusOK, d, dr.Fields, nil, nil, false)
}

func (s *Server) editDraftSubmit(c *fiber.Ctx) error {
	dr, t, err := s.editedDraft(c)
	if err != nil {
		return err
	}
	u, _ := caller(c)
	in, form, err := s.draftInput(c, t)
	if err != nil {
		return err
	}
	if _, err := s.store.UpdateDraft(c.UserContext(), u, dr.ID, in); err != nil {
		errs, list, class, ok := collectErrors(err)
		if !ok {
			return err
		}
		d := formDataFrom(t, in, form)
		d.DraftID, d.Revision, d.ReturnReason = dr.ID, in.Revision, dr.ReturnReason
		d.Action = "/drafts/" + url.PathEscape(dr.ID) + "/edit"
		return s.showDraftForm(c, class.Status, d, in.Fields, errs, list, false)
	}
	return c.Redirect("/drafts/"+url.PathEscape(dr.ID)+"?notice=saved", fiber.StatusSeeOther)
}

type draftViewData struct {
	Draft        *archive.Draft
	TemplateName string
	Fields       []formField
	Author       string
	CanEdit      bool
	CanDecide    bool
	Own          bool
	Error        string           // why the last action was refused
	Problems     []fieldErrorList // the fields that refused it, if any
	Audit        []archive.AuditEvent
}

// showDraft renders the draft page; problem, if not nil, is why the
// approver's last action on it was refused, shown above the draft.
func (s *Server) showDraft(c *fiber.Ctx, status int, id string, problem *errorClass) error {
	u, _ := caller(c)
	ctx := c.UserContext()
	dr, err := s.store.GetDraft(ctx, u, id)
	if err != nil {
		return err
	}
	d := draftViewData{Draft: dr, TemplateName: dr.TemplateID, Own: dr.AuthorID == u.ID}
	t, terr := s.templates.Get(dr.TemplateID)
	if terr == nil {
		d.TemplateName = t.Name
		d.Fields = readOnlyFields(t, dr.Fields)
	}
	if problem != nil {
		d.Error = problem.Message
		if problem.Fields != nil {
			d.Error = "文稿有 " + strconv.Itoa(len(problem.Fields)) + " 处内容不符合要求，须修改后才能签发。"
			if terr == nil {
				d.Problems = errorSummary(t, problem.fieldList())
			}
		}
	}
	if a, err := s.store.Identity().GetUser(ctx, dr.AuthorID); err == nil {
		d.Author = a.Name
	} else {
		s.logPartial(c, "draft author", err)
	}
	open := dr.Status == archive.DraftOpen || dr.Status == archive.DraftReturned
	d.CanEdit = u.Role == identity.RoleClerk && open
	d.CanDecide = u.Role == identity.RoleApprover && dr.Status == archive.DraftOpen
	if d.Audit, err = s.store.ListDraftAudit(ctx, u, dr.ID); err != nil {
		s.logPartial(c, "draft audit", err)
	}
	if dr.Status == archive.DraftFiled && dr.RecordID != "" && problem == nil && c.Query("notice") == "" {
		// A filed draft lives on as its record.
		target := "/records/" + url.PathEscape(dr.RecordID)
		if c.Query("filing") != "" {
			target += "?notice=filed"
		}
		return c.Redirect(target, fiber.StatusSeeOther)
	}
	if dr.Status == archive.DraftFiling && problem == nil {
		return s.showFiling(c, dr, d.TemplateName)
	}
	if d.Error == "" {
		d.Error = s.voidedFilingMessage(c, c.Query("filing"))
	}
	v := newView(c, "文稿："+d.TemplateName, "drafts", d)
	if u.Role == identity.RoleApprover {
		v.Active = "queue"
	}
	v.Notice = noticeText(c.Query("notice"))
	return s.render(c, status, "draft", v)
}

func (s *Server) draftPage(c *fiber.Ctx) error {
	return s.showDraft(c, fiber.StatusOK, c.Params("id"), nil)
}

func (s *Server) webPreview(c *fiber.Ctx) error {
	return s.previewDraft(c)
}

func (s *Server) webApprove(c *fiber.Ctx) error {
	if err := requireRole(c, identity.RoleApprover); err != nil {
		return err
	}
	u, _ := caller(c)
	id := c.Params("id")
	res, err := s.store.Approve(c.UserContext(), u, id)
	var pending *archive.FilingPending
	if errors.As(err, &pending) {
		// 正在归档: the draft page refreshes itself until the filing ends.
		return c.Redirect("/drafts/"+url.PathEscape(id)+"?filing="+url.QueryEscape(pending.FilingID), fiber.StatusSeeOther)
	}
	if err != nil {
		if class, ok := shownInline(err); ok {
			return s.showDraft(c, class.Status, id, &class)
		}
		return err
	}
	return c.Redirect("/records/"+url.PathEscape(res.Record.ID)+"?notice=filed", fiber.StatusSeeOther)
}

// filingData is the 正在归档 page: a draft whose filing has not ended.
type filingData struct {
	Draft        *archive.Draft
	TemplateName string
	Filing       *archive.FilingStatus // nil when the page was not reached from an approval
	Step         string                // how far it has come, in words
}

// filingStepNames say how far an open filing has come.
var filingStepNames = map[string]string{
	"allocated": "已分配文号和档号，正在生成正文",
	"rendered":  "正文已生成，正在写入存储",
	"signed":    "已签名，正在写入清单",
}

// showFiling renders the 正在归档 page, which reloads itself every two
// seconds (a meta refresh and a Refresh header: no script) until the
// draft is filed (the draft page then redirects to the record) or back
// to draft (the page then says why).
func (s *Server) showFiling(c *fiber.Ctx, dr *archive.Draft, templateName string) error {
	u, _ := caller(c)
	d := filingData{Draft: dr, TemplateName: templateName}
	if fid := c.Query("filing"); fid != "" {
		if f, err := s.store.Filing(c.UserContext(), u, fid); err == nil && f.DraftID == dr.ID {
			d.Filing, d.Step = f, filingStepNames[f.Status]
		}
	}
	if d.Step == "" {
		d.Step = "正在写入存储"
	}
	c.Set("Refresh", "2")
	c.Set(fiber.HeaderCacheControl, "no-store")
	v := newView(c, "正在归档："+templateName, "queue", d)
	return s.render(c, fiber.StatusOK, "filing", v)
}

// voidedFilingMessage explains, on the draft page reached from the
// 正在归档 page, that the filing did not complete and its numbers are
// void; "" if filing fid was not voided.
func (s *Server) voidedFilingMessage(c *fiber.Ctx, fid string) string {
	if fid == "" {
		return ""
	}
	u, _ := caller(c)
	f, err := s.store.Filing(c.UserContext(), u, fid)
	if err != nil || f.Status != "void" {
		return ""
	}
	return "本次签发未能完成，已分配的编号已作废（" + f.VoidReason + "），文稿已退回待签发状态，可重新签发。"
}

func (s *Server) webReturn(c *fiber.Ctx) error {
	if err := requireRole(c, identity.RoleApprover); err != nil {
		return err
	}
	u, _ := caller(c)
	if _, err := s.store.ReturnDraft(c.UserContext(), u, c.Params("id"), c.FormValue("reason")); err != nil {
		if class, ok := shownInline(err); ok {
			return s.showDraft(c, class.Status, c.Params("id"), &class)
		}
		return err
	}
	return c.Redirect("/queue?notice=returned", fiber.StatusSeeOther)
}
