package audit_test

import (
	"bytes"
	"database/sql"
	"os"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"wenshu/audit"
	"wenshu/catalog"
	"wenshu/internal/testenv"
)

// sealedTrail is a trail whose events up to now are all in signed
// checkpoints, followed by an unsealed tail of four events.
func sealedTrail(t *testing.T) (*trailEnv, int64) {
	e := newTrailEnv(t)
	e.reads(12)
	if n := e.checkpoint(); n == 0 {
		t.Fatal("no checkpoint written")
	}
	sealed := e.head()
	e.reads(3)
	r := e.verify()
	if !r.OK || r.Sealed != sealed || r.Unsealed != 4 || r.Head != sealed+4 {
		t.Fatalf("untouched trail: %+v (sealed %d)", r, sealed)
	}
	return e, sealed
}

func TestVerifyPassesOnUntouchedTrail(t *testing.T) {
	e, sealed := sealedTrail(t)
	r := e.verify()
	if r.FirstBad != 0 || len(r.Findings) != 0 || r.Checkpoints < 2 || r.Events != sealed+4 {
		t.Fatalf("report %+v", r)
	}
	// The bucket alone verifies too.
	r, err := audit.Verify(e.ctx, nil, e.st.AuditSink())
	if err != nil || !r.OK || r.Sealed != sealed {
		t.Fatalf("bucket-only: %+v %v", r, err)
	}
}

