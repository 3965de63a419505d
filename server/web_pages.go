package server

import (
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"wenshu/archive"
	"wenshu/identity"
	"wenshu/problem"
	"wenshu/search"
	"wenshu/templates"
)

// --- 起草: templates, drafts and the generated form ---

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

// draftTitle names a draft in lists: its title field, else its person.
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
	v := newView(c, "待审批", "queue", draftsData{Drafts: s.draftRows(c, list), Heading: "待审批文稿", Queue: true})
	v.Notice = noticeText(c.Query("notice"))
	return s.render(c, fiber.StatusOK, "queue", v)
}

var notices = map[string]string{
	"saved":    "已保存草稿。",
	"returned": "已退回承办人。",
	"created":  "已添加用户。",
	"disabled": "已停用该用户。",
	"enabled":  "已启用该用户。",
	"password": "已重设密码，该用户的登录会话已结束。",
	"search":   "已保存检索。",
	"deleted":  "已删除保存的检索。",
	"filed":    "已签发并归档。",
}

func noticeText(k string) string { return notices[k] }

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
	PlanRecords    []*archive.Record
	ReturnReason   string
}

// planRecords lists the unit's filed 谈话方案 for the record-id picker.
func (s *Server) planRecords(c *fiber.Ctx, t *templates.Template) []*archive.Record {
	need := false
	for _, f := range t.Fields {
		if f.Format == templates.FormatRecordID {
			need = true
		}
	}
	if !need {
		return nil
	}
	u, _ := caller(c)
	list, err := s.store.ListRecords(c.UserContext(), u, archive.RecordFilter{TemplateID: archive.PlanTemplateID, Limit: 100})
	if err != nil {
		return nil
	}
	return list
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
		errs, list, ok := collectErrors(err)
		if !ok {
			return err
		}
		d := formDataFrom(t, in, form)
		d.Action = "/drafts/new?template=" + url.QueryEscape(t.ID)
		return s.showDraftForm(c, fiber.StatusUnprocessableEntity, d, in.Fields, errs, list, false)
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
		errs, list, ok := collectErrors(err)
		if !ok {
			return err
		}
		d := formDataFrom(t, in, form)
		d.DraftID, d.Revision, d.ReturnReason = dr.ID, in.Revision, dr.ReturnReason
		d.Action = "/drafts/" + url.PathEscape(dr.ID) + "/edit"
		return s.showDraftForm(c, fiber.StatusUnprocessableEntity, d, in.Fields, errs, list, false)
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
	Error        string
	Audit        []archive.AuditEvent
}

func (s *Server) showDraft(c *fiber.Ctx, status int, id, errMsg string) error {
	u, _ := caller(c)
	dr, err := s.store.GetDraft(c.UserContext(), u, id)
	if err != nil {
		return err
	}
	d := draftViewData{Draft: dr, TemplateName: dr.TemplateID, Error: errMsg, Own: dr.AuthorID == u.ID}
	if t, err := s.templates.Get(dr.TemplateID); err == nil {
		d.TemplateName = t.Name
		d.Fields = readOnlyFields(t, dr.Fields)
	}
	if a, err := s.store.Identity().GetUser(c.UserContext(), dr.AuthorID); err == nil {
		d.Author = a.Name
	}
	open := dr.Status == archive.DraftOpen || dr.Status == archive.DraftReturned
	d.CanEdit = u.Role == identity.RoleClerk && open
	d.CanDecide = u.Role == identity.RoleApprover && dr.Status == archive.DraftOpen
	if ev, err := s.store.ListDraftAudit(c.UserContext(), u, dr.ID); err == nil {
		d.Audit = ev
	}
	if dr.Status == archive.DraftFiled && dr.RecordID != "" && errMsg == "" && c.Query("notice") == "" {
		// A filed draft lives on as its record.
		return c.Redirect("/records/"+url.PathEscape(dr.RecordID), fiber.StatusSeeOther)
	}
	v := newView(c, "文稿："+d.TemplateName, "drafts", d)
	if u.Role == identity.RoleApprover {
		v.Active = "queue"
	}
	v.Notice = noticeText(c.Query("notice"))
	return s.render(c, status, "draft", v)
}

