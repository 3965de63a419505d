package archive

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"wenshu/identity"
	"wenshu/internal/testenv"
)

// waitKeptReport polls for the report kept at filing (it is computed in
// the background).
func waitKeptReport(t *testing.T, e *env, id string) *FourPropReport {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		rep, err := e.s.LatestFourPropReport(e.ctx, e.auditor, id)
		if err == nil {
			return rep
		}
		if time.Now().After(deadline) {
			t.Fatalf("no report kept at filing for %s: %v", id, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func fourPropsAtFiling(o *Options) { o.FourPropsAtFiling = true }

// A record filed is checked in the background and its report kept with
// it (stage 归档); a failed report at filing raises an alert.
func TestFourPropertiesKeptAtFiling(t *testing.T) {
	e := newEnv(t, fourPropsAtFiling)
	rec := e.file("归档即检测的通知")
	rep := waitKeptReport(t, e, rec.ID)
	if rep.Stage != StageFiling || rep.RecordID != rec.ID || rep.Result != ResultPass || len(rep.Items) < 8 {
		t.Fatalf("kept report: %s %s %s %s", rep.Stage, rep.RecordID, rep.Result, failed(rep))
	}
	other := e.user("周外单位", identity.RoleAuditor, "中共某某省纪委监委驻省其他厅纪检监察组", identity.ClearanceConfidential)
	if _, err := e.s.LatestFourPropReport(e.ctx, other, rec.ID); err == nil {
		t.Error("another unit reads the kept report")
	}
	// A report at filing with a failed item is alerted and audited: the
	// catalog row points at a version put with the root credentials.
	forged := []byte("伪造的正文")
	info, err := e.srv.Client(t).PutObject(e.ctx, e.s.Bucket(), rec.ContentKey, bytes.NewReader(forged), int64(len(forged)), minio.PutObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	attack(t, attackerDB(t, e), `UPDATE records SET content_version = ? WHERE id = ?`, info.VersionID, rec.ID)
	got, err := e.s.checkAtFiling(e.ctx, rec.ID)
	if err != nil || got.Result != ResultFail {
		t.Fatalf("check with a bad digest: %v %+v", err, got)
	}
	if !anyContains(auditDetails(t, e, "alert.four_properties"), "归档四性检测未通过") || !hasAlert(e.s, AlertFourProperties, rec.ID) {
		t.Errorf("no four-properties alert: %v %v", auditDetails(t, e, "alert.four_properties"), e.s.Alerts())
	}
	if latest := waitKeptReport(t, e, rec.ID); latest.Result != ResultFail {
		t.Errorf("latest kept report %s, want fail", latest.Result)
	}
}

func hasAlert(s *Store, kind, record string) bool {
	for _, a := range s.Alerts() {
		if a.Kind == kind && a.RecordID == record {
			return true
		}
	}
	return false
}

// The fixity re-scan passes intact records, names a record whose catalog
// was pointed at a version put with the root credentials, and alerts it.
func TestFixityScanFindsTampering(t *testing.T) {
	e := newEnv(t)
	intact, forgedRec := e.file("完好的通知"), e.file("被改指向的通知")
	rep, err := e.s.FixityScan(e.ctx)
	if err != nil || !rep.Complete || rep.Records != 2 || rep.Passed != 2 {
		t.Fatalf("clean scan: %v %+v", err, rep)
	}
	forged := []byte("伪造的正文")
	info, err := e.srv.Client(t).PutObject(e.ctx, e.s.Bucket(), forgedRec.ContentKey, bytes.NewReader(forged), int64(len(forged)), minio.PutObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	attack(t, attackerDB(t, e), `UPDATE records SET content_version = ?, sm3 = ?, sha256 = ?, content_size = ? WHERE id = ?`,
		info.VersionID, sm3Hex(forged), sha256Hex(forged), len(forged), forgedRec.ID)
	rep, err = e.s.FixityScan(e.ctx)
	if err != nil || rep.Passed != 1 || len(rep.Failed) != 1 || rep.Failed[0] != forgedRec.ID || len(rep.Unavailable) != 0 {
		t.Fatalf("scan after tampering: %v %+v", err, rep)
	}
	if !hasAlert(e.s, AlertFixity, forgedRec.ID) || hasAlert(e.s, AlertFixity, intact.ID) {
		t.Errorf("alerts: %+v", e.s.Alerts())
	}
	if !anyContains(auditDetails(t, e, "alert.fixity"), forgedRec.ID) && !anyContains(auditDetails(t, e, "alert.fixity"), "目录记载的正文版本") {
		t.Errorf("audit: %v", auditDetails(t, e, "alert.fixity"))
	}
}

// With MinIO down the scan reports the records unavailable, not failed.
func TestFixityScanOutageIsUnavailable(t *testing.T) {
	srv := testenv.StartMinIO(t)
	e := newEnvOn(t, srv)
	rec := e.file("存储中断时复检")
	e.s.trust.cache.reset()
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(e.ctx, 20*time.Second)
	defer cancel()
	rep, err := e.s.FixityScan(ctx)
	if err != nil || len(rep.Failed) != 0 || len(rep.Unavailable) != 1 || rep.Unavailable[0] != rec.ID {
		t.Fatalf("scan with MinIO down: %v %+v", err, rep)
	}
	if hasAlert(e.s, AlertTamper, rec.ID) || hasAlert(e.s, AlertFixity, rec.ID) {
		t.Errorf("failure alerts for an outage: %+v", e.s.Alerts())
	}
	if !anyContains(auditDetails(t, e, "alert.fixity"), "暂无法读取") {
		t.Errorf("no unavailable alert: %v", auditDetails(t, e, "alert.fixity"))
	}
}
