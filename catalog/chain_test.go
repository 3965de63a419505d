package catalog

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// openAtVersion makes a catalog file with the migrations up to version
// applied, as an older wenshu left it.
func openAtVersion(t *testing.T, path string, version int) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := fs.Glob(migrationFS, "migrations/*.sql")
	sort.Strings(files)
	if _, err := db.Exec(`CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for i, f := range files[:version] {
		body, _ := migrationFS.ReadFile(f)
		if _, err := db.Exec(string(body)); err != nil {
			t.Fatal(err)
		}
		db.Exec(`INSERT INTO schema_version VALUES (?, ?, 'then')`, i+1, filepath.Base(f))
	}
	return db
}

// An upgraded catalog has a valid chain over its old events, with their
// actors' roles and units and derived outcomes, and the triggers back.
func TestUpgradeBackfillsTheChain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "catalog.db")
	old := openAtVersion(t, path, 4)
	for _, q := range []string{
		`INSERT INTO units (id, name, code, fonds, org, created_at) VALUES (3, '甲', 'j', 'J', 'O', 'then')`,
		`INSERT INTO users (id, name, role, unit_id, clearance, created_at) VALUES (7, '张三', 'clerk', 3, '秘密', 'then')`,
		`INSERT INTO audit_events (at, actor_id, actor_name, action, detail) VALUES ('2025-01-02T03:04:05Z', 7, '张三', 'auth.login_failed', 'x')`,
		`INSERT INTO audit_events (at, actor_id, actor_name, action, record_id, detail) VALUES ('2025-01-02T03:04:06.000Z', 7, '张三', 'record.verify', 'R1', '未通过：sm3')`,
		`INSERT INTO audit_events (at, actor_name, action, detail) VALUES ('2025-01-02T03:04:07.000Z', 'system', 'unit.add', '甲')`,
	} {
		if _, err := old.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	old.Close()
	d, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var got []string
	prev := ""
	err = ScanChain(context.Background(), d.Reader(), 1, func(e ChainedEvent) error {
		if e.PrevHash != prev || e.ComputeHash() != e.Hash || e.Hash == "" {
			return fmt.Errorf("seq %d not chained", e.Seq)
		}
		prev = e.Hash
		got = append(got, fmt.Sprintf("%d %s %s/%d %s %s", e.Seq, e.Time, e.ActorRole, e.ActorUnitID, e.Action, e.Outcome))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"1 2025-01-02T03:04:05.000Z clerk/3 auth.login_failed failed",
		"2 2025-01-02T03:04:06.000Z clerk/3 record.verify failed",
		"3 2025-01-02T03:04:07.000Z /0 unit.add ok",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("backfilled:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := d.w.Exec(`UPDATE audit_events SET detail = 'x'`); err == nil {
		t.Fatal("the append-only trigger is not back after the upgrade")
	}
	// New events chain on from the backfilled head.
	err = d.Tx(context.Background(), func(tx *sql.Tx) error {
		return AppendAudit(context.Background(), tx, AuditEntry{At: time.Now(), ActorID: 7, ActorName: "张三", Action: "record.read", RecordID: "R1"})
	})
	if err != nil {
		t.Fatal(err)
	}
	head, err := ChainHead(context.Background(), d.Reader())
	if err != nil || head.Seq != 4 {
		t.Fatalf("head %+v %v", head, err)
	}
}

// The canonical line is what the doc says, and parses back to itself.
func TestCanonicalEventLine(t *testing.T) {
	e := ChainedEvent{Seq: 2, Time: "2026-03-05T01:02:03.004Z", ActorID: 7, ActorName: "张三", ActorRole: "clerk", ActorUnitID: 3,
		Action: "record.read", RecordID: "R1", Detail: "<下载> & \"正文\"", Outcome: "ok", UnitID: 3, PrevHash: "ab"}
	want := `{"action":"record.read","actor":{"id":7,"name":"张三","role":"clerk","unit":3},"detail":"<下载> & \"正文\"",` +
		`"outcome":"ok","prev_hash":"ab","seq":2,"target":{"draft":"","record":"R1","user":0},"time":"2026-03-05T01:02:03.004Z","unit":3}`
	if got := string(e.Canonical()); got != want {
		t.Fatalf("canonical\n%s\nwant\n%s", got, want)
	}
	back, err := ParseCanonicalEvent([]byte(want))
	if err != nil || back.Hash != e.ComputeHash() || back.Detail != e.Detail || back.UnitID != 3 {
		t.Fatalf("parsed %+v %v", back, err)
	}
	for _, bad := range []string{
		strings.Replace(want, `"unit":3}`, `"unit":3,"x":1}`, 1),
		strings.Replace(want, `{"action"`, `{ "action"`, 1),
		`{"seq":2}`,
	} {
		if _, err := ParseCanonicalEvent([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}
