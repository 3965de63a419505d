package archive

import (
	"database/sql"
	"testing"
	"time"
)

// Expiry to an approved 销毁清册: appraisal before expiry is refused, a
// held record cannot go on the list, the list needs both approvals, and
// once executed the record's objects are gone while the 清册 (a
// permanent record) and the chain across the gap verify.
func TestDisposalNeedsTwoApprovals(t *testing.T) {
	e := newEnv(t, shortRetention(3*time.Second))
	gone, held, kept := e.file("关于某次会议的通知"), e.file("关于某案的函询通知书"), e.file("关于续存事项的通知")
	_, err := e.s.Appraise(e.ctx, e.archiv, gone.ID, AppraisalInput{Decision: AppraiseDispose, Reason: "期满"})
	wantErr(t, err, ErrConflict, "not_expired")
	time.Sleep(time.Until(kept.RetainUntil.Add(time.Second)))

	exp, err := e.s.ExpiredRecords(e.ctx, e.archiv)
	if err != nil || len(exp) != 3 {
		t.Fatalf("expired: %v %d", err, len(exp))
	}
	if _, err := e.s.PlaceLegalHold(e.ctx, e.auditor, held.ID, "案件复查"); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*Record{gone, held} {
		if _, err := e.s.Appraise(e.ctx, e.archiv, r.ID, AppraisalInput{Decision: AppraiseDispose, Reason: "无继续保存价值"}); err != nil {
			t.Fatal(err)
		}
	}
	newUntil := time.Now().Add(time.Hour)
	if _, err := e.s.Appraise(e.ctx, e.archiv, kept.ID, AppraisalInput{Decision: AppraiseExtend, RetainUntil: newUntil, Reason: "仍有查考价值"}); err != nil {
		t.Fatal(err)
	}
	_, until, err := e.s.s3.GetObjectRetention(e.ctx, e.s.bucket, kept.ContentKey, kept.ContentVersion)
	if err != nil || until == nil || until.Before(newUntil.Add(-time.Second)) {
		t.Fatalf("extended lock: %v %v", err, until)
	}
	exp, _ = e.s.ExpiredRecords(e.ctx, e.archiv)
	if len(exp) != 2 || !(exp[0].Held || exp[1].Held) {
		t.Fatalf("expired after extension: %+v", exp)
	}

	_, err = e.s.ProposeDisposal(e.ctx, e.archiv, []string{gone.ID, held.ID})
	wantErr(t, err, ErrConflict, "legal_hold")
	_, err = e.s.ProposeDisposal(e.ctx, e.archiv, []string{kept.ID})
	wantErr(t, err, ErrConflict, "not_expired")
	l, err := e.s.ProposeDisposal(e.ctx, e.archiv, []string{gone.ID})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.s.ApproveDisposal(e.ctx, e.clerk, l.ID)
	wantErr(t, err, ErrForbidden, "")
	if l, err = e.s.ApproveDisposal(e.ctx, e.archiv, l.ID); err != nil || l.Status != disposalProposed {
		t.Fatalf("archivist approval: %v %+v", err, l)
	}
	_, err = e.s.ApproveDisposal(e.ctx, e.archiv, l.ID)
	wantErr(t, err, ErrConflict, "already_approved")
	_, err = e.s.ExecuteDisposal(e.ctx, e.archiv, l.ID)
	wantErr(t, err, ErrConflict, "disposal_not_approved")
	if l, err = e.s.ApproveDisposal(e.ctx, e.approver, l.ID); err != nil || l.Status != disposalApproved {
		t.Fatalf("head approval: %v %+v", err, l)
	}
	if l, err = e.s.ExecuteDisposal(e.ctx, e.archiv, l.ID); err != nil || l.Status != disposalDisposed || l.ListRecordID == "" {
		t.Fatalf("execute: %v %+v", err, l)
	}
	_, err = e.s.ExecuteDisposal(e.ctx, e.archiv, l.ID)
	wantErr(t, err, ErrConflict, "disposal_done")

	e.checkDisposed(gone, held, l)

	// A catalog rebuilt from the bucket still knows the disposed record
	// (from its 清册) and counts its numbers: no gap, no reuse.
	st, err := e.s.Rebuild(e.ctx, nil)
	if err != nil || !st.ChainOK || st.Records != 3 {
		t.Fatalf("rebuild: %v %+v", err, st)
	}
	if at, _ := e.s.disposedAt(e.ctx, gone.ID); at == "" {
		t.Fatal("rebuild forgot the disposal")
	}
	rep, err := e.s.RecordFourProperties(e.ctx, e.auditor, held.ID)
	if err != nil || rep.Result != ResultPass {
		t.Fatalf("four properties after rebuild: %v %s %s", err, rep.Result, failed(rep))
	}
	next := e.file("销毁后新归档的通知")
	if next.ItemNo != 4 {
		t.Fatalf("件号 after rebuild %d, want 4", next.ItemNo)
	}
	// A catalog edited to mark a live record disposed does not hide it:
	// the 清册 does not list it, so the read is refused as tampering.
	if err := e.s.cat.Tx(e.ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(e.ctx, `UPDATE records SET disposed_at = ?, disposal_list = ? WHERE id = ?`, "2026-01-01T00:00:00Z", l.ID, kept.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	_, err = e.s.GetRecord(e.ctx, e.archiv, kept.ID)
	wantErr(t, err, ErrConflict, "record_tampered")
}

func (e *env) checkDisposed(gone, held *Record, l *DisposalList) {
	t := e.t
	for _, key := range []string{gone.ContentKey, gone.ManifestKey} {
		if vs, err := e.s.objectVersions(e.ctx, e.s.bucket, key); err != nil || len(vs) != 0 {
			t.Fatalf("%s after disposal: %v %d versions", key, err, len(vs))
		}
	}
	if vs, err := e.s.objectVersions(e.ctx, e.s.bucket, held.ContentKey); err != nil || len(vs) != 1 {
		t.Fatalf("the held record did not survive its expiry: %v %d", err, len(vs))
	}
	if at, _ := e.s.disposedAt(e.ctx, gone.ID); at == "" {
		t.Fatal("the catalog row is not marked disposed")
	}
	list, err := e.s.GetRecord(e.ctx, e.auditor, l.ListRecordID)
	if err != nil || list.Kind != KindDisposalList || list.Retention != RetentionPermanent {
		t.Fatalf("清册 record: %v %+v", err, list)
	}
	entries, _ := list.Fields["disposed"].([]any)
	if len(entries) != 1 {
		t.Fatalf("清册 entries %v", list.Fields)
	}
	entry, _ := entries[0].(map[string]any)
	if entry["archive_code"] != gone.ArchiveCode || entry["manifest_sm3"] != gone.ManifestSM3 || entry["title"] != gone.Title {
		t.Fatalf("清册 entry %v", entry)
	}
	for _, r := range []*Record{list, held} { // held follows the disposed record in the chain
		v, err := e.s.Verify(e.ctx, e.auditor, r.ID)
		if err != nil || !v.OK {
			t.Fatalf("verify %s: %v %+v", r.Title, err, v)
		}
	}
	bv, err := e.s.VerifyBucketOnly(e.ctx, nil, nil)
	if err != nil || !bv.OK || bv.Passed != 3 {
		t.Fatalf("bucket-only after disposal: %v %+v", err, bv)
	}
	e.checkDisposedRecord(gone, l)
}

// checkDisposedRecord: the disposed record is still found, flagged 已销毁
// with its 清册, described by the 清册's entry; its content is gone (410)
// and its verification says disposed, not failed.
func (e *env) checkDisposedRecord(gone *Record, l *DisposalList) {
	t := e.t
	r, err := e.s.GetRecord(e.ctx, e.archiv, gone.ID)
	if err != nil || r.Disposal == nil || r.Disposal.ListID != l.ID || r.Disposal.ListRecordID != l.ListRecordID ||
		r.ArchiveCode != gone.ArchiveCode || r.Title != gone.Title || r.UnitID != gone.UnitID {
		t.Fatalf("disposed record: %v %+v", err, r)
	}
	_, err = e.s.RecordContent(e.ctx, e.archiv, gone.ID)
	wantErr(t, err, ErrGone, "record_disposed")
	v, err := e.s.Verify(e.ctx, e.auditor, gone.ID)
	if err != nil || !v.OK || v.Status != VerifyDisposed || len(v.Checks) != 1 || v.Disposal == nil || v.Disposal.ListID != l.ID {
		t.Fatalf("verify disposed: %v %+v", err, v)
	}
	_, err = e.s.PlaceLegalHold(e.ctx, e.auditor, gone.ID, "再查")
	wantErr(t, err, ErrConflict, "record_disposed")
	// Lists leave it out, with no tamper alert.
	list, err := e.s.ListRecords(e.ctx, e.archiv, RecordFilter{})
	if err != nil || len(list) != 3 {
		t.Fatalf("list after disposal: %v %d", err, len(list))
	}
	for _, r := range list {
		if r.ID == gone.ID {
			t.Error("a disposed record is listed")
		}
	}
	if tt, ok := t.(*testing.T); !ok || anyContains(auditDetails(tt, e, "alert.tamper"), gone.ID) {
		t.Errorf("tamper alert for a disposed record: %v", e.s.Alerts())
	}
}