// Each attack of issue 10 on the catalog file, with the triggers dropped
// first and recreated after, as an attacker with the file would.
func TestAttacksWithTriggersDropped(t *testing.T) {
	attacks := []struct {
		name string
		do   func(e *trailEnv, db *sql.DB, sealed int64) int64 // returns the seq verify must name
		kind string
	}{
		{"rewrite 未通过 to 通过 (sealed)", func(e *trailEnv, db *sql.DB, _ int64) int64 {
			s := e.seqOf("record.verify", "R2")
			e.exec(db, `UPDATE audit_events SET detail = '通过', outcome = 'ok' WHERE seq = ?`, s)
			return s
		}, audit.KindDiffersSigned},
		{"rewrite detail in the unsealed tail", func(e *trailEnv, db *sql.DB, sealed int64) int64 {
			e.exec(db, `UPDATE audit_events SET detail = '预览' WHERE seq = ?`, sealed+2)
			return sealed + 2
		}, audit.KindEdited},
		{"delete a record.read", func(e *trailEnv, db *sql.DB, _ int64) int64 {
			s := e.seqOf("record.read", "R5")
			e.exec(db, `DELETE FROM audit_events WHERE seq = ?`, s)
			return s
		}, audit.KindMissing},
		{"delete the sealed end of the trail", func(e *trailEnv, db *sql.DB, sealed int64) int64 {
			e.exec(db, `DELETE FROM audit_events WHERE seq >= ?`, sealed-1)
			return sealed - 1
		}, audit.KindMissing},
		{"insert an event by a made-up user, chained", func(e *trailEnv, db *sql.DB, _ int64) int64 {
			s := e.seqOf("record.read", "R7")
			e.exec(db, `UPDATE audit_events SET seq = -seq WHERE seq >= ?`, s)
			e.exec(db, `UPDATE audit_events SET seq = 1 - seq WHERE seq < 0`)
			e.exec(db, `INSERT INTO audit_events (seq, at, actor_id, actor_name, actor_role, action, record_id, detail, outcome, prev_hash, hash)
				VALUES (?, '2026-03-01T08:00:00.000Z', 999, '王某某', 'auditor', 'record.verify', 'R7', '通过', 'ok', '', '')`, s)
			e.rehash(db, s)
			return s
		}, audit.KindDiffersSigned},
		{"insert an event without a sequence number", func(e *trailEnv, db *sql.DB, _ int64) int64 {
			e.exec(db, `INSERT INTO audit_events (at, actor_id, actor_name, action, record_id, detail) VALUES ('2026-03-01T08:00:00.000Z', 999, '王某某', 'record.read', 'R1', '')`)
			return 0
		}, audit.KindUnsequenced},
		{"swap two events", func(e *trailEnv, db *sql.DB, _ int64) int64 {
			a, b := e.seqOf("record.read", "R3"), e.seqOf("record.read", "R9")
			e.exec(db, `UPDATE audit_events SET seq = -1 WHERE seq = ?`, a)
			e.exec(db, `UPDATE audit_events SET seq = ? WHERE seq = ?`, a, b)
			e.exec(db, `UPDATE audit_events SET seq = ? WHERE seq = -1`, b)
			return a
		}, audit.KindDiffersSigned},
		{"swap two events in the unsealed tail", func(e *trailEnv, db *sql.DB, sealed int64) int64 {
			e.exec(db, `UPDATE audit_events SET seq = -1 WHERE seq = ?`, sealed+1)
			e.exec(db, `UPDATE audit_events SET seq = ? WHERE seq = ?`, sealed+1, sealed+3)
			e.exec(db, `UPDATE audit_events SET seq = ? WHERE seq = -1`, sealed+3)
			return sealed + 1
		}, audit.KindEdited},
		{"swap two events and recompute every hash", func(e *trailEnv, db *sql.DB, _ int64) int64 {
			a, b := e.seqOf("record.read", "R3"), e.seqOf("record.read", "R9")
			e.exec(db, `UPDATE audit_events SET seq = -1 WHERE seq = ?`, a)
			e.exec(db, `UPDATE audit_events SET seq = ? WHERE seq = ?`, a, b)
			e.exec(db, `UPDATE audit_events SET seq = ? WHERE seq = -1`, b)
			e.rehash(db, a)
			return a
		}, audit.KindDiffersSigned},
		{"rewrite rows and recompute every later hash", func(e *trailEnv, db *sql.DB, _ int64) int64 {
			s := e.seqOf("record.verify", "R2")
			e.exec(db, `UPDATE audit_events SET detail = '通过', outcome = 'ok' WHERE seq = ?`, s)
			e.exec(db, `UPDATE audit_events SET actor_name = '某人' WHERE seq = ?`, s+3)
			e.rehash(db, s)
			return s
		}, audit.KindDiffersSigned},
	}
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			e, sealed := sealedTrail(t)
			db := e.attacker()
			e.exec(db, dropTriggers)
			want := a.do(e, db, sealed)
			e.exec(db, createTriggers)
			r := e.verify()
			if want == 0 {
				if r.OK || len(r.Findings) != 1 || r.Findings[0].Kind != a.kind {
					t.Fatalf("verify %+v, want one %s finding", r, a.kind)
				}
				return
			}
			wantFinding(t, r, want, a.kind)
			if strings.Contains(a.name, "recompute") {
				// The chain itself holds: only the signed segments catch it.
				for _, f := range r.Findings {
					if f.Kind != audit.KindDiffersSigned {
						t.Errorf("a consistently rehashed chain gave %+v", f)
					}
				}
			}
			// A tampered catalog is never sealed by the next checkpoint.
			cp := audit.NewCheckpointer(e.db(), e.st.AuditSink(), audit.CheckpointOptions{Logger: e.quiet})
			if _, err := cp.Flush(e.ctx); err == nil && want > sealed {
				t.Fatal("the checkpointer sealed a tampered tail")
			}
		})
	}
}

