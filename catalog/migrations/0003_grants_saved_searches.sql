-- Units an archivist or auditor may see beyond its own (授权查阅), and
-- saved searches (保存的检索). Portable SQL.

CREATE TABLE unit_grants (
    user_id    INTEGER NOT NULL REFERENCES users (id),
    unit_id    INTEGER NOT NULL REFERENCES units (id),
    granted_at TEXT    NOT NULL,
    PRIMARY KEY (user_id, unit_id)
);

CREATE TABLE saved_searches (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    name       TEXT    NOT NULL,
    query      TEXT    NOT NULL,   -- JSON object of search parameters
    created_at TEXT    NOT NULL,
    UNIQUE (user_id, name)
);
