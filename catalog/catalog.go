package catalog

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
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

// DB is an open catalog: one writer connection and a pool of readers.
type DB struct {
	w *sql.DB // single writer connection
	r *sql.DB // readers
}

// Open opens (or creates) the catalog file at path and applies the
// embedded migrations. File modes are OpenLogged's, logged to
// slog.Default().
func Open(ctx context.Context, path string) (*DB, error) {
	return OpenLogged(ctx, path, slog.Default())
}

// OpenLogged is Open logging to log. The catalog holds every field of
// every record and the password hashes, so only the server's own account
// may read it: the file is created 0600 (SQLite gives its -wal and -shm
// the same mode) in a directory kept 0700, and an existing file or
// directory open to group or others is tightened, with a warning.
func OpenLogged(ctx context.Context, path string, log *slog.Logger) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if err := secureFiles(abs, log); err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
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
	d := &DB{w: w}
	if err := d.migrate(ctx); err != nil {
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
	d.r = r
	return d, nil
}

// Modes of the catalog's directory and files.
const (
	dirMode  fs.FileMode = 0o700
	fileMode fs.FileMode = 0o600
)

// secureFiles makes the catalog's directory and files private before
// SQLite opens them: the directory is created 0700 or tightened to it, the
// database file is created empty at 0600 (SQLite creates its -wal, -shm
// and -journal with the database file's mode), and any of them open to
// group or others is chmod-ed back, with a warning that names it.
func secureFiles(abs string, log *slog.Logger) error {
	dir := filepath.Dir(abs)
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return err
	}
	if st, err := os.Stat(dir); err != nil {
		return err
	} else if st.Mode()&fs.ModeSticky != 0 {
		// A shared directory such as /tmp is not ours to close.
		log.Warn("catalog: the catalog's directory is shared (sticky); keep the catalog in a directory of its own", "dir", dir)
	} else if err := tighten(dir, dirMode, log); err != nil {
		return err
	}
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE|os.O_EXCL, fileMode)
	switch {
	case err == nil:
		if err := f.Close(); err != nil {
			return err
		}
	case !errors.Is(err, fs.ErrExist):
		return err
	}
	for _, p := range []string{abs, abs + "-wal", abs + "-shm", abs + "-journal"} {
		if err := tighten(p, fileMode, log); err != nil {
			return err
		}
	}
	return nil
}

// tighten is TightenMode for the catalog's own files.
func tighten(path string, mode fs.FileMode, log *slog.Logger) error {
	return TightenMode(path, mode, log, "catalog: tightened file mode")
}

// TightenMode chmods path to mode if it grants group or others anything
// (a missing path is fine) and logs msg with the old and new modes. The
// archive's key files use it too.
func TightenMode(path string, mode fs.FileMode, log *slog.Logger, msg string) error {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if st.Mode().Perm()&0o077 == 0 {
		return nil
	}
	if err := os.Chmod(path, mode); err != nil {
		return err
	}
	log.Warn(msg, "path", path, "was", st.Mode().Perm().String(), "now", mode.String())
	return nil
}

// Close closes both pools.
func (d *DB) Close() error {
	var errs []error
	if d.r != nil {
		errs = append(errs, d.r.Close())
	}
	if d.w != nil {
		errs = append(errs, d.w.Close())
	}
	return errors.Join(errs...)
}

// Reader is the read-only pool, for queries outside a write transaction.
func (d *DB) Reader() *sql.DB { return d.r }

// migrate applies the embedded migrations/NNNN_name.sql files in order, each
// in its own transaction together with its schema_version row.
func (d *DB) migrate(ctx context.Context) error {
	if _, err := d.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("schema_version: %w", err)
	}
	var current int
	if err := d.w.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
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
		if err := d.applyMigration(ctx, f, n); err != nil {
			return fmt.Errorf("migration %s: %w", base, err)
		}
	}
	return nil
}

func (d *DB) applyMigration(ctx context.Context, file string, version int) error {
	body, err := migrationFS.ReadFile(file)
	if err != nil {
		return err
	}
	return run(ctx, d.w, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return err
		}
		if step := goMigrations[version]; step != nil {
			if err := step(ctx, tx); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)`,
			version, filepath.Base(file), FormatTime(time.Now()))
		return err
	})
}

// SchemaVersion returns the highest applied migration.
func (d *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := d.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v)
	return v, err
}

// Tx runs fn in a write transaction (BEGIN IMMEDIATE on the single writer
// connection) and commits it durably (synchronous=FULL: the WAL is synced
// before Commit returns) if fn returns nil.
func (d *DB) Tx(ctx context.Context, fn func(*sql.Tx) error) error {
	// The connection's default is FULL (see Open and TxLazy).
	return run(ctx, d.w, fn)
}

// TxLazy is Tx without the sync at commit (synchronous=NORMAL): the commit
// survives a process crash (it is in the WAL) but may be lost with power.
// Callers use it only for steps whose loss they repair; the next durable
// commit syncs it anyway.
//
// The connection goes back to FULL afterwards. If that reset fails, the
// connection is discarded (the pool opens a fresh one, FULL from its DSN),
// so no later Tx can run on a connection left on NORMAL.
func (d *DB) TxLazy(ctx context.Context, fn func(*sql.Tx) error) error {
	conn, err := d.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA synchronous = NORMAL`); err != nil {
		return err
	}
	txErr := run(ctx, conn, fn)
	if err := resetSynchronous(context.WithoutCancel(ctx), conn); err != nil {
		// driver.ErrBadConn from Raw makes database/sql close the
		// connection instead of returning it to the pool.
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	return txErr
}

// resetSynchronous puts a writer connection back on FULL. A variable so a
// test can make it fail.
var resetSynchronous = func(ctx context.Context, conn *sql.Conn) error {
	_, err := conn.ExecContext(ctx, `PRAGMA synchronous = FULL`)
	return err
}

func run(ctx context.Context, b interface {
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

// IsUniqueViolation reports a UNIQUE or PRIMARY KEY constraint failure.
func IsUniqueViolation(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey
	}
	return false
}

// QueryRower is what a single-row lookup needs: a *sql.DB (Reader) or a
// *sql.Tx.
type QueryRower interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}
