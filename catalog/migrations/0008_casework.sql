-- The 谈话函询 loop after signing: service of a letter (送达), the deadlines
-- it starts (期限), and the results of spot-checks (抽查核实结论). The letter,
-- the reply and the spot-check list are records (signed, locked); these rows
-- are the catalog's working state around them, and every change to them is
-- an audit event. No foreign keys to records: Rebuild refills that table.

-- One service per letter (record_id is the 函询通知书).
CREATE TABLE letter_services (
    record_id   TEXT    PRIMARY KEY,
    unit_id     INTEGER NOT NULL,
    served_on   TEXT    NOT NULL,         -- YYYY-MM-DD, the day of receipt
    served_by   INTEGER NOT NULL,         -- user who recorded it
    created_at  TEXT    NOT NULL
);

-- Deadlines computed from the rules in package deadline.
CREATE TABLE deadlines (
    id              TEXT    PRIMARY KEY,
    unit_id         INTEGER NOT NULL,
    kind            TEXT    NOT NULL,     -- the rule id, e.g. reply
    record_id       TEXT    NOT NULL,     -- the record that started it (the letter)
    case_no         TEXT    NOT NULL,
    person          TEXT    NOT NULL,
    start_on        TEXT    NOT NULL,     -- YYYY-MM-DD
    due             TEXT    NOT NULL,     -- YYYY-MM-DD, end of day
    provisional     INTEGER NOT NULL,     -- 1: counted over weekends only (a year without a holiday table)
    basis           TEXT    NOT NULL,
    status          TEXT    NOT NULL,     -- open | done
    done_on         TEXT,                 -- YYYY-MM-DD
    closed_by       TEXT,                 -- the record that closed it (the reply)
    created_at      TEXT    NOT NULL,
    UNIQUE (record_id, kind)
);
CREATE INDEX deadlines_unit_due ON deadlines (unit_id, status, due);

-- 核实结论 recorded against a sampled reply of a spot-check record.
CREATE TABLE spot_check_results (
    spot_check_id TEXT    NOT NULL,
    reply_id      TEXT    NOT NULL,
    conclusion    TEXT    NOT NULL,
    recorded_by   INTEGER NOT NULL,
    recorded_at   TEXT    NOT NULL,
    PRIMARY KEY (spot_check_id, reply_id)
);
