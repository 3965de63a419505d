package archive

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"github.com/minio/minio-go/v7"

	"wenshu/catalog"
	"wenshu/identity"
	"wenshu/problem"
)

// Expiry, appraisal (鉴定) and disposal (销毁), GB/T 18894-2016: when a
// record's retention has passed an archivist appraises it, either 续存
// (extend: a new retention date, the COMPLIANCE lock of every version
// extended with PutObjectRetention, which COMPLIANCE allows) or 销毁. The
// records marked 销毁 go on a 销毁清册 (disposal list), which an archivist
// and the unit's head (the unit's approver, 审批人) approve — two different
// people. Executing the list first files the 清册 itself as a permanent
// record (kind 销毁清册, signed manifest whose fields list every disposed
// record's metadata and chain link), then deletes every version of each
// record's content and manifest and marks the catalog row disposed (the
// row stays: rebuild and reconcile must know). Nothing still locked or
// under legal hold is deleted: wenshu refuses first with the record named,
// and MinIO would refuse anyway.

// Appraisal decisions.
const (
	AppraiseExtend  = "extend"  // 续存
	AppraiseDispose = "dispose" // 销毁
)

// KindDisposalList is the 文种 of a filed 销毁清册.
const KindDisposalList = "销毁清册"

// disposalHeadRoles may give the second approval of a 销毁清册 (the
// unit's head; add the unit-head role here once identity has it).
var disposalHeadRoles = []identity.Role{identity.RoleApprover}

// ExpiredRecord is a record whose retention (as extended) has passed.
type ExpiredRecord struct {
	Record      *Record    `json:"record"`
	RetainUntil time.Time  `json:"retain_until"` // the manifest's, or the latest extension
	Held        bool       `json:"held"`
	Appraisal   *Appraisal `json:"appraisal,omitempty"` // the latest
}

// Appraisal is one 鉴定 decision.
type Appraisal struct {
	ID          int64      `json:"id"`
	RecordID    string     `json:"record_id"`
	Decision    string     `json:"decision"`
	RetainUntil *time.Time `json:"retain_until,omitempty"`
	Reason      string     `json:"reason"`
	By          PersonRef  `json:"by"`
	At          time.Time  `json:"at"`
}

// effectiveRetainUntil is the latest of the manifest's retain_until and
// any extension.
func (s *Store) effectiveRetainUntil(ctx context.Context, r *Record) (time.Time, *Appraisal, error) {
	until := r.RetainUntil
	a, err := s.latestAppraisal(ctx, r.ID)
	if err != nil {
		return until, nil, err
	}
	ext, err := s.latestExtension(ctx, r.ID)
	if err != nil {
		return until, nil, err
	}
	if ext != nil && ext.After(until) {
		until = *ext
	}
	return until, a, nil
}

// ExpiredRecords lists the records the caller can read whose retention
// has passed and that were not disposed of. Archivists and auditors.
func (s *Store) ExpiredRecords(ctx context.Context, u *identity.User) ([]ExpiredRecord, error) {
	if err := identity.RequireRole(u, identity.RoleArchivist, identity.RoleAuditor); err != nil {
		return nil, err
	}
	now := s.now()
	recs, err := s.queryRecords(ctx, `SELECT `+recordCols+` FROM records WHERE disposed_at IS NULL AND retain_until <= ? ORDER BY filed_at`,
		now.Format(retainLayout))
	if err != nil {
		return nil, internal("expired records", err)
	}
	var out []ExpiredRecord
	for _, r := range recs {
		if !identity.CanRead(u, r.UnitID, r.Classification) {
			continue
		}
		until, a, err := s.effectiveRetainUntil(ctx, r)
		if err != nil {
			return nil, err
		}
		if until.After(now) {
			continue
		}
		h, err := s.holdInForce(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, ExpiredRecord{Record: r, RetainUntil: until, Held: h != nil, Appraisal: a})
	}
	return out, nil
}

// AppraisalInput is one 鉴定 decision to record.
type AppraisalInput struct {
	Decision    string    `json:"decision"`     // extend | dispose
	RetainUntil time.Time `json:"retain_until"` // for extend: the new lock end
	Reason      string    `json:"reason"`
}

