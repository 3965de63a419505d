package archive

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"wenshu/catalog"
	"wenshu/identity"
	"wenshu/problem"
	"wenshu/templates"
	"wenshu/textrule"
)

// DraftStatus is where a draft is in its life.
type DraftStatus string

// Draft statuses: draft → (approve) filing → filed; draft → (return)
// returned → (update) draft. A filing that is voided after a crash goes
// back to draft.
const (
	DraftOpen     DraftStatus = "draft"    // 草稿, editable, can be approved
	DraftReturned DraftStatus = "returned" // 退回, editable; an update resubmits it
	DraftFiling   DraftStatus = "filing"   // 归档中: numbers allocated, objects being stored
	DraftFiled    DraftStatus = "filed"    // 已归档: RecordID is set
)

// Draft is a document being written (草稿).
type Draft struct {
	ID             string         `json:"id"`
	TemplateID     string         `json:"template"`
	Fields         map[string]any `json:"fields"`
	CaseNo         string         `json:"case_no"`
	Persons        []string       `json:"persons"`
	Classification string         `json:"classification"`
	Retention      Retention      `json:"retention"`
	UnitID         int64          `json:"unit_id"`
	AuthorID       int64          `json:"author_id"`
	Status         DraftStatus    `json:"status"`
	ReturnReason   string         `json:"return_reason,omitempty"`
	ApproverID     int64          `json:"approver_id,omitempty"`
	Supersedes     string         `json:"supersedes,omitempty"` // the record this draft corrects (更正)
	RecordID       string         `json:"record_id,omitempty"`  // set once filed
	Revision       int            `json:"revision"`             // +1 on every change
	CreatedAt      time.Time      `json:"created_at"`
	UpdatedAt      time.Time      `json:"updated_at"`
}

// DraftInput is what a clerk submits.
type DraftInput struct {
	TemplateID     string
	Fields         map[string]any
	CaseNo         string
	Persons        []string
	Classification string    // 公开, 内部, 秘密 or 机密; default 内部
	Retention      Retention // Y, D30 or D10
	// Revision, when non-zero on UpdateDraft, must equal the draft's
	// current revision (optimistic locking, e.g. from an If-Match header).
	Revision int
}

// Who may do what with drafts (decided here, enforced in these methods):
//   - create: clerks and approvers; the draft belongs to the author's unit
//     and its classification may not exceed the author's clearance;
//   - read and preview: anyone of the same unit whose clearance covers the
//     draft's classification (CanRead);
//   - update: while draft or returned, the author or another clerk of the
//     same unit (a case can change hands between 承办人); approvers do not
//     edit, they return with a reason;
//   - return: an approver of the same unit, while draft;
//   - approve: an approver of the same unit who is not the author.
// Drafts of other units or above the caller's clearance are reported as not
// found, so their existence does not leak.

func (in *DraftInput) normalise() error {
	in.TemplateID = strings.TrimSpace(in.TemplateID)
	in.CaseNo = strings.TrimSpace(in.CaseNo)
	if in.Classification == "" {
		in.Classification = identity.ClearanceInternal
	}
	if in.Fields == nil {
		in.Fields = map[string]any{}
	}
	switch {
	case in.TemplateID == "":
		return problem.Invalid("required", "template", "请选择模板")
	case identity.ClearanceRank(in.Classification) < 0:
		return problem.Invalid("bad_classification", "classification", "密级须为 公开、内部、秘密 或 机密")
	case !in.Retention.Valid():
		return problem.Invalid("bad_retention", "retention", "保管期限须为 Y（永久）、D30（定期30年）或 D10（定期10年）")
	case utf8.RuneCountInString(in.CaseNo) > 100:
		return problem.Invalid("bad_case_no", "case_no", "案号不超过100字")
	case len(in.Persons) > 200:
		return problem.Invalid("too_many", "persons", "涉及人员不超过200人")
	}
	if err := checkText("case_no", "案件编号", in.CaseNo, false); err != nil {
		return err
	}
	clean := make([]string, 0, len(in.Persons))
	for _, p := range in.Persons {
		if err := checkText("persons", "涉及人员", p, false); err != nil {
			return err
		}
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if utf8.RuneCountInString(p) > 50 {
			return problem.Invalid("bad_person", "persons", "人名不超过50字")
		}
		clean = append(clean, p)
	}
	in.Persons = clean
	return nil
}

