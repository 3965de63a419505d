// Package catalog is the SQL catalog that identity and archive share: one
// SQLite file (mattn/go-sqlite3), its schema (the embedded migrations,
// one schema for both), write transactions (durable and lazy), the time
// format of every timestamp column, and the append-only audit table with
// its hash chain (chain.go: each event carries its sequence number and the
// SM3 of the one before; package audit seals and verifies it).
//
// It owns no domain rule: which rows exist, who may read them and what an
// event means belong to identity and archive. It knows nothing of HTTP,
// MinIO, users or records. The SQL stays portable (UPSERT, RETURNING, no
// SQLite-only functions in queries), so a PostgreSQL catalog can take over
// when one node is outgrown; only Open, the pragmas and IsUniqueViolation
// are SQLite's.
package catalog
