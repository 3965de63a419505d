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
	"wenshu/templates"
)

// Permission is checked twice on purpose: here by role (what kind of user
// may call a route at all) and inside archive.Store by data (unit,
// clearance, author), so that no route can serve another unit's record.

func (s *Server) archiveRoutes(api fiber.Router) {
	api.Post("/drafts", s.createDraft)
	api.Get("/drafts", s.listDrafts)
	api.Get("/drafts/:id", s.getDraft)
	api.Put("/drafts/:id", s.updateDraft)
	api.Get("/drafts/:id/preview", s.previewDraft)
	api.Post("/drafts/:id/return", s.returnDraft)
	api.Post("/drafts/:id/approve", s.approveDraft)
	api.Get("/drafts/:id/audit", s.draftAudit)
	api.Get("/filings/:id", s.getFiling)

	api.Post("/records/import", s.importRecord)
	api.Get("/records", s.listRecords)
	api.Get("/records/:id", s.getRecord)
	api.Get("/records/:id/content", s.recordContent)
	api.Get("/records/:id/verify", s.verifyRecord)
	api.Get("/records/:id/audit", s.recordAudit)
	api.Get("/records/:id/corrections", s.recordCorrections)
	api.Post("/records/:id/supersede", s.supersedeRecord)

	api.Get("/me", s.me)
	api.Get("/keys/public", s.publicKey)
}

// draftRequest is the JSON body of POST and PUT /drafts.
type draftRequest struct {
	Template       string         `json:"template"`
	Fields         map[string]any `json:"fields"`
	CaseNo         string         `json:"case_no"`
	Persons        []string       `json:"persons"`
	Classification string         `json:"classification"`
	Retention      string         `json:"retention"`
	Revision       int            `json:"revision"`
}

func (s *Server) decodeDraft(c *fiber.Ctx) (archive.DraftInput, error) {
	obj, err := s.jsonObject(c)
	if err != nil {
		return archive.DraftInput{}, err
	}
	// Re-decode the checked object strictly, so that a misspelt key or a
	// wrong type is named instead of ignored.
	raw, err := json.Marshal(obj)
	if err != nil {
		return archive.DraftInput{}, fmt.Errorf("server: re-encode draft: %w", err)
	}
	var req draftRequest
	if err := decodeStrict(obj, raw, &req); err != nil {
		return archive.DraftInput{}, err
	}
	// The Store sets the issuing organ from the author's unit and refuses a
	// hand-written 发文字号 (archive.Store.CreateDraft / UpdateDraft).
	return archive.DraftInput{
		TemplateID:     req.Template,
		Fields:         req.Fields,
		CaseNo:         req.CaseNo,
		Persons:        req.Persons,
		Classification: req.Classification,
		Retention:      archive.Retention(req.Retention),
		Revision:       req.Revision,
	}, nil
}

func (s *Server) createDraft(c *fiber.Ctx) error {
	if err := requireRole(c, identity.RoleClerk, identity.RoleApprover); err != nil {
		return err
	}
	in, err := s.decodeDraft(c)
	if err != nil {
		return err
	}
	u, _ := caller(c)
	d, err := s.store.CreateDraft(c.UserContext(), u, in)
	if err != nil {
		return err
	}
	c.Location("/api/v1/drafts/" + d.ID)
	return c.Status(fiber.StatusCreated).JSON(d)
}

func (s *Server) listDrafts(c *fiber.Ctx) error {
	if err := requireRole(c, identity.RoleClerk, identity.RoleApprover); err != nil {
		return err
	}
	u, _ := caller(c)
	f := archive.DraftFilter{Status: archive.DraftStatus(c.Query("status"))}
	var err error
	if f.Limit, f.Offset, err = paging(c); err != nil {
		return err
	}
	if c.Query("mine") == "1" {
		f.AuthorID = u.ID
	}
	list, err := s.store.ListDrafts(c.UserContext(), u, f)
	if err != nil {
		return err
	}
	noteDrafts(c, list)
	return c.JSON(list)
}

