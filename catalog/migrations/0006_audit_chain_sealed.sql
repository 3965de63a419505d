-- The append-only triggers again, after 0005 filled the chain of existing
-- rows. SQLite trigger syntax (PostgreSQL: a BEFORE UPDATE OR DELETE
-- trigger function that raises, or REVOKE UPDATE, DELETE). They are a
-- speed bump only: whoever holds the catalog file can drop them, which is
-- what the hash chain and the signed checkpoints in the bucket are for.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