// With the triggers in place, updates and deletes are refused, but an
// attacker can still insert: every insert is found.
func TestAttacksWithTriggersInPlace(t *testing.T) {
	e, sealed := sealedTrail(t)
	db := e.attacker()
	for _, q := range []string{`UPDATE audit_events SET detail = '通过' WHERE action = 'record.verify'`, `DELETE FROM audit_events WHERE action = 'record.read'`} {
		if _, err := db.ExecContext(e.ctx, q); err == nil {
			t.Fatalf("%s passed the trigger", q)
		}
	}
	// A made-up user's event appended at the head, correctly chained.
	head, err := catalog.ChainHead(e.ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	fake := catalog.ChainedEvent{Seq: head.Seq + 1, Time: "2026-03-01T08:00:00.000Z", ActorID: 999, ActorName: "王某某", ActorRole: "auditor",
		Action: "record.verify", RecordID: "R2", Detail: "通过", Outcome: "ok", PrevHash: head.Hash}
	fake.Hash = fake.ComputeHash()
	e.exec(db, `INSERT INTO audit_events (seq, at, actor_id, actor_name, actor_role, action, record_id, detail, outcome, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, fake.Seq, fake.Time, fake.ActorID, fake.ActorName, fake.ActorRole, fake.Action,
		fake.RecordID, fake.Detail, fake.Outcome, fake.PrevHash, fake.Hash)
	wantFinding(t, e.verify(), fake.Seq, audit.KindUnknownActor)
	// And one with a sequence number already taken (after dropping the
	// unique index, which no trigger protects).
	e.exec(db, `DROP INDEX audit_seq`)
	e.exec(db, `INSERT INTO audit_events (seq, at, actor_id, actor_name, action, record_id, detail, outcome, prev_hash, hash)
		VALUES (?, '2026-03-01T08:00:00.000Z', 0, 'system', 'record.read', 'R4', '', 'ok', '', '')`, sealed-4)
	wantFinding(t, e.verify(), sealed-4, audit.KindDuplicate)
}

// The trail survives a lost catalog: restore puts back every sealed event,
// and the restored trail verifies.
func TestRestoreAfterLosingTheCatalog(t *testing.T) {
	e, sealed := sealedTrail(t)
	e.st.Close()
	for _, f := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(e.catalogPath() + f); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	e.open()
	if h := e.head(); h != 0 {
		t.Fatalf("a fresh catalog has head %d", h)
	}
	st, err := audit.Restore(e.ctx, e.db(), e.st.AuditSink())
	if err != nil || st.Restored != sealed || st.Head != sealed || len(st.Findings) != 0 {
		t.Fatalf("restore %+v %v, want %d events", st, err, sealed)
	}
	r := e.verify()
	if !r.OK || r.Head != sealed || r.Sealed != sealed || r.Unsealed != 0 {
		t.Fatalf("after restore: %+v", r)
	}
	// Restore again is a no-op; the trail goes on from the restored head.
	if st, err := audit.Restore(e.ctx, e.db(), e.st.AuditSink()); err != nil || st.Restored != 0 {
		t.Fatalf("second restore %+v %v", st, err)
	}
	e.record(audit.Event{Action: "catalog.rebuild", Detail: "after restore"})
	if n := e.checkpoint(); n != 1 {
		t.Fatalf("%d checkpoints after restore, want 1", n)
	}
	if r := e.verify(); !r.OK || r.Sealed != sealed+1 {
		t.Fatalf("after restore and a new event: %+v", r)
	}
}

// With the bucket's root credentials an attacker can stack a new version
// on a locked checkpoint and hide another behind a delete marker, but not
// remove the filed versions: verify reports the tampering and still
// compares the catalog with the filed segments.
func TestBucketTamperingIsReported(t *testing.T) {
	e, _ := sealedTrail(t)
	srv := testenv.MinIO(t)
	mc := srv.Client(t)
	var keys []string
	for oi := range mc.ListObjects(e.ctx, e.opts.Bucket, minio.ListObjectsOptions{Prefix: audit.Prefix, Recursive: true}) {
		keys = append(keys, oi.Key)
	}
	if len(keys) < 4 {
		t.Fatalf("audit objects %v", keys)
	}
	forged := []byte(`{"forged":true}`)
	if _, err := mc.PutObject(e.ctx, e.opts.Bucket, keys[1], bytes.NewReader(forged), int64(len(forged)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := mc.RemoveObject(e.ctx, e.opts.Bucket, keys[2], minio.RemoveObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	r := e.verify()
	var tampered []string
	for _, f := range r.Findings {
		if f.Kind != audit.KindBucketTampered {
			t.Errorf("finding %+v besides the tampering", f)
		}
		tampered = append(tampered, f.Detail)
	}
	if r.OK || len(tampered) != 2 || r.Sealed != e.head()-4 {
		t.Fatalf("verify after tampering: %+v", r)
	}
	// The filed versions still restore.
	if st, err := audit.Restore(e.ctx, e.db(), e.st.AuditSink()); err != nil || st.Restored != 0 {
		t.Fatalf("restore on an intact catalog: %+v %v", st, err)
	}
}
