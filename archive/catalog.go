package archive

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"
)

// The catalog is SQLite through mattn/go-sqlite3: the project already needs
// cgo (gojieba), it is the most used and best tested driver, and it bundles
// a current SQLite (UPSERT and RETURNING, which keep the SQL portable to
// PostgreSQL). Two pools share the file: one connection for writes (so
// writers queue in Go instead of spinning on SQLITE_BUSY, and every write
// transaction is BEGIN IMMEDIATE) and a few read-only connections (WAL lets
// them read while a write is in progress).

//go:embed migrations/*.sql
var migrationFS embed.FS

const timeLayout = "2006-01-02T15:04:05.000Z" // fixed width, sorts as text

func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) time.Time {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		t, _ = time.Parse(time.RFC3339Nano, s)
	}
	return t
}

type catalog struct {
	w *sql.DB // single writer connection
	r *sql.DB // readers
}

func openCatalog(ctx context.Context, path string) (*catalog, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "10000")
	q.Set("_foreign_keys", "on")
	// FULL: a committed journal row survives power loss, so a number that
	// reached MinIO is never handed out again.
	q.Set("_synchronous", "FULL")
	q.Set("_txlock", "immediate")
	w, err := sql.Open("sqlite3", "file:"+abs+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, err
	}
	c := &catalog{w: w}
	if err := c.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	q.Del("_txlock")
	q.Del("_synchronous")
	q.Set("_query_only", "true")
	r, err := sql.Open("sqlite3", "file:"+abs+"?"+q.Encode())
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	c.r = r
	return c, nil
}

func (c *catalog) close() error {
	var errs []error
	if c.r != nil {
		errs = append(errs, c.r.Close())
	}
	if c.w != nil {
		errs = append(errs, c.w.Close())
	}
	return errors.Join(errs...)
}

// migrate applies the embedded migrations/NNNN_name.sql files in order, each
// in its own transaction together with its schema_version row.
func (c *catalog) migrate(ctx context.Context) error {
	if _, err := c.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("schema_version: %w", err)
	}
	var current int
	if err := c.w.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
		return err
	}
	files, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(files)
	for _, f := range files {
		base := filepath.Base(f)
		n, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: bad name", base)
		}
		if n <= current {
			continue
		}
		body, err := migrationFS.ReadFile(f)
		if err != nil {
			return err
		}
		tx, err := c.w.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", base, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)`,
			n, base, fmtTime(time.Now())); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %s: %w", base, err)
		}
	}
	return nil
}

// schemaVersion returns the highest applied migration.
func (c *catalog) schemaVersion(ctx context.Context) (int, error) {
	var v int
	err := c.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v)
	return v, err
}

// tx runs fn in a write transaction (BEGIN IMMEDIATE on the single writer
// connection) and commits it durably (synchronous=FULL: the WAL is synced
// before Commit returns) if fn returns nil.
func (c *catalog) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	return c.txSync(ctx, true, fn)
}

// txLazy is tx without the sync at commit (synchronous=NORMAL): the commit
// survives a process crash (it is in the WAL) but may be lost with power.
// The filing sequence uses it only for steps whose loss Recover repairs;
// the next durable commit syncs it anyway. See doc.go.
func (c *catalog) txLazy(ctx context.Context, fn func(*sql.Tx) error) error {
	return c.txSync(ctx, false, fn)
}

func (c *catalog) txSync(ctx context.Context, durable bool, fn func(*sql.Tx) error) error {
	if durable {
		// The connection's default is FULL.
		return c.run(ctx, c.w, fn)
	}
	conn, err := c.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA synchronous = NORMAL`); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA synchronous = FULL`)
	return c.run(ctx, conn, fn)
}

func (c *catalog) run(ctx context.Context, b interface {
	BeginTx(context.Context, *sql.TxOptions) (*sql.Tx, error)
}, fn func(*sql.Tx) error) error {
	tx, err := b.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// isUniqueViolation reports a UNIQUE or PRIMARY KEY constraint failure.
func isUniqueViolation(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey
	}
	return false
}

func nullString(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}

func nullInt(n int64) sql.NullInt64 {
	return sql.NullInt64{Int64: n, Valid: n != 0}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