// checkText applies the text rule (textrule.Problem) to the value of
// an input field: nil, or an ErrInvalid naming the field.
func checkText(field, label, s string, multiline bool) error {
	code, r := textrule.Problem(s, multiline)
	if code == "" {
		return nil
	}
	return problem.Invalid(code, field, textrule.Message(label, code, r))
}

// checkFieldClassification holds the 密级 printed in the document (the
// template field classification, when the client sends one) to the
// draft's classification, so that the paper and the metadata agree.
func checkFieldClassification(in *DraftInput) error {
	s, ok := in.Fields[templates.FieldClassification].(string)
	if !ok || strings.TrimSpace(s) == "" || strings.TrimSpace(s) == in.Classification {
		return nil // absent (the render prints the draft's), or a type error for Validate
	}
	return problem.Invalid("classification_mismatch", "fields."+templates.FieldClassification,
		"文书中印制的密级（"+strings.TrimSpace(s)+"）须与档案密级（"+in.Classification+"）一致")
}

// validateFields runs the template's validation. templates.FieldErrors is
// returned unchanged (the server maps it to 422); an unknown template
// becomes an ErrInvalid on field "template".
func (s *Store) validateFields(templateID string, fields map[string]any) error {
	if s.opts.Templates == nil {
		return errors.New("archive: no template registry configured")
	}
	err := s.opts.Templates.Validate(templateID, fields)
	if errors.Is(err, templates.ErrUnknownTemplate) {
		return problem.Invalid("unknown_template", "template", "模板「"+templateID+"」不存在")
	}
	return err
}

// CreateDraft creates a draft in the author's unit after template
// validation.
func (s *Store) CreateDraft(ctx context.Context, u *identity.User, in DraftInput) (*Draft, error) {
	if err := identity.RequireRole(u, identity.RoleClerk, identity.RoleApprover); err != nil {
		return nil, err
	}
	if err := in.normalise(); err != nil {
		return nil, err
	}
	if identity.ClearanceRank(in.Classification) > identity.ClearanceRank(u.Clearance) {
		return nil, problem.Forbidden("above_clearance", "不能起草高于本人密级的文书")
	}
	if err := checkFieldClassification(&in); err != nil {
		return nil, err
	}
	if err := s.setIssuer(ctx, u, &in); err != nil {
		return nil, err
	}
	if err := s.validateFields(in.TemplateID, in.Fields); err != nil {
		return nil, err
	}
	return s.insertDraft(ctx, u, in, "")
}

// setIssuer makes the issuing organ (field issuer) the author's unit,
// whatever the client sent, and refuses a hand-written 文号: it is
// allocated on filing.
func (s *Store) setIssuer(ctx context.Context, u *identity.User, in *DraftInput) error {
	if v, ok := in.Fields[templates.FieldDocNumber].(string); ok && strings.TrimSpace(v) != "" {
		return problem.Invalid("assigned_on_filing", "fields."+templates.FieldDocNumber, "发文字号在签发归档时自动编号，不能手工填写")
	}
	delete(in.Fields, templates.FieldDocNumber)
	if u.IsOperator() {
		return nil
	}
	unit, err := s.id.GetUnit(ctx, u.UnitID)
	if err != nil {
		return err
	}
	in.Fields[templates.FieldIssuer] = unit.Name
	return nil
}

func (s *Store) insertDraft(ctx context.Context, u *identity.User, in DraftInput, supersedes string) (*Draft, error) {
	fields, err := json.Marshal(in.Fields)
	if err != nil {
		return nil, problem.Invalid("bad_fields", "fields", "字段无法保存为 JSON")
	}
	persons, _ := json.Marshal(in.Persons)
	now := s.now()
	d := &Draft{
		ID: newID(), TemplateID: in.TemplateID, Fields: in.Fields, CaseNo: in.CaseNo, Persons: in.Persons,
		Classification: in.Classification, Retention: in.Retention, UnitID: u.UnitID, AuthorID: u.ID,
		Status: DraftOpen, Supersedes: supersedes, Revision: 1, CreatedAt: now, UpdatedAt: now,
	}
	err = s.cat.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO drafts (id, template_id, fields, case_no, persons, classification,
				retention, unit_id, author_id, status, supersedes, revision, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
			d.ID, d.TemplateID, string(fields), d.CaseNo, string(persons), d.Classification, string(d.Retention),
			d.UnitID, d.AuthorID, string(d.Status), catalog.NullString(supersedes), catalog.FormatTime(now), catalog.FormatTime(now)); err != nil {
			return err
		}
		action, detail := "draft.create", d.TemplateID
		if supersedes != "" {
			action, detail = "draft.supersede", "更正 "+supersedes
		}
		if err := s.audit(ctx, tx, u, action, supersedes, d.ID, detail); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, internal("create draft", err)
	}
	return d, nil
}

