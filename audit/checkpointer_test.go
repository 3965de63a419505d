package audit_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"wenshu/archive"
	"wenshu/audit"
	"wenshu/catalog"
	"wenshu/identity"
	"wenshu/internal/testenv"
)

// waitSealed waits until the catalog records a checkpoint at seq.
func waitSealed(t *testing.T, db *catalog.DB, seq int64, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		cp, err := catalog.LastAuditCheckpoint(context.Background(), db.Reader())
		if err != nil {
			t.Fatal(err)
		}
		if cp.LastSeq == seq {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s the last checkpoint is at %d, want %d", limit, cp.LastSeq, seq)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The background writer checkpoints after Interval even below Every; while
// MinIO does not answer its PUTs fail within their deadline, the events
// stay in the catalog, and once MinIO answers again they are all sealed.
func TestCheckpointerSurvivesAHangingBucket(t *testing.T) {
	mio := testenv.StartMinIO(t)
	e := &trailEnv{t: t, ctx: context.Background()}
	e.quiet = slog.New(slog.NewTextHandler(io.Discard, nil))
	e.opts = archive.Options{DataDir: testenv.TempDataDir(t), S3Endpoint: mio.Endpoint, S3AccessKey: mio.AccessKey,
		S3SecretKey: mio.SecretKey, Bucket: mio.Bucket(t), Logger: e.quiet}
	e.open()
	unit, err := e.st.Identity().AddUnit(e.ctx, identity.UnitInput{Name: "驻甲纪检监察组", Code: "驻甲纪", Fonds: "Z1", Org: "JA"})
	if err != nil {
		t.Fatal(err)
	}
	e.clerk = e.user("张承办", identity.RoleClerk, unit)
	e.auditor = e.user("孙审计", identity.RoleAuditor, unit)
	stop := audit.NewCheckpointer(e.db(), e.st.AuditSink(), audit.CheckpointOptions{Every: 1000, Interval: 200 * time.Millisecond,
		Poll: 50 * time.Millisecond, CallTimeout: time.Second, Logger: e.quiet}).Start()
	defer stop()
	waitSealed(t, e.db(), e.head(), 10*time.Second)

	if err := mio.Pause(); err != nil {
		t.Fatal(err)
	}
	e.reads(10)
	time.Sleep(2500 * time.Millisecond) // several polls, each PUT failing at its deadline
	cp, err := catalog.LastAuditCheckpoint(e.ctx, e.db().Reader())
	if err != nil || cp.LastSeq >= e.head() {
		t.Fatalf("sealed %d while MinIO hung (%v)", cp.LastSeq, err)
	}
	if err := mio.Resume(); err != nil {
		t.Fatal(err)
	}
	waitSealed(t, e.db(), e.head(), 30*time.Second)
	e.reads(1)
	stop() // writes the last checkpoint
	if r := e.verify(); !r.OK || r.Unsealed != 0 || r.Sealed != e.head() {
		t.Fatalf("after resume: %+v", r)
	}
}

func (e *trailEnv) auditObjects() int {
	e.t.Helper()
	n := 0
	err := e.st.AuditSink().ListVersions(e.ctx, audit.Prefix, func(string, string, bool, time.Time) error { n++; return nil })
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// A checkpoint stored before a crash (the catalog never recorded it) is
// found and adopted, not written again; two writers sealing at once leave
// a trail that verifies.
func TestCheckpointAdoptedAfterACrashAndTwoWriters(t *testing.T) {
	e := newTrailEnv(t)
	e.reads(5)
	e.checkpoint()
	objects := e.auditObjects()
	db := e.attacker()
	e.exec(db, `DELETE FROM audit_checkpoints`) // as if the process died after the PUTs
	if n := e.checkpoint(); n == 0 {
		t.Fatal("nothing adopted")
	}
	if got := e.auditObjects(); got != objects {
		t.Fatalf("%d audit objects after adopting, want %d (nothing written again)", got, objects)
	}
	cp, err := catalog.LastAuditCheckpoint(e.ctx, e.db().Reader())
	if err != nil || cp.LastSeq != e.head() {
		t.Fatalf("adopted up to %d (%v), head %d", cp.LastSeq, err, e.head())
	}

	e.reads(20)
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := audit.NewCheckpointer(e.db(), e.st.AuditSink(), audit.CheckpointOptions{MaxSegment: 7, Logger: e.quiet}).Flush(e.ctx)
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent flush: %v", err)
		}
	}
	if r := e.verify(); !r.OK || r.Sealed != e.head() {
		t.Fatalf("after two writers: %+v", r)
	}
}
