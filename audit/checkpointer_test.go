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
