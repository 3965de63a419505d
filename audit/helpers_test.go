package audit_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"wenshu/archive"
	"wenshu/audit"
	"wenshu/catalog"
	"wenshu/identity"
	"wenshu/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.RunWithMinIO(m)) }

// The archive's sink is what the audit package is built on.
var _ audit.Sink = (*archive.AuditSink)(nil)

// trailEnv is one test's archive on the shared MinIO (own bucket, own data
// directory) with two units, a clerk, an auditor and a trail of events.
type trailEnv struct {
	t       testing.TB
	ctx     context.Context
	opts    archive.Options
	st      *archive.Store
	unitA   *identity.Unit
	unitB   *identity.Unit
	clerk   *identity.User
	clerkB  *identity.User
	auditor *identity.User
	quiet   *slog.Logger
}

func newTrailEnv(t testing.TB) *trailEnv {
	t.Helper()
	srv := testenv.MinIO(t)
	e := &trailEnv{t: t, ctx: context.Background(), quiet: slog.New(slog.NewTextHandler(io.Discard, nil))}
	e.opts = archive.Options{DataDir: testenv.TempDataDir(t), S3Endpoint: srv.Endpoint, S3AccessKey: srv.AccessKey,
		S3SecretKey: srv.SecretKey, Bucket: srv.Bucket(t), Logger: e.quiet}
	e.open()
	var err error
	if e.unitA, err = e.st.Identity().AddUnit(e.ctx, identity.UnitInput{Name: "驻甲纪检监察组", Code: "驻甲纪", Fonds: "Z1", Org: "JA"}); err != nil {
		t.Fatal(err)
	}
	if e.unitB, err = e.st.Identity().AddUnit(e.ctx, identity.UnitInput{Name: "驻乙纪检监察组", Code: "驻乙纪", Fonds: "Z2", Org: "JB"}); err != nil {
		t.Fatal(err)
	}
	e.clerk = e.user("张承办", identity.RoleClerk, e.unitA)
	e.clerkB = e.user("李承办", identity.RoleClerk, e.unitB)
	e.auditor = e.user("孙审计", identity.RoleAuditor, e.unitA)
	return e
}

func (e *trailEnv) open() {
	e.t.Helper()
	st, err := archive.New(e.ctx, e.opts)
	if err != nil {
		e.t.Fatal(err)
	}
	e.st = st
	e.t.Cleanup(func() { st.Close() })
}

func (e *trailEnv) user(name string, role identity.Role, unit *identity.Unit) *identity.User {
	e.t.Helper()
	res, err := e.st.Identity().AddUser(e.ctx, identity.NewUser{Name: name, Role: role, Unit: unit.Name, Clearance: identity.ClearanceSecret})
	if err != nil {
		e.t.Fatal(err)
	}
	return res.User
}

func (e *trailEnv) db() *catalog.DB     { return e.st.AuditSink().Catalog() }
func (e *trailEnv) catalogPath() string { return filepath.Join(e.opts.DataDir, "catalog.db") }

// record appends events through a Recorder and waits for them.
func (e *trailEnv) record(events ...audit.Event) {
	e.t.Helper()
	r := audit.NewRecorder(e.db(), audit.RecorderOptions{Logger: e.quiet})
	for _, ev := range events {
		if err := r.Record(e.ctx, ev); err != nil {
			e.t.Fatal(err)
		}
	}
	if err := r.Close(e.ctx); err != nil {
		e.t.Fatal(err)
	}
}

// reads makes n events of the clerk reading records R1…Rn, and one failed
// verification of R2 by the auditor.
func (e *trailEnv) reads(n int) {
	e.t.Helper()
	var evs []audit.Event
	for i := 1; i <= n; i++ {
		evs = append(evs, audit.Event{ActorID: e.clerk.ID, ActorName: e.clerk.Name, Action: "record.read", RecordID: fmt.Sprintf("R%d", i), Detail: "下载正文"})
		if i == 2 {
			evs = append(evs, audit.Event{ActorID: e.auditor.ID, ActorName: e.auditor.Name, Action: "record.verify", RecordID: "R2", Detail: "未通过：sm3"})
		}
	}
	e.record(evs...)
}

// checkpoint writes every pending event into the bucket.
func (e *trailEnv) checkpoint() int {
	e.t.Helper()
	cp := audit.NewCheckpointer(e.db(), e.st.AuditSink(), audit.CheckpointOptions{Every: 10, MaxSegment: 8, Logger: e.quiet})
	n, err := cp.Flush(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *trailEnv) verify() *audit.Report {
	e.t.Helper()
	r, err := audit.Verify(e.ctx, e.db().Reader(), e.st.AuditSink())
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// attacker opens the catalog file as someone with the file would.
func (e *trailEnv) attacker() *sql.DB {
	e.t.Helper()
	db, err := sql.Open("sqlite3", "file:"+e.catalogPath()+"?_busy_timeout=10000")
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { db.Close() })
	return db
}

func (e *trailEnv) exec(db *sql.DB, q string, args ...any) {
	e.t.Helper()
	if _, err := db.ExecContext(e.ctx, q, args...); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
}

// seqOf returns the sequence number of the first event with action and record.
func (e *trailEnv) seqOf(action, record string) int64 {
	e.t.Helper()
	var s int64
	if err := e.db().Reader().QueryRowContext(e.ctx, `SELECT seq FROM audit_events WHERE action = ? AND record_id = ? ORDER BY seq LIMIT 1`,
		action, record).Scan(&s); err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *trailEnv) head() int64 {
	e.t.Helper()
	h, err := catalog.ChainHead(e.ctx, e.db().Reader())
	if err != nil {
		e.t.Fatal(err)
	}
	return h.Seq
}

// rehash recomputes hash and prev_hash of every event from seq on, as an
// attacker who knows the canonical form would.
func (e *trailEnv) rehash(db *sql.DB, from int64) {
	e.t.Helper()
	var evs []catalog.ChainedEvent
	prev := ""
	err := catalog.ScanChain(e.ctx, db, 1, func(ev catalog.ChainedEvent) error {
		if ev.Seq < from {
			prev = ev.Hash
			return nil
		}
		evs = append(evs, ev)
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, ev := range evs {
		ev.PrevHash = prev
		ev.Hash = ev.ComputeHash()
		e.exec(db, `UPDATE audit_events SET prev_hash = ?, hash = ? WHERE id = ?`, ev.PrevHash, ev.Hash, ev.RowID)
		prev = ev.Hash
	}
}

const dropTriggers = `DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;`

const createTriggers = `CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;`

func wantFinding(t testing.TB, r *audit.Report, seq int64, kind string) {
	t.Helper()
	if r.OK || r.FirstBad != seq || len(r.Findings) == 0 || r.Findings[0].Kind != kind {
		t.Fatalf("verify: ok=%v first bad %d, findings %+v; want first bad %d (%s)", r.OK, r.FirstBad, r.Findings, seq, kind)
	}
}