// Appraise records an archivist's decision on an expired record. Extend
// first extends the COMPLIANCE lock of every version of its objects.
func (s *Store) Appraise(ctx context.Context, u *identity.User, id string, in AppraisalInput) (*Appraisal, error) {
	if err := identity.RequireRole(u, identity.RoleArchivist); err != nil {
		return nil, err
	}
	r, reason, err := s.holdTarget(ctx, u, id, in.Reason)
	if err != nil {
		return nil, err
	}
	until, _, err := s.effectiveRetainUntil(ctx, r)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if until.After(now) {
		return nil, problem.Conflict("not_expired", "该档案保管期限未满（至 "+until.Format(time.DateOnly)+"），不能鉴定")
	}
	var newUntil *time.Time
	switch in.Decision {
	case AppraiseExtend:
		t := in.RetainUntil.UTC().Truncate(time.Second)
		if !t.After(now) {
			return nil, problem.Invalid("bad_retain_until", "retain_until", "续存的新保管期限须晚于现在")
		}
		if err := s.extendRetention(ctx, r, t); err != nil {
			return nil, err
		}
		newUntil = &t
	case AppraiseDispose:
	default:
		return nil, problem.Invalid("bad_decision", "decision", "鉴定结论须为 extend（续存）或 dispose（销毁）")
	}
	return s.insertAppraisal(ctx, u, r, in.Decision, newUntil, reason)
}

func (s *Store) insertAppraisal(ctx context.Context, u *identity.User, r *Record, decision string, until *time.Time, reason string) (*Appraisal, error) {
	now := s.now()
	var untilS sql.NullString
	detail := "鉴定：销毁。" + reason
	if until != nil {
		untilS = sql.NullString{String: until.Format(retainLayout), Valid: true}
		detail = "鉴定：续存至 " + until.Format(time.DateOnly) + "。" + reason
	}
	err := s.cat.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO appraisals (record_id, decision, retain_until, reason, by_id, by_name, at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, r.ID, decision, untilS, reason, u.ID, u.Name, catalog.FormatTime(now)); err != nil {
			return err
		}
		return s.audit(ctx, tx, u, "record.appraise", r.ID, "", detail)
	})
	if err != nil {
		return nil, internal("appraise", err)
	}
	return s.latestAppraisal(ctx, r.ID)
}

// extendRetention extends the COMPLIANCE lock of every version to until.
func (s *Store) extendRetention(ctx context.Context, r *Record, until time.Time) error {
	vs, err := s.recordObjectVersions(ctx, r)
	if err != nil {
		return s.s3Failed("extend retention", err)
	}
	mode := minio.Compliance
	for _, v := range vs {
		cctx, cancel := s.callCtx(ctx)
		err := s.s3.PutObjectRetention(cctx, s.bucket, v.key, minio.PutObjectRetentionOptions{VersionID: v.version, Mode: &mode, RetainUntilDate: &until})
		cancel()
		if err != nil {
			return s.s3Failed("extend retention", fmt.Errorf("%s@%s: %w", v.key, v.version, err))
		}
	}
	return nil
}

func (s *Store) latestAppraisal(ctx context.Context, id string) (*Appraisal, error) {
	var a Appraisal
	var until sql.NullString
	var at string
	err := s.cat.Reader().QueryRowContext(ctx, `SELECT id, record_id, decision, retain_until, reason, by_id, by_name, at
		FROM appraisals WHERE record_id = ? ORDER BY id DESC LIMIT 1`, id).Scan(&a.ID, &a.RecordID, &a.Decision, &until, &a.Reason, &a.By.ID, &a.By.Name, &at)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, internal("appraisal", err)
	}
	a.At = catalog.ParseTime(at)
	if until.Valid {
		t := parseRetain(until.String)
		a.RetainUntil = &t
	}
	return &a, nil
}

func (s *Store) latestExtension(ctx context.Context, id string) (*time.Time, error) {
	var until sql.NullString
	err := s.cat.Reader().QueryRowContext(ctx, `SELECT MAX(retain_until) FROM appraisals WHERE record_id = ? AND decision = 'extend'`, id).Scan(&until)
	if err != nil {
		return nil, internal("retention extension", err)
	}
	if !until.Valid {
		return nil, nil
	}
	t := parseRetain(until.String)
	return &t, nil
}

// DisposalList is a 销毁清册 in the making or done.
type DisposalList struct {
	ID           string     `json:"id"`
	UnitID       int64      `json:"unit_id"`
	Status       string     `json:"status"` // proposed | approved | disposed
	CreatedBy    PersonRef  `json:"created_by"`
	CreatedAt    time.Time  `json:"created_at"`
	Archivist    *PersonRef `json:"archivist,omitempty"` // 档案员 approval
	Head         *PersonRef `json:"head,omitempty"`      // 单位负责人 / 审批人 approval
	ListRecordID string     `json:"list_record_id,omitempty"`
	DisposedAt   *time.Time `json:"disposed_at,omitempty"`
	RecordIDs    []string   `json:"record_ids"`
}