const draftCols = `id, template_id, fields, case_no, persons, classification, retention, unit_id, author_id,
	status, return_reason, approver_id, supersedes, record_id, revision, created_at, updated_at`

func scanDraft(row interface{ Scan(...any) error }) (*Draft, error) {
	var d Draft
	var fields, persons, ret, status, created, updated string
	var approver sql.NullInt64
	var sup, rec sql.NullString
	if err := row.Scan(&d.ID, &d.TemplateID, &fields, &d.CaseNo, &persons, &d.Classification, &ret, &d.UnitID, &d.AuthorID,
		&status, &d.ReturnReason, &approver, &sup, &rec, &d.Revision, &created, &updated); err != nil {
		return nil, err
	}
	d.Retention, d.Status = Retention(ret), DraftStatus(status)
	d.ApproverID, d.Supersedes, d.RecordID = approver.Int64, sup.String, rec.String
	d.CreatedAt, d.UpdatedAt = catalog.ParseTime(created), catalog.ParseTime(updated)
	if err := json.Unmarshal([]byte(fields), &d.Fields); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(persons), &d.Persons); err != nil {
		return nil, err
	}
	return &d, nil
}

func (s *Store) loadDraft(ctx context.Context, q catalog.QueryRower, id string) (*Draft, error) {
	if !validID(id) {
		return nil, problem.NotFound("草稿")
	}
	d, err := scanDraft(q.QueryRowContext(ctx, `SELECT `+draftCols+` FROM drafts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.NotFound("草稿")
	}
	if err != nil {
		return nil, internal("get draft", err)
	}
	return d, nil
}

// GetDraft returns a draft the caller may read.
func (s *Store) GetDraft(ctx context.Context, u *identity.User, id string) (*Draft, error) {
	if err := identity.RequireUser(u); err != nil {
		return nil, err
	}
	d, err := s.loadDraft(ctx, s.cat.Reader(), id)
	if err != nil {
		return nil, err
	}
	if !identity.CanReadDraft(u, d.UnitID, d.Classification) {
		return nil, problem.NotFound("草稿")
	}
	return d, nil
}

// DraftFilter selects drafts for ListDrafts.
type DraftFilter struct {
	Status   DraftStatus // empty: all
	AuthorID int64       // 0: any author
	Limit    int         // default 100, at most 1000
	Offset   int
}

// ListDrafts lists the drafts of the caller's unit that it may read,
// newest first.
func (s *Store) ListDrafts(ctx context.Context, u *identity.User, f DraftFilter) ([]*Draft, error) {
	if err := identity.RequireUser(u); err != nil {
		return nil, err
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	q := `SELECT ` + draftCols + ` FROM drafts WHERE unit_id = ?`
	args := []any{u.UnitID}
	if f.Status != "" {
		q += ` AND status = ?`
		args = append(args, string(f.Status))
	}
	if f.AuthorID != 0 {
		q += ` AND author_id = ?`
		args = append(args, f.AuthorID)
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`
	args = append(args, f.Limit, f.Offset)
	rows, err := s.cat.Reader().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, internal("list drafts", err)
	}
	defer rows.Close()
	var out []*Draft
	for rows.Next() {
		d, err := scanDraft(rows)
		if err != nil {
			return nil, internal("list drafts", err)
		}
		if identity.CanReadDraft(u, d.UnitID, d.Classification) {
			out = append(out, d)
		}
	}
	return out, internal("list drafts", rows.Err())
}

// UpdateDraft replaces a draft's content while it is a draft or returned;
// a returned draft becomes a draft again (resubmitted).
func (s *Store) UpdateDraft(ctx context.Context, u *identity.User, id string, in DraftInput) (*Draft, error) {
	d, err := s.GetDraft(ctx, u, id)
	if err != nil {
		return nil, err
	}
	if !u.IsOperator() && !(u.ID == d.AuthorID || u.Role == identity.RoleClerk) {
		return nil, problem.Forbidden("not_editor", "只有起草人或本单位承办人可以修改草稿")
	}
	if d.Status != DraftOpen && d.Status != DraftReturned {
		return nil, problem.Conflict("not_editable", "草稿已签发或正在归档，不能修改")
	}
	if err := in.normalise(); err != nil {
		return nil, err
	}
	if identity.ClearanceRank(in.Classification) > identity.ClearanceRank(u.Clearance) {
		return nil, problem.Forbidden("above_clearance", "不能起草高于本人密级的文书")
	}
	if err := checkFieldClassification(&in); err != nil {
		return nil, err
	}
	// The issuer stays the draft's unit, whoever edits it.
	if err := s.setIssuer(ctx, &identity.User{UnitID: d.UnitID}, &in); err != nil {
		return nil, err
	}
	if err := s.validateFields(in.TemplateID, in.Fields); err != nil {
		return nil, err
	}
	fields, err := json.Marshal(in.Fields)
	if err != nil {
		return nil, problem.Invalid("bad_fields", "fields", "字段无法保存为 JSON")
	}
	persons, _ := json.Marshal(in.Persons)
	now := s.now()
	err = s.cat.Tx(ctx, func(tx *sql.Tx) error {
		q := `UPDATE drafts SET template_id = ?, fields = ?, case_no = ?, persons = ?, classification = ?, retention = ?,
			status = 'draft', return_reason = '', revision = revision + 1, updated_at = ?
			WHERE id = ? AND status IN ('draft', 'returned')`
		args := []any{in.TemplateID, string(fields), in.CaseNo, string(persons), in.Classification, string(in.Retention), catalog.FormatTime(now), id}
		if in.Revision != 0 {
			q += ` AND revision = ?`
			args = append(args, in.Revision)
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.Conflict("draft_changed", "草稿已被他人修改或已签发，请刷新后重试")
		}
		return s.audit(ctx, tx, u, "draft.update", "", id, "")
	})
	if err != nil {
		return nil, internal("update draft", err)
	}
	return s.GetDraft(ctx, u, id)
}

// ReturnDraft sends a draft back to its author with a reason (退回).
func (s *Store) ReturnDraft(ctx context.Context, u *identity.User, id, reason string) (*Draft, error) {
	if err := identity.RequireRole(u, identity.RoleApprover); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > 1000 {
		return nil, problem.Invalid("bad_reason", "reason", "请填写退回理由（不超过1000字）")
	}
	if err := checkText("reason", "退回理由", reason, true); err != nil {
		return nil, err
	}
	d, err := s.GetDraft(ctx, u, id)
	if err != nil {
		return nil, err
	}
	if d.Status != DraftOpen {
		return nil, problem.Conflict("not_returnable", "只有待签发的草稿可以退回")
	}
	err = s.cat.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE drafts SET status = 'returned', return_reason = ?, revision = revision + 1,
			updated_at = ? WHERE id = ? AND status = 'draft'`, reason, catalog.FormatTime(s.now()), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.Conflict("not_returnable", "只有待签发的草稿可以退回")
		}
		return s.audit(ctx, tx, u, "draft.return", "", id, reason)
	})
	if err != nil {
		return nil, internal("return draft", err)
	}
	return s.GetDraft(ctx, u, id)
}

// PreviewDraft renders a draft with a blank number (〔2026〕 号) for review.
func (s *Store) PreviewDraft(ctx context.Context, u *identity.User, id string) (*templates.Rendered, error) {
	d, err := s.GetDraft(ctx, u, id)
	if err != nil {
		return nil, err
	}
	unit, err := s.id.GetUnit(ctx, d.UnitID)
	if err != nil {
		return nil, err
	}
	if s.opts.Templates == nil {
		return nil, errors.New("archive: no template registry configured")
	}
	r, err := s.opts.Templates.Render(templates.RenderRequest{
		TemplateID: d.TemplateID, Fields: d.Fields, IssuerName: unit.Name, UnitCode: unit.Code,
		Preview: true, Classification: d.Classification, Date: s.now().In(s.opts.Location),
	})
	if errors.Is(err, templates.ErrUnknownTemplate) {
		return nil, problem.Invalid("unknown_template", "template", "模板「"+d.TemplateID+"」不存在")
	}
	return r, err
}
