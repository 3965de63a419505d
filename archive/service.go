package archive

import (
	"context"
	"database/sql"
	"time"

	"wenshu/catalog"
	"wenshu/identity"
	"wenshu/problem"
)

// Service (送达) of a 函询通知书, recorded after signing: the day the person
// received the letter (the 签收时间 of the 送达回执). It starts the reply
// deadline, rule "reply" of package deadline: the 15th working day after
// that day (that day not counted), over the holiday tables.

// ReplyRule is the deadline rule a letter's service starts.
const ReplyRule = "reply"

// RecordService records that letter recordID was served on servedOn (its
// calendar date counts) and opens its reply deadline. Clerks and approvers
// of the letter's unit; once per letter (409 already_served); not before
// the filing date (422 served_before_filing) nor after today
// (served_in_future); only for a 函询通知书 (422 not_a_letter). A letter of
// another unit is not found. Audited as record.serve.
func (s *Store) RecordService(ctx context.Context, u *identity.User, recordID string, servedOn time.Time) (*Deadline, error) {
	if err := identity.RequireRole(u, identity.RoleClerk, identity.RoleApprover); err != nil {
		return nil, err
	}
	letter, err := s.GetRecord(ctx, u, recordID)
	if err != nil {
		return nil, err
	}
	if letter.UnitID != u.UnitID && !u.IsOperator() {
		return nil, problem.NotFound("档案")
	}
	if letter.TemplateID != LetterTemplateID {
		return nil, problem.Invalid("not_a_letter", "id", "只有函询通知书可以登记送达")
	}
	day := servedOn.Format(DayLayout)
	filed := letter.FiledAt.In(s.opts.Location).Format(DayLayout)
	switch {
	case day < filed:
		return nil, problem.Invalid("served_before_filing", "served_on", "送达日期（"+day+"）早于签发归档日期（"+filed+"）")
	case day > s.Today().Format(DayLayout):
		return nil, problem.Invalid("served_in_future", "served_on", "送达日期不能晚于今天")
	}
	book, err := s.deadlineBook()
	if err != nil {
		return nil, internal("service", err)
	}
	dl, err := book.Compute(ReplyRule, servedOn)
	if err != nil {
		return nil, internal("service", err)
	}
	d := &Deadline{ID: newID(), Kind: dl.Kind, Name: dl.Name, RecordID: letter.ID, CaseNo: letter.CaseNo,
		Person: personName(letter.Fields["person"]), Start: day, Due: dl.Due.Format(DayLayout), Status: DeadlineOpen,
		Provisional: dl.Provisional, Basis: dl.Basis}
	err = s.cat.Tx(ctx, func(tx *sql.Tx) error { return s.insertService(ctx, tx, u, letter, d) })
	if err != nil {
		return nil, err
	}
	return d, nil
}

// insertService writes the service, the deadline and the audit event in
// one transaction; a second service of the same letter is a conflict.
func (s *Store) insertService(ctx context.Context, tx *sql.Tx, u *identity.User, letter *Record, d *Deadline) error {
	now := catalog.FormatTime(s.now())
	_, err := tx.ExecContext(ctx, `INSERT INTO letter_services (record_id, unit_id, served_on, served_by, created_at)
		VALUES (?, ?, ?, ?, ?)`, letter.ID, letter.UnitID, d.Start, u.ID, now)
	if catalog.IsUniqueViolation(err) {
		return problem.FieldError(problem.ErrConflict, "already_served", "served_on", "该函询通知书已登记送达，不能重复登记")
	}
	if err != nil {
		return internal("service", err)
	}
	prov := 0
	if d.Provisional {
		prov = 1
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO deadlines (id, unit_id, kind, record_id, case_no, person, start_on, due,
			provisional, basis, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)`,
		d.ID, letter.UnitID, d.Kind, letter.ID, d.CaseNo, d.Person, d.Start, d.Due, prov, d.Basis, now); err != nil {
		return internal("service", err)
	}
	detail := "送达 " + d.Start + "，回复期限 " + d.Due
	if d.Provisional {
		detail += "（暂定）"
	}
	if err := s.audit(ctx, tx, u, "record.serve", letter.ID, "", detail); err != nil {
		return internal("service", err)
	}
	return nil
}

// Service is a letter's service state, for its record page.
type Service struct {
	ServedOn string    `json:"served_on"`
	Deadline *Deadline `json:"deadline,omitempty"`
}

// LetterService returns the service of letter recordID (nil if not
// served yet). The caller must be able to read the letter.
func (s *Store) LetterService(ctx context.Context, u *identity.User, recordID string) (*Service, error) {
	if _, err := s.GetRecord(ctx, u, recordID); err != nil {
		return nil, err
	}
	var day string
	err := s.cat.Reader().QueryRowContext(ctx, `SELECT served_on FROM letter_services WHERE record_id = ?`, recordID).Scan(&day)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, internal("service", err)
	}
	d, err := s.deadlineOf(ctx, s.cat.Reader(), recordID, ReplyRule)
	if err != nil {
		return nil, err
	}
	return &Service{ServedOn: day, Deadline: d}, nil
}

// ReceiptKind is the 文种 of a filed 送达回执.
const ReceiptKind = "送达回执"

// RecordServiceWithReceipt is RecordService with the signed 送达回执
// uploaded (a scan, PDF, .docx or .txt): the file is read (textract) before
// anything is recorded, then the service is recorded and the receipt filed
// as a record of its own (kind 送达回执; manifest fields letter_record_id
// and served_on), signed, locked and audited like every record.
func (s *Store) RecordServiceWithReceipt(ctx context.Context, u *identity.User, recordID string, servedOn time.Time,
	fileName string, data []byte) (*Deadline, *Record, error) {
	res, err := s.extractUpload(ctx, "receipt", fileName, data)
	if err != nil {
		return nil, nil, err
	}
	d, err := s.RecordService(ctx, u, recordID, servedOn)
	if err != nil {
		return nil, nil, err
	}
	letter, err := s.GetRecord(ctx, u, recordID)
	if err != nil {
		return nil, nil, err
	}
	unit, err := s.id.GetUnit(ctx, letter.UnitID)
	if err != nil {
		return nil, nil, err
	}
	req, im := s.attachment(letter, unit, res, ReceiptKind, d.Person, fileName, data)
	rec, err := s.fileAttached(ctx, u, req, im, map[string]any{replyLetterField: letter.ID, "served_on": d.Start})
	if err != nil {
		return d, nil, err
	}
	return d, rec, nil
}