// Disposal list states.
const (
	disposalProposed = "proposed"
	disposalApproved = "approved"
	disposalDisposed = "disposed"
)

// disposalStatusNames are the states' Chinese names.
var disposalStatusNames = map[string]string{disposalProposed: "待批准", disposalApproved: "已批准", disposalDisposed: "已销毁"}

// DisposalStatusName is the Chinese name of a 销毁清册's state
// (DisposalList.Status): 待批准, 已批准 or 已销毁; "" for another string.
func DisposalStatusName(status string) string { return disposalStatusNames[status] }

// ProposeDisposal drafts a 销毁清册 of records appraised 销毁: an archivist
// of their unit, every record expired, not held and not on another open
// list.
func (s *Store) ProposeDisposal(ctx context.Context, u *identity.User, recordIDs []string) (*DisposalList, error) {
	if err := identity.RequireRole(u, identity.RoleArchivist); err != nil {
		return nil, err
	}
	if len(recordIDs) == 0 || len(recordIDs) > 1000 {
		return nil, problem.Invalid("bad_records", "record_ids", "须列出 1 至 1000 件档案")
	}
	ids := append([]string(nil), recordIDs...)
	sort.Strings(ids)
	for i, id := range ids {
		if i > 0 && ids[i-1] == id {
			return nil, problem.Invalid("duplicate_record", "record_ids", "档案 "+id+" 重复")
		}
		if _, err := s.disposable(ctx, u, id); err != nil {
			return nil, err
		}
	}
	l := &DisposalList{ID: newID(), UnitID: u.UnitID, Status: disposalProposed, CreatedBy: PersonRef{ID: u.ID, Name: u.Name},
		CreatedAt: s.now(), RecordIDs: ids}
	err := s.cat.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO disposal_lists (id, unit_id, status, created_by_id, created_by_name, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, l.ID, l.UnitID, l.Status, u.ID, u.Name, catalog.FormatTime(l.CreatedAt)); err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `INSERT INTO disposal_items (list_id, record_id) VALUES (?, ?)`, l.ID, id); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, u, "disposal.propose", "", "", fmt.Sprintf("销毁清册 %s：%d 件", l.ID, len(ids)))
	})
	if err != nil {
		return nil, internal("propose disposal", err)
	}
	return l, nil
}

// disposable checks that record id may go on (or stay on) a 销毁清册:
// readable by u and of u's unit, not disposed, expired, appraised 销毁,
// not under legal hold in the catalog.
func (s *Store) disposable(ctx context.Context, u *identity.User, id string) (*Record, error) {
	r, err := s.GetRecord(ctx, u, id)
	if err != nil {
		return nil, err
	}
	if !u.IsOperator() && r.UnitID != u.UnitID {
		return nil, problem.Forbidden("other_unit", "只能销毁本单位的档案："+r.ArchiveCode)
	}
	if at, err := s.disposedAt(ctx, r.ID); err != nil || at != "" {
		if err == nil {
			err = problem.Conflict("record_disposed", r.ArchiveCode+" 已销毁")
		}
		return nil, err
	}
	until, a, err := s.effectiveRetainUntil(ctx, r)
	if err != nil {
		return nil, err
	}
	switch {
	case until.After(s.now()):
		return nil, problem.Conflict("not_expired", r.ArchiveCode+" 保管期限未满（至 "+until.Format(time.DateOnly)+"）")
	case a == nil || a.Decision != AppraiseDispose:
		return nil, problem.Conflict("not_appraised", r.ArchiveCode+" 未经鉴定为销毁")
	}
	if h, err := s.holdInForce(ctx, r.ID); err != nil {
		return nil, err
	} else if h != nil {
		return nil, problem.Conflict("legal_hold", r.ArchiveCode+" 处于法律保全中（"+h.Reason+"），不能销毁")
	}
	return r, nil
}