func (s *Server) draftPage(c *fiber.Ctx) error {
	return s.showDraft(c, fiber.StatusOK, c.Params("id"), "")
}

func (s *Server) webPreview(c *fiber.Ctx) error {
	return s.previewDraft(c)
}

func (s *Server) webApprove(c *fiber.Ctx) error {
	if err := requireRole(c, identity.RoleApprover); err != nil {
		return err
	}
	u, _ := caller(c)
	rec, err := s.store.ApproveDraft(c.UserContext(), u, c.Params("id"))
	if err != nil {
		var ae *problem.Error
		if errors.As(err, &ae) && (errors.Is(err, archive.ErrConflict) || errors.Is(err, archive.ErrInvalid) || errors.Is(err, archive.ErrForbidden)) {
			status := fiber.StatusConflict
			if errors.Is(err, archive.ErrForbidden) {
				status = fiber.StatusForbidden
			}
			return s.showDraft(c, status, c.Params("id"), ae.Message)
		}
		return err
	}
	return c.Redirect("/records/"+url.PathEscape(rec.ID)+"?notice=filed", fiber.StatusSeeOther)
}

func (s *Server) webReturn(c *fiber.Ctx) error {
	if err := requireRole(c, identity.RoleApprover); err != nil {
		return err
	}
	u, _ := caller(c)
	if _, err := s.store.ReturnDraft(c.UserContext(), u, c.Params("id"), c.FormValue("reason")); err != nil {
		var ae *problem.Error
		if errors.As(err, &ae) && (errors.Is(err, archive.ErrConflict) || errors.Is(err, archive.ErrInvalid)) {
			return s.showDraft(c, fiber.StatusUnprocessableEntity, c.Params("id"), ae.Message)
		}
		return err
	}
	return c.Redirect("/queue?notice=returned", fiber.StatusSeeOther)
}

// --- 档案 ---

type recordsData struct {
	Records []*archive.Record
}

func (s *Server) recordsPage(c *fiber.Ctx) error {
	u, _ := caller(c)
	list, err := s.store.ListRecords(c.UserContext(), u, archive.RecordFilter{Limit: 200})
	if err != nil {
		return err
	}
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
	if d.Corrections, err = s.store.Corrections(ctx, u, rec.ID); err != nil {
		return err
	}
	v := newView(c, "档案："+rec.Title, "records", d)
	v.Notice = noticeText(c.Query("notice"))
	return s.render(c, fiber.StatusOK, "record", v)
}

func (s *Server) webContent(c *fiber.Ctx) error {
	return s.recordContent(c)
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

func (s *Server) webSupersede(c *fiber.Ctx) error {
	if err := requireRole(c, identity.RoleClerk, identity.RoleApprover); err != nil {
		return err
	}
	u, _ := caller(c)
	d, err := s.store.Supersede(c.UserContext(), u, c.Params("id"))
	if err != nil {
		return err
	}
	if u.Role == identity.RoleClerk {
		return c.Redirect("/drafts/"+url.PathEscape(d.ID)+"/edit", fiber.StatusSeeOther)
	}
	return c.Redirect("/drafts/"+url.PathEscape(d.ID), fiber.StatusSeeOther)
}

// --- 审计 ---

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
	return s.render(c, fiber.StatusOK, "audit", newView(c, "审计", "audit", auditHomeData{Records: list}))
}

// --- 检索 ---

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
	Persons   []string
	CaseNo    string
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

var filterParams = []string{"kind", "year", "unit", "person", "case", "classification", "retention", "from", "to"}

