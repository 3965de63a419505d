package catalog

import (
	"context"
	"database/sql"
	"time"
)

// AuditEntry is one append-only event of the audit table (业务行为): who
// did what to which record or draft, and when. What the actions mean is
// the caller's business; the table only keeps them (a trigger refuses
// updates and deletes).
type AuditEntry struct {
	At        time.Time
	ActorID   int64  // 0: no user (the system, or an unknown login name)
	ActorName string // "": the system itself
	Action    string // e.g. draft.create, record.file, auth.login
	RecordID  string
	DraftID   string
	Detail    string
}

// AppendAudit appends e inside tx, so the event commits with the change it
// describes or not at all.
func AppendAudit(ctx context.Context, tx *sql.Tx, e AuditEntry) error {
	name := e.ActorName
	if name == "" {
		name = "system"
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_events (at, actor_id, actor_name, action, record_id, draft_id, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, FormatTime(e.At), NullInt(e.ActorID), name, e.Action,
		NullString(e.RecordID), NullString(e.DraftID), e.Detail)
	return err
}