// ApproveDisposal gives one of the two approvals of a 销毁清册: an
// archivist's, or the unit head's (the unit's approver). The same person
// cannot give both; with both the list is approved.
func (s *Store) ApproveDisposal(ctx context.Context, u *identity.User, listID string) (*DisposalList, error) {
	l, err := s.GetDisposalList(ctx, u, listID)
	if err != nil {
		return nil, err
	}
	if l.Status != disposalProposed {
		return nil, problem.Conflict("disposal_not_proposed", "销毁清册已"+map[string]string{disposalApproved: "批准", disposalDisposed: "执行"}[l.Status])
	}
	col := ""
	switch {
	case identity.HasRole(u, identity.RoleArchivist) && l.Archivist == nil:
		col = "archivist"
	case identity.HasRole(u, disposalHeadRoles...) && l.Head == nil:
		col = "head"
	case identity.HasRole(u, identity.RoleArchivist) || identity.HasRole(u, disposalHeadRoles...):
		return nil, problem.Conflict("already_approved", "这一方已经批准")
	default:
		return nil, problem.Forbidden("wrong_role", "销毁清册须由档案员和单位负责人（"+identity.RoleNames(disposalHeadRoles...)+"）批准")
	}
	if (l.Archivist != nil && l.Archivist.ID == u.ID) || (l.Head != nil && l.Head.ID == u.ID) {
		return nil, problem.Forbidden("same_person", "两项批准须由两个不同的人作出")
	}
	now := catalog.FormatTime(s.now())
	err = s.cat.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE disposal_lists SET `+col+`_id = ?, `+col+`_name = ?, `+col+`_at = ? WHERE id = ? AND `+col+`_id IS NULL`,
			u.ID, u.Name, now, l.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE disposal_lists SET status = 'approved' WHERE id = ? AND archivist_id IS NOT NULL AND head_id IS NOT NULL`, l.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, u, "disposal.approve", "", "", "销毁清册 "+l.ID+"："+u.Role.Name()+"批准")
	})
	if err != nil {
		return nil, internal("approve disposal", err)
	}
	return s.GetDisposalList(ctx, u, listID)
}

// GetDisposalList returns a list of the caller's unit (archivists,
// auditors and the unit's approvers).
func (s *Store) GetDisposalList(ctx context.Context, u *identity.User, id string) (*DisposalList, error) {
	roles := append([]identity.Role{identity.RoleArchivist, identity.RoleAuditor}, disposalHeadRoles...)
	if err := identity.RequireRole(u, roles...); err != nil {
		return nil, err
	}
	l, err := s.loadDisposalList(ctx, id)
	if err != nil {
		return nil, err
	}
	if !u.IsOperator() && l.UnitID != u.UnitID {
		return nil, problem.NotFound("销毁清册")
	}
	return l, nil
}

func (s *Store) loadDisposalList(ctx context.Context, id string) (*DisposalList, error) {
	var l DisposalList
	var created string
	var aID, hID sql.NullInt64
	var aName, hName, rec, disposed sql.NullString
	err := s.cat.Reader().QueryRowContext(ctx, `SELECT id, unit_id, status, created_by_id, created_by_name, created_at,
		archivist_id, archivist_name, head_id, head_name, list_record_id, disposed_at FROM disposal_lists WHERE id = ?`, id).Scan(
		&l.ID, &l.UnitID, &l.Status, &l.CreatedBy.ID, &l.CreatedBy.Name, &created, &aID, &aName, &hID, &hName, &rec, &disposed)
	if err == sql.ErrNoRows {
		return nil, problem.NotFound("销毁清册")
	}
	if err != nil {
		return nil, internal("disposal list", err)
	}
	l.CreatedAt, l.ListRecordID = catalog.ParseTime(created), rec.String
	if aID.Valid {
		l.Archivist = &PersonRef{ID: aID.Int64, Name: aName.String}
	}
	if hID.Valid {
		l.Head = &PersonRef{ID: hID.Int64, Name: hName.String}
	}
	if disposed.Valid {
		t := catalog.ParseTime(disposed.String)
		l.DisposedAt = &t
	}
	rows, err := s.cat.Reader().QueryContext(ctx, `SELECT record_id FROM disposal_items WHERE list_id = ? ORDER BY record_id`, id)
	if err != nil {
		return nil, internal("disposal list", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, internal("disposal list", err)
		}
		l.RecordIDs = append(l.RecordIDs, r)
	}
	return &l, internal("disposal list", rows.Err())
}

// ListDisposalLists lists the 销毁清册 of the caller's unit, newest first.
func (s *Store) ListDisposalLists(ctx context.Context, u *identity.User) ([]*DisposalList, error) {
	roles := append([]identity.Role{identity.RoleArchivist, identity.RoleAuditor}, disposalHeadRoles...)
	if err := identity.RequireRole(u, roles...); err != nil {
		return nil, err
	}
	rows, err := s.cat.Reader().QueryContext(ctx, `SELECT id FROM disposal_lists WHERE unit_id = ? OR ? ORDER BY created_at DESC`, u.UnitID, u.IsOperator())
	if err != nil {
		return nil, internal("disposal lists", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, internal("disposal lists", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	var out []*DisposalList
	for _, id := range ids {
		l, err := s.loadDisposalList(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}
