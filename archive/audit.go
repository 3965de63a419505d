package archive

import (
	"context"
	"database/sql"
	"time"
	"wenshu/catalog"
	"wenshu/identity"
)

// AuditEvent is one append-only entry of process metadata (业务行为):
// who did what to which record or draft, and when.
type AuditEvent struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	ActorID   int64     `json:"actor_id,omitempty"`
	ActorName string    `json:"actor_name"`
	Action    string    `json:"action"` // e.g. draft.create, record.file, record.verify
	RecordID  string    `json:"record_id,omitempty"`
	DraftID   string    `json:"draft_id,omitempty"`
	Detail    string    `json:"detail,omitempty"`
}

// audit appends an event inside tx. actor nil means the system itself.
func (s *Store) audit(ctx context.Context, tx *sql.Tx, actor *identity.User, action, recordID, draftID, detail string) error {
	e := catalog.AuditEntry{At: s.now(), Action: action, RecordID: recordID, DraftID: draftID, Detail: detail}
	if actor != nil {
		e.ActorID, e.ActorName = actor.ID, actor.Name
	}
	return catalog.AppendAudit(ctx, tx, e)
}

// auditNow appends an event in its own transaction.
func (s *Store) auditNow(ctx context.Context, actor *identity.User, action, recordID, draftID, detail string) error {
	return s.cat.Tx(ctx, func(tx *sql.Tx) error { return s.audit(ctx, tx, actor, action, recordID, draftID, detail) })
}

// ListAudit returns the events of a record (and of the draft it was filed
// from), oldest first. The caller must be able to read the record.
func (s *Store) ListAudit(ctx context.Context, u *identity.User, recordID string) ([]AuditEvent, error) {
	rec, err := s.GetRecord(ctx, u, recordID)
	if err != nil {
		return nil, err
	}
	rows, err := s.cat.Reader().QueryContext(ctx, `SELECT id, at, actor_id, actor_name, action, record_id, draft_id, detail
		FROM audit_events WHERE record_id = ? OR (draft_id IS NOT NULL AND draft_id = ?) ORDER BY id`, rec.ID, rec.DraftID)
	if err != nil {
		return nil, internal("list audit", err)
	}
	defer rows.Close()
	return scanAudit(rows)
}

// ListDraftAudit returns the events of a draft, oldest first.
func (s *Store) ListDraftAudit(ctx context.Context, u *identity.User, draftID string) ([]AuditEvent, error) {
	if _, err := s.GetDraft(ctx, u, draftID); err != nil {
		return nil, err
	}
	rows, err := s.cat.Reader().QueryContext(ctx, `SELECT id, at, actor_id, actor_name, action, record_id, draft_id, detail
		FROM audit_events WHERE draft_id = ? ORDER BY id`, draftID)
	if err != nil {
		return nil, internal("list audit", err)
	}
	defer rows.Close()
	return scanAudit(rows)
}

func scanAudit(rows *sql.Rows) ([]AuditEvent, error) {
	var out []AuditEvent
	for rows.Next() {
		var e AuditEvent
		var at string
		var actor sql.NullInt64
		var rec, dr sql.NullString
		if err := rows.Scan(&e.ID, &at, &actor, &e.ActorName, &e.Action, &rec, &dr, &e.Detail); err != nil {
			return nil, internal("list audit", err)
		}
		e.At, e.ActorID, e.RecordID, e.DraftID = catalog.ParseTime(at), actor.Int64, rec.String, dr.String
		out = append(out, e)
	}
	return out, internal("list audit", rows.Err())
}
