package catalog

import (
	"context"
	"database/sql"
	"fmt"
)

// goMigrations are Go steps run after the SQL of the migration with the
// same number, in its transaction.
var goMigrations = map[int]func(context.Context, *sql.Tx) error{
	5: backfillAuditChain,
}

// backfillAuditChain chains the events of a catalog made before the chain
// existed: in row id order it gives each event its seq, normalises its time
// to TimeLayout, fills the actor's role and unit and the attributed unit
// from the catalog as it is now, derives the outcome, and computes
// prev_hash and hash. Migration 0005 dropped the append-only triggers for
// this; 0006 recreates them.
func backfillAuditChain(ctx context.Context, tx *sql.Tx) error {
	type legacy struct {
		id    int64
		entry AuditEntry
	}
	var last int64
	prev := ChainedEvent{}
	lk := newAuditLookup(tx)
	for {
		rows, err := tx.QueryContext(ctx, `SELECT id, at, actor_id, actor_name, action, record_id, draft_id, detail
			FROM audit_events WHERE id > ? ORDER BY id LIMIT 1000`, last)
		if err != nil {
			return fmt.Errorf("backfill audit chain: %w", err)
		}
		var batch []legacy
		for rows.Next() {
			var l legacy
			var at string
			var actor sql.NullInt64
			var rec, dr sql.NullString
			if err := rows.Scan(&l.id, &at, &actor, &l.entry.ActorName, &l.entry.Action, &rec, &dr, &l.entry.Detail); err != nil {
				rows.Close()
				return fmt.Errorf("backfill audit chain: %w", err)
			}
			l.entry.At, l.entry.ActorID, l.entry.RecordID, l.entry.DraftID = ParseTime(at), actor.Int64, rec.String, dr.String
			batch = append(batch, l)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("backfill audit chain: %w", err)
		}
		if len(batch) == 0 {
			return nil
		}
		for _, l := range batch {
			ev, err := lk.chained(ctx, l.entry)
			if err != nil {
				return fmt.Errorf("backfill audit chain: %w", err)
			}
			ev.Seq, ev.PrevHash = prev.Seq+1, prev.Hash
			ev.Hash = ev.ComputeHash()
			if _, err := tx.ExecContext(ctx, `UPDATE audit_events SET seq = ?, at = ?, actor_name = ?, actor_role = ?,
				actor_unit_id = ?, unit_id = ?, outcome = ?, prev_hash = ?, hash = ? WHERE id = ?`,
				ev.Seq, ev.Time, ev.ActorName, ev.ActorRole, NullInt(ev.ActorUnitID), NullInt(ev.UnitID), ev.Outcome,
				ev.PrevHash, ev.Hash, l.id); err != nil {
				return fmt.Errorf("backfill audit chain: %w", err)
			}
			prev, last = ev, l.id
		}
	}
}

// AuditCheckpoint is a row of audit_checkpoints: what the flusher wrote to
// the bucket (or found there). A cache; verification reads the bucket.
type AuditCheckpoint struct {
	FirstSeq, LastSeq int64
	HeadHash          string
	CheckpointKey     string
	SegmentKey        string
	CreatedAt         string
}

// LastAuditCheckpoint returns the checkpoint with the highest last
// sequence (zero if none).
func LastAuditCheckpoint(ctx context.Context, q QueryRower) (AuditCheckpoint, error) {
	var c AuditCheckpoint
	err := q.QueryRowContext(ctx, `SELECT first_seq, last_seq, head_hash, checkpoint_key, segment_key, created_at
		FROM audit_checkpoints ORDER BY last_seq DESC LIMIT 1`).Scan(&c.FirstSeq, &c.LastSeq, &c.HeadHash, &c.CheckpointKey, &c.SegmentKey, &c.CreatedAt)
	if err == sql.ErrNoRows {
		return AuditCheckpoint{}, nil
	}
	return c, err
}

// SaveAuditCheckpoint records a checkpoint (again: an existing row for the
// same last sequence is kept).
func SaveAuditCheckpoint(ctx context.Context, tx *sql.Tx, c AuditCheckpoint) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_checkpoints (last_seq, first_seq, head_hash, checkpoint_key, segment_key, created_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (last_seq) DO NOTHING`, c.LastSeq, c.FirstSeq, c.HeadHash, c.CheckpointKey, c.SegmentKey, c.CreatedAt)
	return err
}
