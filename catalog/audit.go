package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// AuditEntry is one append-only event of the audit table (业务行为): who
// did what to which record, draft or user, with what outcome, and when.
// What the actions mean is the caller's business; the table only keeps
// them, each chained to the one before (see chain.go). A trigger refuses
// updates and deletes; the chain and the bucket's signed checkpoints
// (package audit) catch whoever drops it.
type AuditEntry struct {
	At        time.Time
	ActorID   int64  // 0: no user (the system, an operator, or an unknown login name)
	ActorName string // "": the system itself
	// ActorRole and ActorUnitID are the actor's role and unit at the time;
	// when empty and ActorID is set they are read from the users table.
	ActorRole   string
	ActorUnitID int64
	Action      string // e.g. draft.create, record.file, auth.login
	RecordID    string
	DraftID     string
	UserID      int64 // the user acted upon (target), 0 if none
	Detail      string
	// Outcome is OutcomeOK, OutcomeDenied or OutcomeFailed; "" is derived
	// (see deriveOutcome).
	Outcome string
	// UnitID is the unit the event is attributed to; 0 means: the target
	// record's unit, else the target draft's, else the actor's.
	UnitID int64
}

// Outcomes of an audited action.
const (
	OutcomeOK     = "ok"     // done
	OutcomeDenied = "denied" // refused to the caller (a 403 or a 404 it was not allowed to tell apart)
	OutcomeFailed = "failed" // attempted and failed (a wrong password, a failed verification)
)

// AppendAudit appends e inside tx, so the event commits with the change it
// describes or not at all. The chain head is read and advanced in tx: the
// catalog's one writer connection with BEGIN IMMEDIATE serialises it.
func AppendAudit(ctx context.Context, tx *sql.Tx, e AuditEntry) error {
	return AppendAuditBatch(ctx, tx, []AuditEntry{e})
}

// AppendAuditBatch appends events in order inside tx, reading the chain
// head once.
func AppendAuditBatch(ctx context.Context, tx *sql.Tx, events []AuditEntry) error {
	if len(events) == 0 {
		return nil
	}
	head, err := ChainHead(ctx, tx)
	if err != nil {
		return fmt.Errorf("catalog: audit head: %w", err)
	}
	lk := newAuditLookup(tx)
	for _, e := range events {
		ev, err := lk.chained(ctx, e)
		if err != nil {
			return fmt.Errorf("catalog: audit %s: %w", e.Action, err)
		}
		ev.Seq, ev.PrevHash = head.Seq+1, head.Hash
		ev.Hash = ev.ComputeHash()
		if err := InsertChainedEvent(ctx, tx, ev); err != nil {
			return fmt.Errorf("catalog: audit %s: %w", e.Action, err)
		}
		head = ev
	}
	return nil
}

// deriveOutcome is the outcome of an event whose caller named none: a
// failed login (action ending in _failed) or a verification that did not
// pass (detail starting 未通过) failed, an action ending in _denied was
// denied, anything else is ok.
func deriveOutcome(action, detail string) string {
	switch {
	case strings.HasSuffix(action, "_failed") || strings.HasPrefix(detail, "未通过"):
		return OutcomeFailed
	case strings.HasSuffix(action, "_denied") || strings.HasSuffix(action, ".denied"):
		return OutcomeDenied
	}
	return OutcomeOK
}

// auditLookup fills an entry's actor role and unit and its attributed
// unit from the catalog, caching within one batch.
type auditLookup struct {
	q       QueryRower
	users   map[int64][2]any
	units   map[string]int64
	hasUnit map[string]bool
}

func newAuditLookup(q QueryRower) *auditLookup {
	return &auditLookup{q: q, users: map[int64][2]any{}, units: map[string]int64{}, hasUnit: map[string]bool{}}
}

func (l *auditLookup) chained(ctx context.Context, e AuditEntry) (ChainedEvent, error) {
	ev := ChainedEvent{
		Time: FormatTime(e.At), ActorID: e.ActorID, ActorName: e.ActorName, ActorRole: e.ActorRole,
		ActorUnitID: e.ActorUnitID, Action: e.Action, RecordID: e.RecordID, DraftID: e.DraftID,
		UserID: e.UserID, Detail: e.Detail, Outcome: e.Outcome, UnitID: e.UnitID,
	}
	if ev.ActorName == "" {
		ev.ActorName = "system"
	}
	if ev.Outcome == "" {
		ev.Outcome = deriveOutcome(e.Action, e.Detail)
	}
	if ev.ActorID != 0 && ev.ActorRole == "" && ev.ActorUnitID == 0 {
		role, unit, err := l.user(ctx, ev.ActorID)
		if err != nil {
			return ev, err
		}
		ev.ActorRole, ev.ActorUnitID = role, unit
	}
	if ev.UnitID == 0 {
		u, err := l.targetUnit(ctx, ev.RecordID, ev.DraftID)
		if err != nil {
			return ev, err
		}
		ev.UnitID = u
		if ev.UnitID == 0 {
			ev.UnitID = ev.ActorUnitID
		}
	}
	return ev, nil
}

func (l *auditLookup) user(ctx context.Context, id int64) (string, int64, error) {
	if c, ok := l.users[id]; ok {
		return c[0].(string), c[1].(int64), nil
	}
	var role string
	var unit int64
	err := l.q.QueryRowContext(ctx, `SELECT role, unit_id FROM users WHERE id = ?`, id).Scan(&role, &unit)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", 0, err
	}
	l.users[id] = [2]any{role, unit}
	return role, unit, nil
}

// targetUnit is the unit of the record, else of the draft (0 if neither
// is in the catalog).
func (l *auditLookup) targetUnit(ctx context.Context, recordID, draftID string) (int64, error) {
	for _, t := range []struct{ table, id string }{{"records", recordID}, {"drafts", draftID}} {
		if t.id == "" {
			continue
		}
		key := t.table + "/" + t.id
		if l.hasUnit[key] {
			return l.units[key], nil
		}
		var unit int64
		err := l.q.QueryRowContext(ctx, `SELECT unit_id FROM `+t.table+` WHERE id = ?`, t.id).Scan(&unit)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, err
		}
		l.hasUnit[key], l.units[key] = true, unit
		if unit != 0 {
			return unit, nil
		}
	}
	return 0, nil
}
