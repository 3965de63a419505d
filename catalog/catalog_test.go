package catalog

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func open(t *testing.T) *DB {
	t.Helper()
	d, err := Open(context.Background(), filepath.Join(t.TempDir(), "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// writerSynchronous reads PRAGMA synchronous on the writer connection
// (2 = FULL, 1 = NORMAL).
func writerSynchronous(t *testing.T, d *DB) int {
	t.Helper()
	var v int
	if err := d.w.QueryRowContext(context.Background(), `PRAGMA synchronous`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestMigrationsAndReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "catalog.db")
	d, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	files, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("migrations %v %v", files, err)
	}
	// Every migration is applied: the version is the highest file number
	// (numbers may leave gaps for work merged in parallel).
	highest := 0
	for _, f := range files {
		n, err := strconv.Atoi(strings.SplitN(filepath.Base(f), "_", 2)[0])
		if err != nil {
			t.Fatalf("migration %s: %v", f, err)
		}
		highest = max(highest, n)
	}
	v, err := d.SchemaVersion(ctx)
	if err != nil || v != highest {
		t.Fatalf("schema version %d (%v), want %d", v, err, highest)
	}
	d.Close()
	d, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if again, err := d.SchemaVersion(ctx); err != nil || again != v {
		t.Fatalf("reopened at version %d (%v), want %d", again, err, v)
	}
	if _, err := d.Reader().ExecContext(ctx, `INSERT INTO units (name, code, fonds, org, placeholder, created_at) VALUES ('x', 'x', 'x', '', 0, 'now')`); err == nil {
		t.Error("the reader pool accepted a write")
	}
}

func TestTxLazyLeavesWriterOnFull(t *testing.T) {
	d := open(t)
	ctx := context.Background()
	if got := writerSynchronous(t, d); got != 2 {
		t.Fatalf("writer starts at synchronous=%d, want 2 (FULL)", got)
	}
	var inside int
	err := d.TxLazy(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&inside)
	})
	if err != nil || inside != 1 {
		t.Fatalf("inside TxLazy synchronous=%d (%v), want 1 (NORMAL)", inside, err)
	}
	if got := writerSynchronous(t, d); got != 2 {
		t.Fatalf("after TxLazy synchronous=%d, want 2 (FULL)", got)
	}
	// A failing fn rolls back and still restores FULL.
	boom := errors.New("boom")
	if err := d.TxLazy(ctx, func(*sql.Tx) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("TxLazy returned %v, want fn's error", err)
	}
	if got := writerSynchronous(t, d); got != 2 {
		t.Fatalf("after a failed TxLazy synchronous=%d, want 2", got)
	}
}

// If putting the connection back on FULL fails, the connection must not
// serve the next durable transaction.
func TestTxLazyDiscardsConnectionWhenResetFails(t *testing.T) {
	d := open(t)
	ctx := context.Background()
	orig := resetSynchronous
	resetSynchronous = func(context.Context, *sql.Conn) error { return errors.New("injected reset failure") }
	defer func() { resetSynchronous = orig }()
	err := d.TxLazy(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO units (name, code, fonds, org, placeholder, created_at) VALUES ('甲', 'j', 'J1', '', 0, ?)`,
			FormatTime(time.Now()))
		return err
	})
	if err != nil {
		t.Fatalf("the commit succeeded, TxLazy returned %v", err)
	}
	resetSynchronous = orig
	if got := writerSynchronous(t, d); got != 2 {
		t.Fatalf("after a failed reset the writer is on synchronous=%d, want 2 (a fresh FULL connection)", got)
	}
	var n int
	if err := d.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM units WHERE name = '甲'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("committed row: %d, %v", n, err)
	}
}

func TestAuditIsAppendOnly(t *testing.T) {
	d := open(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 5, 1, 2, 3, 4_000_000, time.UTC)
	err := d.Tx(ctx, func(tx *sql.Tx) error {
		if err := AppendAudit(ctx, tx, AuditEntry{At: at, Action: "test.system"}); err != nil {
			return err
		}
		return AppendAudit(ctx, tx, AuditEntry{At: at, ActorID: 7, ActorName: "张三", Action: "test.user", DraftID: "D1", Detail: "d"})
	})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := d.Reader().QueryContext(ctx, `SELECT at, actor_id, actor_name, action, draft_id FROM audit_events ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var when, name, action string
		var actor sql.NullInt64
		var draft sql.NullString
		if err := rows.Scan(&when, &actor, &name, &action, &draft); err != nil {
			t.Fatal(err)
		}
		if !ParseTime(when).Equal(at) {
			t.Errorf("at = %s, want %s", when, FormatTime(at))
		}
		got = append(got, name+"/"+action+"/"+draft.String)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != "system/test.system/" || got[1] != "张三/test.user/D1" {
		t.Fatalf("events %v", got)
	}
	for _, q := range []string{`UPDATE audit_events SET detail = 'x'`, `DELETE FROM audit_events`} {
		if err := d.Tx(ctx, func(tx *sql.Tx) error { _, err := tx.ExecContext(ctx, q); return err }); err == nil {
			t.Errorf("%s succeeded on the audit table", q)
		}
	}
}

func TestIsUniqueViolation(t *testing.T) {
	d := open(t)
	ctx := context.Background()
	ins := func() error {
		return d.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO units (name, code, fonds, org, placeholder, created_at) VALUES ('乙', 'y', 'Y1', '', 0, 'now')`)
			return err
		})
	}
	if err := ins(); err != nil {
		t.Fatal(err)
	}
	if err := ins(); !IsUniqueViolation(err) {
		t.Fatalf("second insert: %v, want a unique violation", err)
	}
	if IsUniqueViolation(errors.New("other")) {
		t.Error("a plain error counts as a unique violation")
	}
}
