package archive

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"wenshu/identity"
	"wenshu/problem"
	"wenshu/textract"
)

// Replies (函询回复): the person's written answer to a served letter, filed
// as a record of its own through the import path (digested, signed, locked,
// catalogued, audited as record.import), its manifest's fields linking it
// to the letter. Its text comes from package textract, so that a PDF or a
// scan is searchable like a .docx. Filing it closes the letter's reply
// deadline, on time when received_on ≤ due.

// ReplyKind is the 文种 of a reply record.
const ReplyKind = "函询回复"

// Reply manifest fields.
const (
	replyLetterField  = "letter_record_id" // the 函询通知书
	replyReceivedOn   = "received_on"      // YYYY-MM-DD
	replyOpinionField = "opinion_signed"   // the party-organisation head signed an opinion
)

// replyMediaTypes maps what textract detected to the stored media type.
var replyMediaTypes = map[textract.Kind]string{
	textract.KindDocx: MediaTypeDocx, textract.KindText: MediaTypeText, textract.KindPDF: "application/pdf",
	textract.KindPNG: "image/png", textract.KindJPEG: "image/jpeg",
}

// replyExtensions names the download of a reply that is not a .docx or .txt.
var replyExtensions = map[string]string{"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}

// ReplyInput is an uploaded reply.
type ReplyInput struct {
	FileName      string // .docx, .pdf, .jpg, .png or .txt
	Data          []byte
	ReceivedOn    time.Time
	OpinionSigned bool
}

// ReplyResult is the filed reply and the deadline it closed.
type ReplyResult struct {
	Record   *Record   `json:"record"`
	Deadline *Deadline `json:"deadline"`
}

// FileReply files the reply to letter letterID and closes its deadline.
// Clerks and approvers of the letter's unit; the letter must be served
// (409 not_served) and not answered yet (409 already_replied); received_on
// not before service nor after today (422). File faults are textract's
// codes on field file (422); a missing OCR tool is ErrUnavailable.
func (s *Store) FileReply(ctx context.Context, u *identity.User, letterID string, in ReplyInput) (*ReplyResult, error) {
	if err := identity.RequireRole(u, identity.RoleClerk, identity.RoleApprover); err != nil {
		return nil, err
	}
	letter, svc, err := s.replyTarget(ctx, u, letterID, in.ReceivedOn)
	if err != nil {
		return nil, err
	}
	res, err := s.extractUpload(ctx, "file", in.FileName, in.Data)
	if err != nil {
		return nil, err
	}
	unit, err := s.id.GetUnit(ctx, letter.UnitID)
	if err != nil {
		return nil, err
	}
	req, im := s.attachment(letter, unit, res, ReplyKind, svc.Deadline.Person, in.FileName, in.Data)
	fields := map[string]any{replyLetterField: letter.ID, replyReceivedOn: in.ReceivedOn.Format(DayLayout), replyOpinionField: in.OpinionSigned}
	rec, err := s.fileAttached(ctx, u, req, im, fields)
	if err != nil {
		return nil, err
	}
	d, err := s.closeDeadline(ctx, u, svc.Deadline, rec.ID, in.ReceivedOn)
	if err != nil {
		return nil, err
	}
	return &ReplyResult{Record: rec, Deadline: d}, nil
}

// replyTarget checks the letter a reply answers and the date it came.
func (s *Store) replyTarget(ctx context.Context, u *identity.User, letterID string, received time.Time) (*Record, *Service, error) {
	letter, err := s.GetRecord(ctx, u, letterID)
	if err != nil {
		return nil, nil, err
	}
	if letter.UnitID != u.UnitID && !u.IsOperator() {
		return nil, nil, problem.NotFound("档案")
	}
	if letter.TemplateID != LetterTemplateID {
		return nil, nil, problem.Invalid("not_a_letter", "id", "只有函询通知书可以登记函询回复")
	}
	svc, err := s.LetterService(ctx, u, letterID)
	if err != nil {
		return nil, nil, err
	}
	if svc == nil || svc.Deadline == nil {
		return nil, nil, problem.Conflict("not_served", "该函询通知书尚未登记送达，请先登记送达日期")
	}
	if svc.Deadline.Status == DeadlineDone {
		return nil, nil, problem.Conflict("already_replied", "该函询通知书已登记回复")
	}
	day := received.Format(DayLayout)
	switch {
	case received.IsZero():
		return nil, nil, problem.Invalid("required", "received_on", "请填写收到回复日期（YYYY-MM-DD）")
	case day < svc.ServedOn:
		return nil, nil, problem.Invalid("received_before_service", "received_on", "收到回复日期（"+day+"）早于送达日期（"+svc.ServedOn+"）")
	case day > s.Today().Format(DayLayout):
		return nil, nil, problem.Invalid("received_in_future", "received_on", "收到回复日期不能晚于今天")
	}
	return letter, svc, nil
}

// extractUpload reads an uploaded reply or receipt (textract) within
// MaxImportBytes; its faults name field.
func (s *Store) extractUpload(ctx context.Context, field, fileName string, data []byte) (*textract.Result, error) {
	if int64(len(data)) > s.opts.MaxImportBytes {
		return nil, problem.FieldError(ErrTooLarge, "too_large", field, "文件超过上传上限")
	}
	res, err := textract.New(textract.Options{MaxInputBytes: s.opts.MaxImportBytes}).Extract(ctx, fileName, bytes.NewReader(data))
	if err != nil {
		pe := extractProblem(err)
		if e, ok := pe.(*problem.Error); ok && e.Field == "file" {
			e.Field = field
		}
		return nil, pe
	}
	return res, nil
}

// attachment is the import of an uploaded document of kind attached to
// letter (a reply or a receipt of person): the letter's case, persons,
// classification and retention, filed this year.
func (s *Store) attachment(letter *Record, unit *identity.Unit, res *textract.Result, kind, person, fileName string, data []byte) (ImportRequest, *checkedImport) {
	im := &checkedImport{unit: unit, mediaType: replyMediaTypes[res.Kind], ext: strings.ToLower(filepath.Ext(fileName)),
		text: cutText(res.Text, s.opts.ImportLimits.withDefaults().MaxIndexedText), caseNo: letter.CaseNo,
		persons: letter.Persons, originalName: filepath.Base(fileName)}
	req := ImportRequest{FileName: fileName, Data: data, Title: kind + "（" + person + "）", Kind: kind,
		Year: s.Today().Year(), Classification: letter.Classification, Retention: letter.Retention, Persons: letter.Persons, CaseNo: letter.CaseNo}
	return req, im
}

// extractProblem maps textract's refusals to 422 on field file, a missing
// tool to 503.
func extractProblem(err error) error {
	var te *textract.Error
	if !errors.As(err, &te) {
		return internal("extract text", err)
	}
	if errors.Is(err, textract.ErrToolMissing) {
		return problem.New(problem.ErrUnavailable, te.Code, te.Message)
	}
	if errors.Is(err, textract.ErrTooLarge) {
		return problem.FieldError(ErrTooLarge, te.Code, "file", te.Message)
	}
	return problem.Invalid(te.Code, "file", te.Message)
}

// fileAttached files an uploaded or generated document like Import does
// (档号 for req.Year, signed manifest, COMPLIANCE lock, record.import
// audit), with fields in its signed manifest. The caller has checked the
// role, the file and the metadata.
func (s *Store) fileAttached(ctx context.Context, u *identity.User, req ImportRequest, im *checkedImport, fields map[string]any) (*Record, error) {
	now := s.now().Truncate(time.Millisecond)
	f := &filingRow{ID: newID(), Source: SourceImported, Owner: s.instance, FiledAt: now}
	f.ContentKey = contentKey(req.Year, f.ID, im.ext)
	m := s.importedManifest(u, req, im, f)
	m.Fields = fields
	f.ContentSM3, f.ContentSHA256, f.ContentSize = m.Content.SM3, m.Content.SHA256, m.Content.Size
	s.setActive(f.ID, true)
	defer s.setActive(f.ID, false)
	if err := s.cat.Tx(ctx, func(tx *sql.Tx) error { return s.allocateImport(ctx, tx, u, req, im.unit, f, m) }); err != nil {
		return nil, internal("file "+req.Kind, err)
	}
	return s.storeAndFinish(ctx, f, req.Data, im.mediaType, im.text)
}

// closeDeadline marks d done on day by record closedBy (audited).
func (s *Store) closeDeadline(ctx context.Context, u *identity.User, d *Deadline, closedBy string, day time.Time) (*Deadline, error) {
	on := day.Format(DayLayout)
	err := s.cat.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE deadlines SET status = 'done', done_on = ?, closed_by = ? WHERE id = ? AND status = 'open'`,
			on, closedBy, d.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.Conflict("already_replied", "该期限已办结")
		}
		how := "按期"
		if on > d.Due {
			how = "逾期"
		}
		return s.audit(ctx, tx, u, "deadline.close", d.RecordID, "", d.Kind+" "+how+"办结 "+on+"（期限 "+d.Due+"），回复 "+closedBy)
	})
	if err != nil {
		var pe *problem.Error
		if errors.As(err, &pe) {
			return nil, err
		}
		return nil, internal("close deadline", err)
	}
	return s.deadlineOf(ctx, s.cat.Reader(), d.RecordID, d.Kind)
}

// extractedText is the text of stored content that is a PDF or an image
// (a reply), read again by textract (recovery and reindexing).
func extractedText(b []byte, mediaType string) (string, error) {
	name := map[string]string{"application/pdf": "x.pdf", "image/png": "x.png", "image/jpeg": "x.jpg"}[mediaType]
	if name == "" {
		return "", fmt.Errorf("archive: no text extraction for %s", mediaType)
	}
	res, err := textract.New(textract.Options{}).Extract(context.Background(), name, bytes.NewReader(b))
	if err != nil {
		return "", fmt.Errorf("archive: extract text: %w", err)
	}
	return res.Text, nil
}
