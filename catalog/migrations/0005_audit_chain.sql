-- The audit hash chain (issue 10). Every event gets a sequence number, the
-- SM3 of the previous event's canonical bytes (prev_hash) and its own
-- (hash), the actor's role and unit at the time, the unit the event is
-- attributed to (unit_id: the target record's or draft's unit, else the
-- actor's), a target user and an outcome. Canonical bytes: see
-- catalog/chain.go and audit/doc.go.
--
-- The append-only triggers are dropped here so that the Go step of this
-- migration (backfillAuditChain, same transaction) can fill the chain of
-- existing rows; 0006 recreates them. Portable SQL (ALTER TABLE … ADD
-- COLUMN, plain indexes) but for the trigger names.

DROP TRIGGER IF EXISTS audit_events_no_update;
DROP TRIGGER IF EXISTS audit_events_no_delete;

ALTER TABLE audit_events ADD COLUMN seq INTEGER;
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN hash TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN actor_role TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN actor_unit_id INTEGER;
ALTER TABLE audit_events ADD COLUMN unit_id INTEGER;
ALTER TABLE audit_events ADD COLUMN target_user_id INTEGER;
ALTER TABLE audit_events ADD COLUMN outcome TEXT NOT NULL DEFAULT 'ok';

CREATE UNIQUE INDEX audit_seq ON audit_events (seq);
CREATE INDEX audit_unit_seq ON audit_events (unit_id, seq);
CREATE INDEX audit_actor_unit_seq ON audit_events (actor_unit_id, seq);
CREATE INDEX audit_actor_name ON audit_events (actor_name);

-- Checkpoints written to the bucket (audit/<year>/<first>-<last>.json and
-- its .events segment). A cache of what the bucket holds, for the
-- flusher: verification never trusts it, it reads the bucket.
CREATE TABLE audit_checkpoints (
    last_seq       INTEGER PRIMARY KEY,
    first_seq      INTEGER NOT NULL,
    head_hash      TEXT    NOT NULL,
    checkpoint_key TEXT    NOT NULL,
    segment_key    TEXT    NOT NULL,
    created_at     TEXT    NOT NULL
);
