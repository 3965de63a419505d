-- Passwords and browser sessions (issue 5). Portable SQL.
--
-- A password is stored as its argon2id encoding (algorithm, version,
-- parameters, salt and hash in one PHC string); failures counts wrong
-- passwords in a row and locked_until ends a lockout. A session is stored
-- only as the SHA-256 of its id, like bearer tokens, with the CSRF token of
-- its forms, the last time it was used (idle timeout) and its absolute end.

CREATE TABLE passwords (
    user_id      INTEGER PRIMARY KEY REFERENCES users (id),
    hash         TEXT    NOT NULL,
    failures     INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    updated_at   TEXT    NOT NULL
);

CREATE TABLE sessions (
    hash        TEXT    PRIMARY KEY,       -- hex SHA-256 of the session id
    user_id     INTEGER NOT NULL REFERENCES users (id),
    csrf        TEXT    NOT NULL,
    remote_addr TEXT    NOT NULL DEFAULT '',
    created_at  TEXT    NOT NULL,
    last_seen   TEXT    NOT NULL,
    expires_at  TEXT    NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);