func (s *Server) searchPage(c *fiber.Ctx) error {
	params := url.Values{}
	for _, k := range append([]string{"q", "sort", "page", "size"}, filterParams...) {
		if v := strings.TrimSpace(c.Query(k)); v != "" {
			params.Set(k, v)
		}
	}
	d := &searchData{Heading: "检索", Params: params, Form: true, From: params.Get("from"), To: params.Get("to")}
	req, err := searchRequest(c)
	if err != nil {
		return s.searchFailed(c, d, err)
	}
	req.Unit = c.Query("unit")
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

func (s *Server) personPage(c *fiber.Ctx) error {
	name := pathParam(c, "name")
	d := &searchData{Heading: "人员：" + name, Params: url.Values{}}
	page, _ := strconv.Atoi(c.Query("page"))
	d.Req.Page = page
	return s.showResults(c, d, func(v search.Viewer) (*search.Result, error) {
		return s.index.ByPerson(c.UserContext(), name, v, page, 20)
	})
}

func (s *Server) casePage(c *fiber.Ctx) error {
	cs := pathParam(c, "case")
	d := &searchData{Heading: "案件：" + cs, Params: url.Values{}}
	page, _ := strconv.Atoi(c.Query("page"))
	d.Req.Page = page
	return s.showResults(c, d, func(v search.Viewer) (*search.Result, error) {
		return s.index.ByCase(c.UserContext(), cs, v, page, 20)
	})
}

func (s *Server) searchFailed(c *fiber.Ctx, d *searchData, err error) error {
	var qe *search.QueryError
	var own *apiError
	switch {
	case errors.As(err, &qe):
		d.Error = qe.Message
	case errors.As(err, &own) && own.Status == fiber.StatusBadRequest:
		d.Error = own.Message
	default:
		return err
	}
	s.loadSaved(c, d)
	return s.render(c, fiber.StatusBadRequest, "search", newView(c, d.Heading, "search", d))
}

func (s *Server) loadSaved(c *fiber.Ctx, d *searchData) {
	u, _ := caller(c)
	list, err := s.store.Identity().ListSavedSearches(c.UserContext(), u)
	if err != nil {
		return
	}
	for _, ss := range list {
		d.Saved = append(d.Saved, savedView{SavedSearch: ss, URL: "/search?" + savedParams(ss.Query).Encode()})
	}
	d.SaveBack = d.Params.Encode()
}

// savedParams turns a saved query (the JSON of search.Request) back into
// the page's query parameters.
func savedParams(raw json.RawMessage) url.Values {
	var r search.Request
	_ = json.Unmarshal(raw, &r)
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
	if r.Year > 0 {
		p.Set("year", strconv.Itoa(r.Year))
	}
	if r.Size > 0 {
		p.Set("size", strconv.Itoa(r.Size))
	}
	if !r.From.IsZero() {
		p.Set("from", r.From.In(chinaTime).Format("2006-01-02"))
	}
	if !r.To.IsZero() {
		p.Set("to", r.To.In(chinaTime).Format("2006-01-02"))
	}
	return p
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
	base := c.Path()
	for _, h := range res.Hits {
		hv := hitView{Hit: h, Body: h.Highlights["body"]}
		if t := h.Highlights["title"]; len(t) > 0 {
			hv.TitleHTML = t[0]
		}
		if rec, err := s.store.GetRecord(ctx, u, h.ID); err == nil {
			hv.Persons, hv.CaseNo = rec.Persons, rec.CaseNo
		}
		d.Hits = append(d.Hits, hv)
	}
	if d.Form {
		for _, name := range search.FacetNames {
			g := facetGroup{Name: name, Label: facetLabels[name]}
			current := d.Params.Get(name)
			for _, fv := range res.Facets[name] {
				l := facetLink{Value: fv.Value, Label: fv.Value, Count: fv.Count, Selected: current == fv.Value}
				if name == "retention" {
					l.Label = retentionNames[fv.Value]
				}
				if l.Selected {
					l.URL = base + "?" + withParam(d.Params, name, "")
				} else {
					l.URL = base + "?" + withParam(d.Params, name, fv.Value)
				}
				g.Values = append(g.Values, l)
			}
			if len(g.Values) > 0 {
				d.Facets = append(d.Facets, g)
			}
		}
		for _, k := range filterParams {
			if val := d.Params.Get(k); val != "" {
				label := val
				if k == "retention" {
					label = retentionNames[val]
				}
				d.Filters = append(d.Filters, facetLink{Value: k, Label: filterLabel(k) + "：" + label, URL: base + "?" + withParam(d.Params, k, "")})
			}
		}
	}
	size := d.Req.Size
	if size <= 0 {
		size = search.DefaultSize
	}
	pages := (int(res.Total) + size - 1) / size
	if maxPages := search.MaxWindow / size; pages > maxPages {
		pages = maxPages
	}
	cur := max(d.Req.Page, 1)
	if pages > 1 {
		for n := max(1, cur-5); n <= min(pages, cur+5); n++ {
			d.Pages = append(d.Pages, pageLink{N: n, URL: base + "?" + withParam(d.Params, "page", strconv.Itoa(n)), Current: n == cur})
		}
		if cur > 1 {
			d.Prev = base + "?" + withParam(d.Params, "page", strconv.Itoa(cur-1))
		}
		if cur < pages {
			d.Next = base + "?" + withParam(d.Params, "page", strconv.Itoa(cur+1))
		}
	}
	if d.Form {
		s.loadSaved(c, d)
	}
	return s.render(c, fiber.StatusOK, "search", newView(c, d.Heading, "search", d))
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
// page's query string) under "name", after checking that it parses, as
// the API does.
func (s *Server) saveSearchSubmit(c *fiber.Ctx) error {
	u, _ := caller(c)
	p, err := url.ParseQuery(c.FormValue("query"))
	if err != nil {
		return apiErr(fiber.StatusBadRequest, "bad_query", "query", "检索条件无效")
	}
	r := search.Request{Q: p.Get("q"), Kind: p.Get("kind"), Unit: p.Get("unit"), Person: p.Get("person"), Case: p.Get("case"),
		Classification: p.Get("classification"), Retention: p.Get("retention"), Sort: p.Get("sort")}
	if y := p.Get("year"); y != "" {
		if r.Year, err = strconv.Atoi(y); err != nil {
			return apiErr(fiber.StatusBadRequest, "bad_year", "year", "年度应为整数")
		}
	}
	for _, k := range []string{"from", "to"} {
		if v := p.Get(k); v != "" {
			t, err := time.ParseInLocation("2006-01-02", v, chinaTime)
			if err != nil {
				return apiErr(fiber.StatusBadRequest, "bad_"+k, k, "日期应为 YYYY-MM-DD")
			}
			if k == "from" {
				r.From = t
			} else {
				r.To = t.Add(24*time.Hour - time.Nanosecond)
			}
		}
	}
	if s.index != nil {
		v, err := s.viewer(c.UserContext(), u)
		if err != nil {
			return err
		}
		check := r
		check.Size = 1
		check.Unit, _ = s.unitFilter(c.UserContext(), check.Unit)
		if _, err := s.index.Search(c.UserContext(), check, v); err != nil {
			return searchErr(err)
		}
	}
	raw, _ := json.Marshal(compactRequest(r))
	if _, err := s.store.Identity().SaveSearch(c.UserContext(), u, c.FormValue("name"), raw); err != nil {
		return err
	}
	return c.Redirect("/search?"+withParam(p, "notice", "search"), fiber.StatusSeeOther)
}

// compactRequest keeps only the parameters that are set, so a saved
// search reads like one sent to the API.
func compactRequest(r search.Request) map[string]any {
	m := map[string]any{}
	for k, v := range map[string]string{"q": r.Q, "kind": r.Kind, "unit": r.Unit, "person": r.Person, "case": r.Case,
		"classification": r.Classification, "retention": r.Retention, "sort": r.Sort} {
		if v != "" {
			m[k] = v
		}
	}
	if r.Year > 0 {
		m["year"] = r.Year
	}
	if !r.From.IsZero() {
		m["from"] = r.From
	}
	if !r.To.IsZero() {
		m["to"] = r.To
	}
	return m
}

func (s *Server) deleteSearchSubmit(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return apiErr(fiber.StatusNotFound, "not_found", "", "保存的检索不存在")
	}
	u, _ := caller(c)
	if err := s.store.Identity().DeleteSavedSearch(c.UserContext(), u, id); err != nil {
		return err
	}
	return c.Redirect("/search?notice=deleted", fiber.StatusSeeOther)
}

// --- 管理 ---

type adminUser struct {
	*identity.User
	UnitName string
	Password bool
	Locked   bool
}

type adminData struct {
	Users []adminUser
	Units []*identity.Unit
	Form  struct{ Name, Role, Unit, Clearance string }
	Error string
}

func (s *Server) showAdmin(c *fiber.Ctx, status int, d *adminData) error {
	ctx := c.UserContext()
	users, err := s.store.Identity().ListUsers(ctx)
	if err != nil {
		return err
	}
	units, err := s.store.Identity().ListUnits(ctx)
	if err != nil {
		return err
	}
	names := map[int64]string{}
	for _, n := range units {
		names[n.ID] = n.Name
	}
	d.Units = units
	for _, u := range users {
		au := adminUser{User: u, UnitName: names[u.UnitID]}
		au.Password, au.Locked, _ = s.store.Identity().HasPassword(ctx, u.ID)
		d.Users = append(d.Users, au)
	}
	v := newView(c, "管理", "admin", d)
	v.Notice = noticeText(c.Query("notice"))
	return s.render(c, status, "admin", v)
}

func (s *Server) adminPage(c *fiber.Ctx) error {
	if err := requireRole(c, identity.RoleAdmin); err != nil {
		return err
	}
	d := &adminData{}
	d.Form.Role, d.Form.Clearance = string(identity.RoleClerk), identity.ClearanceInternal
	return s.showAdmin(c, fiber.StatusOK, d)
}

func (s *Server) adminAddUser(c *fiber.Ctx) error {
	if err := requireRole(c, identity.RoleAdmin); err != nil {
		return err
	}
	u, _ := caller(c)
	in := identity.NewUser{Name: c.FormValue("name"), Role: identity.Role(c.FormValue("role")), Unit: c.FormValue("unit"), Clearance: c.FormValue("clearance")}
	if _, err := s.store.Identity().AdminAddUser(c.UserContext(), u, in, c.FormValue("password")); err != nil {
		var ae *problem.Error
		if errors.As(err, &ae) && (errors.Is(err, archive.ErrInvalid) || errors.Is(err, archive.ErrConflict)) {
			d := &adminData{Error: ae.Message}
			d.Form.Name, d.Form.Role, d.Form.Unit, d.Form.Clearance = in.Name, string(in.Role), in.Unit, in.Clearance
			return s.showAdmin(c, fiber.StatusUnprocessableEntity, d)
		}
		return err
	}
	return c.Redirect("/admin?notice=created", fiber.StatusSeeOther)
}

func (s *Server) adminDisable(disabled bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := requireRole(c, identity.RoleAdmin); err != nil {
			return err
		}
		id, err := strconv.ParseInt(c.Params("id"), 10, 64)
		if err != nil {
			return apiErr(fiber.StatusNotFound, "not_found", "", "用户不存在")
		}
		u, _ := caller(c)
		if err := s.store.Identity().AdminSetUserDisabled(c.UserContext(), u, id, disabled); err != nil {
			return err
		}
		if disabled {
			return c.Redirect("/admin?notice=disabled", fiber.StatusSeeOther)
		}
		return c.Redirect("/admin?notice=enabled", fiber.StatusSeeOther)
	}
}

func (s *Server) adminPassword(c *fiber.Ctx) error {
	if err := requireRole(c, identity.RoleAdmin); err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return apiErr(fiber.StatusNotFound, "not_found", "", "用户不存在")
	}
	u, _ := caller(c)
	if err := s.store.Identity().AdminSetPassword(c.UserContext(), u, id, c.FormValue("password")); err != nil {
		var ae *problem.Error
		if errors.As(err, &ae) && errors.Is(err, archive.ErrInvalid) {
			return s.showAdmin(c, fiber.StatusUnprocessableEntity, &adminData{Error: ae.Message})
		}
		return err
	}
	return c.Redirect("/admin?notice=password", fiber.StatusSeeOther)
}
