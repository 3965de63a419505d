-- The archive's later life (issue 13): legal holds (法律保全), retention
-- extensions decided at appraisal (鉴定 → 续存), appraisals, and disposal
-- lists (销毁清册) with their items. Numbered 0011, leaving 0007–0010 to
-- work merged at the same time. Disposed records keep their catalog row,
-- marked disposed_at / disposal_list: rebuild and reconcile must know
-- what was destroyed and under which approved list.

CREATE TABLE legal_holds (
    id             INTEGER PRIMARY KEY,
    record_id      TEXT    NOT NULL,  -- no foreign key: rebuild recreates records
    reason         TEXT    NOT NULL,
    placed_by_id   INTEGER NOT NULL,
    placed_by_name TEXT    NOT NULL,
    placed_at      TEXT    NOT NULL,
    lifted_by_id   INTEGER,
    lifted_by_name TEXT,
    lifted_at      TEXT,
    lift_reason    TEXT
);
-- At most one hold in force per record.
CREATE UNIQUE INDEX legal_holds_in_force ON legal_holds (record_id) WHERE lifted_at IS NULL;

CREATE TABLE appraisals (
    id           INTEGER PRIMARY KEY,
    record_id    TEXT    NOT NULL,
    decision     TEXT    NOT NULL CHECK (decision IN ('extend', 'dispose')),
    retain_until TEXT,            -- the new lock end for extend
    reason       TEXT    NOT NULL,
    by_id        INTEGER NOT NULL,
    by_name      TEXT    NOT NULL,
    at           TEXT    NOT NULL
);
CREATE INDEX appraisals_record ON appraisals (record_id, id);

CREATE TABLE disposal_lists (
    id               TEXT    PRIMARY KEY,
    unit_id          INTEGER NOT NULL REFERENCES units (id),
    status           TEXT    NOT NULL CHECK (status IN ('proposed', 'approved', 'disposed')),
    created_by_id    INTEGER NOT NULL,
    created_by_name  TEXT    NOT NULL,
    created_at       TEXT    NOT NULL,
    archivist_id     INTEGER,
    archivist_name   TEXT,
    archivist_at     TEXT,
    head_id          INTEGER,
    head_name        TEXT,
    head_at          TEXT,
    list_record_id   TEXT,     -- the 销毁清册 filed as a permanent record
    disposed_at      TEXT
);

CREATE TABLE disposal_items (
    list_id     TEXT NOT NULL REFERENCES disposal_lists (id),
    record_id   TEXT NOT NULL,
    disposed_at TEXT,
    PRIMARY KEY (list_id, record_id)
);

ALTER TABLE records ADD COLUMN disposed_at TEXT;
ALTER TABLE records ADD COLUMN disposal_list TEXT;