// answerByID runs one store call on the :id of the path for the caller
// and answers what it returns as JSON (its error goes to the error
// handler as it is).
func answerByID[T any](c *fiber.Ctx, call func(context.Context, *identity.User, string) (T, error)) error {
	u, _ := caller(c)
	v, err := call(c.UserContext(), u, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (s *Server) getDraft(c *fiber.Ctx) error { return answerByID(c, s.store.GetDraft) }

func (s *Server) updateDraft(c *fiber.Ctx) error {
	if err := requireRole(c, identity.RoleClerk); err != nil {
		return err
	}
	in, err := s.decodeDraft(c)
	if err != nil {
		return err
	}
	if m := c.Get(fiber.HeaderIfMatch); m != "" && in.Revision == 0 {
		if n, err := strconv.Atoi(strings.Trim(m, `"W/`)); err == nil {
			in.Revision = n
		}
	}
	u, _ := caller(c)
	d, err := s.store.UpdateDraft(c.UserContext(), u, c.Params("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (s *Server) previewDraft(c *fiber.Ctx) error {
	u, _ := caller(c)
	out, err := s.store.PreviewDraft(c.UserContext(), u, c.Params("id"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, DocxType)
	c.Set(fiber.HeaderContentDisposition, contentDisposition(out.Title+"（预览）.docx"))
	return c.Send(out.Docx)
}

func (s *Server) returnDraft(c *fiber.Ctx) error {
	if err := requireRole(c, identity.RoleApprover); err != nil {
		return err
	}
	obj, err := s.jsonObject(c)
	if err != nil {
		return err
	}
	reason, _ := obj["reason"].(string)
	u, _ := caller(c)
	d, err := s.store.ReturnDraft(c.UserContext(), u, c.Params("id"), reason)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (s *Server) approveDraft(c *fiber.Ctx) error {
	if err := requireRole(c, identity.RoleApprover); err != nil {
		return err
	}
	u, _ := caller(c)
	res, err := s.store.Approve(c.UserContext(), u, c.Params("id"))
	var pending *archive.FilingPending
	if errors.As(err, &pending) {
		return filingAccepted(c, pending)
	}
	if err != nil {
		return err
	}
	c.Location("/api/v1/records/" + res.Record.ID)
	if res.AlreadyFiled {
		return c.JSON(res.Record)
	}
	return c.Status(fiber.StatusCreated).JSON(res.Record)
}

// filingAccepted answers 202 for a filing (an approval's or an import's)
// whose outcome storage has not told yet: the status URL is where the
// client learns it (GET /api/v1/filings/{id}).
func filingAccepted(c *fiber.Ctx, p *archive.FilingPending) error {
	statusURL := "/api/v1/filings/" + url.PathEscape(p.FilingID)
	c.Location(statusURL)
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(storageRetryAfter))
	body := fiber.Map{
		"filing_id": p.FilingID, "status": p.Status, "status_url": statusURL,
		"message": "存储服务暂未确认，归档正在进行；请稍后查看归档状态",
	}
	if p.DraftID != "" { // an import has none
		body["draft_id"] = p.DraftID
	}
	return c.Status(fiber.StatusAccepted).JSON(body)
}

// getFiling reports where a filing stands (allocated, rendered, signed,
// filed with its record, or void), with the draft's visibility.
func (s *Server) getFiling(c *fiber.Ctx) error {
	u, _ := caller(c)
	f, err := s.store.Filing(c.UserContext(), u, c.Params("id"))
	if err != nil {
		return err
	}
	if f.Open() {
		c.Set(fiber.HeaderRetryAfter, "2")
	}
	return c.JSON(f)
}

func (s *Server) draftAudit(c *fiber.Ctx) error { return answerByID(c, s.store.ListDraftAudit) }

func (s *Server) listRecords(c *fiber.Ctx) error {
	u, _ := caller(c)
	f := archive.RecordFilter{TemplateID: c.Query("template")}
	var err error
	if y := c.Query("year"); y != "" {
		if f.Year, err = strconv.Atoi(y); err != nil || f.Year < 1900 || f.Year > 9999 {
			return apiErr(fiber.StatusBadRequest, "bad_year", "year", "年度应为四位数字")
		}
	}
	if f.Limit, f.Offset, err = paging(c); err != nil {
		return err
	}
	list, err := s.store.ListRecords(c.UserContext(), u, f)
	if err != nil {
		return err
	}
	noteRecords(c, list)
	return c.JSON(list)
}

func (s *Server) getRecord(c *fiber.Ctx) error { return answerByID(c, s.store.GetRecord) }

// recordContent serves the exact stored bytes of the filed version, with
// its digests in headers so a client can check what it received.
func (s *Server) recordContent(c *fiber.Ctx) error {
	u, _ := caller(c)
	content, err := s.store.RecordContent(c.UserContext(), u, c.Params("id"))
	if err != nil {
		return err
	}
	if !content.Intact {
		return apiErr(fiber.StatusConflict, "content_mismatch", "", "存储的文件与签名清单不一致，已拒绝下载，请联系审计员核查")
	}
	c.Set(fiber.HeaderContentType, content.MediaType)
	c.Set(fiber.HeaderContentDisposition, contentDisposition(content.FileName))
	c.Set("X-Wenshu-SM3", content.SM3)
	c.Set("X-Wenshu-SHA256", content.SHA256)
	c.Set("X-Wenshu-Version", content.VersionID)
	return c.Send(content.Data)
}

func (s *Server) verifyRecord(c *fiber.Ctx) error {
	u, _ := caller(c)
	v, err := s.store.Verify(c.UserContext(), u, c.Params("id"))
	if err != nil {
		return err
	}
	if v.Unavailable() {
		// Neither passed nor failed: the store did not answer.
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(storageRetryAfter))
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{
			"error":        errorBody{Code: "storage_unavailable", Message: "存储服务暂不可用，无法完成校验，请稍后重试", RequestID: requestIDOf(c)},
			"verification": v,
		})
	}
	return c.JSON(v)
}

func (s *Server) recordAudit(c *fiber.Ctx) error { return answerByID(c, s.store.ListAudit) }

func (s *Server) recordCorrections(c *fiber.Ctx) error { return answerByID(c, s.store.Corrections) }

func (s *Server) supersedeRecord(c *fiber.Ctx) error {
	_, d, err := s.supersede(c)
	if err != nil {
		return err
	}
	c.Location("/api/v1/drafts/" + d.ID)
	return c.Status(fiber.StatusCreated).JSON(d)
}

// supersede opens the draft that replaces record :id, for a clerk or an
// approver: the work of both the API's and the page's supersede.
func (s *Server) supersede(c *fiber.Ctx) (*identity.User, *archive.Draft, error) {
	if err := requireRole(c, identity.RoleClerk, identity.RoleApprover); err != nil {
		return nil, nil, err
	}
	u, _ := caller(c)
	d, err := s.store.Supersede(c.UserContext(), u, c.Params("id"))
	return u, d, err
}

// importRecord files an existing .docx or UTF-8 .txt (multipart form:
// file, title, kind, year, classification, retention, persons, case_no,
// doc_number). The form is streamed to a temporary file once the caller
// is known to be an archivist (readUpload); the import itself runs among
// the heavy requests (MaxHeavy). When storage did not confirm in time the
// answer is 202 with the filing's status URL, as for an approval.
func (s *Server) importRecord(c *fiber.Ctx) error {
	if err := requireRole(c, identity.RoleArchivist); err != nil {
		return err
	}
	up, err := s.readUpload(c)
	if err != nil {
		return err
	}
	defer up.Close()
	if up.file == nil {
		return templates.FieldErrors{{Field: "file", Code: "required", Message: "请在表单字段 file 中上传 .docx 或 .txt 文件"}}
	}
	req, err := importRequest(c, up)
	if err != nil {
		return err
	}
	release, err := s.heavy.acquire(c)
	if err != nil {
		return err
	}
	defer release()
	if req.Data, err = up.data(); err != nil {
		return err
	}
	u, _ := caller(c)
	rec, err := s.store.Import(c.UserContext(), u, req)
	var pending *archive.FilingPending
	if errors.As(err, &pending) {
		return filingAccepted(c, pending)
	}
	if err != nil {
		return err
	}
	c.Location("/api/v1/records/" + rec.ID)
	return c.Status(fiber.StatusCreated).JSON(rec)
}

// importRequest reads the import's fields (all but the file's bytes).
func importRequest(c *fiber.Ctx, up *upload) (archive.ImportRequest, error) {
	req := archive.ImportRequest{
		FileName:       up.fileName,
		Title:          up.value(c, "title"),
		Kind:           up.value(c, "kind"),
		Classification: up.value(c, "classification"),
		Retention:      archive.Retention(up.value(c, "retention")),
		CaseNo:         up.value(c, "case_no"),
		DocNumber:      up.value(c, "doc_number"),
	}
	if y := up.value(c, "year"); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil {
			return req, templates.FieldErrors{{Field: "year", Code: "bad_year", Message: "年度应为四位数字，如 2025"}}
		}
		req.Year = n
	}
	if p := up.value(c, "persons"); p != "" {
		req.Persons = splitPersons(p)
	}
	return req, nil
}

func (s *Server) me(c *fiber.Ctx) error {
	u, unit := caller(c)
	return c.JSON(fiber.Map{"user": u, "unit": unit})
}

func (s *Server) publicKey(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "application/x-pem-file")
	c.Set("X-Wenshu-Key-ID", s.store.KeyID())
	return c.Send(s.store.PublicKeyPEM())
}

// paging reads the limit and offset query parameters.
func paging(c *fiber.Ctx) (limit, offset int, err error) {
	num := func(name string, min, max int) (int, error) {
		v := c.Query(name)
		if v == "" {
			return 0, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < min || n > max {
			return 0, apiErr(fiber.StatusBadRequest, "bad_"+name, name, fmt.Sprintf("参数 %s 应为 %d 到 %d 之间的整数", name, min, max))
		}
		return n, nil
	}
	if limit, err = num("limit", 1, 1000); err != nil {
		return
	}
	offset, err = num("offset", 0, 1_000_000)
	return
}
