package archive

import (
	"context"
	"database/sql"
	"time"

	"wenshu/catalog"
	"wenshu/identity"
	"wenshu/problem"
)

// DisposalMark says a record was disposed of (已销毁) by a 销毁清册.
type DisposalMark struct {
	ListID       string    `json:"list_id"`        // the 销毁清册
	ListRecordID string    `json:"list_record_id"` // the filed 清册 that keeps the record's metadata
	At           time.Time `json:"at"`
}

// gone is the answer to a request for a disposed record's content.
func (d *DisposalMark) gone(r *Record) error {
	return problem.New(problem.ErrGone, "record_disposed",
		r.ArchiveCode+" 已于 "+d.At.Format(time.DateOnly)+" 按销毁清册 "+d.ListID+" 销毁，内容不复存在")
}

// disposalMark reads the catalog's disposal state of record id (nil if
// it was not disposed of).
func (s *Store) disposalMark(ctx context.Context, q catalog.QueryRower, id string) (*DisposalMark, error) {
	var at, list sql.NullString
	err := q.QueryRowContext(ctx, `SELECT disposed_at, disposal_list FROM records WHERE id = ?`, id).Scan(&at, &list)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, internal("record disposal state", err)
	}
	if !at.Valid {
		return nil, nil
	}
	return &DisposalMark{ListID: list.String, At: catalog.ParseTime(at.String)}, nil
}

// disposedRecord is a disposed record as its entry in the filed, signed
// 清册 describes it. The catalog's mark alone is not trusted: a mark
// whose 清册 does not list the record is tampering (alerted).
func (s *Store) disposedRecord(ctx context.Context, q catalog.QueryRower, row *Record, mark *DisposalMark) (*Record, error) {
	var listRec sql.NullString
	err := q.QueryRowContext(ctx, `SELECT list_record_id FROM disposal_lists WHERE id = ?`, mark.ListID).Scan(&listRec)
	if err != nil && err != sql.ErrNoRows {
		return nil, internal("disposal list of record", err)
	}
	mark.ListRecordID = listRec.String
	var entry map[string]any
	if mark.ListRecordID != "" && mark.ListRecordID != row.ID {
		list, err := s.loadRecord(ctx, q, mark.ListRecordID)
		if err != nil {
			return nil, err
		}
		entry = disposedEntryOf(list, row.ID)
	}
	if entry == nil {
		s.raiseAlert(ctx, Alert{Kind: AlertTamper, RecordID: row.ID, Detail: "目录标记为已销毁，但销毁清册 " + mark.ListID + " 未载明该档案"})
		return nil, errTampered()
	}
	m := manifestFromEntry(entry)
	sm3, _ := entry["manifest_sm3"].(string)
	r := recordFromManifest(m, row.ManifestVersion, sm3)
	if r.UnitID, err = s.manifestUnitID(ctx, row, m); err != nil {
		return nil, err
	}
	r.Disposal = mark
	return r, nil
}

// disposedEntryOf is the entry for record id in a filed 清册's fields.
func disposedEntryOf(list *Record, id string) map[string]any {
	if list.Kind != KindDisposalList {
		return nil
	}
	entries, _ := list.Fields["disposed"].([]any)
	for _, e := range entries {
		if em, ok := e.(map[string]any); ok && em["record_id"] == id {
			return em
		}
	}
	return nil
}

// verifyDisposed is the verification of a disposed record (nil if record
// id was not disposed of): status disposed, naming the 清册, once the
// filed 清册 is found to list it.
func (s *Store) verifyDisposed(ctx context.Context, u *identity.User, id string) (*Verification, error) {
	if !validID(id) {
		return nil, nil
	}
	mark, err := s.disposalMark(ctx, s.cat.Reader(), id)
	if err != nil || mark == nil {
		return nil, err
	}
	r, err := s.GetRecord(ctx, u, id)
	if err != nil {
		return nil, err
	}
	v := &Verification{RecordID: r.ID, OK: true, Status: VerifyDisposed, VerifiedAt: s.now(), Disposal: r.Disposal}
	v.Checks = []Check{{Name: CheckDisposed, OK: true, Status: VerifyDisposed,
		Detail: "已于 " + mark.At.Format(time.DateOnly) + " 按销毁清册 " + mark.ListID + "（档案 " + mark.ListRecordID + "）销毁，元数据载于清册"}}
	return v, nil
}

// trustListedRow is trustRow for a row of a list, or nil for a record
// disposed of as its filed 清册 confirms: lists leave disposed records
// out instead of refusing them as tampering (GetRecord still shows them,
// flagged). A mark the 清册 does not back is refused and alerted.
func (s *Store) trustListedRow(ctx context.Context, row *Record) (*Record, error) {
	mark, err := s.disposalMark(ctx, s.cat.Reader(), row.ID)
	if err != nil {
		return nil, err
	}
	if mark == nil {
		return s.trustRow(ctx, row)
	}
	if _, err := s.disposedRecord(ctx, s.cat.Reader(), row, mark); err != nil {
		return nil, err
	}
	return nil, nil
}
