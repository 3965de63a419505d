package archive

import (
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
)

// shortRetention files D30 drafts (what env.file makes) with seconds of
// COMPLIANCE lock.
func shortRetention(d time.Duration) func(*Options) {
	return func(o *Options) {
		o.RetentionOverride = map[Retention]time.Duration{Retention30: d, Retention10: d}
		o.AllowRetentionOverride = true
	}
}

func TestRetentionOverrideNeedsTheTestFlag(t *testing.T) {
	e := newEnv(t)
	opts := e.opts
	opts.RetentionOverride = map[Retention]time.Duration{Retention30: time.Second}
	if _, err := New(e.ctx, opts); err == nil {
		t.Fatal("a retention override without AllowRetentionOverride was accepted")
	}
}

// A held object version cannot be deleted even after its retention has
// passed; lifting the hold makes it deletable.
func TestLegalHoldOutlivesRetention(t *testing.T) {
	e := newEnv(t, shortRetention(2*time.Second))
	r := e.file("关于某案的函询通知")
	_, err := e.s.PlaceLegalHold(e.ctx, e.clerk, r.ID, "案件复查")
	wantErr(t, err, ErrForbidden, "")
	_, err = e.s.PlaceLegalHold(e.ctx, e.archiv, r.ID, " ")
	wantErr(t, err, ErrInvalid, "bad_reason")
	h, err := e.s.PlaceLegalHold(e.ctx, e.auditor, r.ID, "案件复查，暂缓销毁")
	if err != nil {
		t.Fatal(err)
	}
	if h.Versions != 2 || !h.InForce() || h.PlacedBy.Name != e.auditor.Name {
		t.Fatalf("hold %+v", h)
	}
	_, err = e.s.PlaceLegalHold(e.ctx, e.archiv, r.ID, "再次保全")
	wantErr(t, err, ErrConflict, "legal_hold_exists")

	time.Sleep(time.Until(r.RetainUntil.Add(time.Second)))
	for _, o := range []struct{ key, ver string }{{r.ContentKey, r.ContentVersion}, {r.ManifestKey, r.ManifestVersion}} {
		err := e.s.s3.RemoveObject(e.ctx, e.s.bucket, o.key, minio.RemoveObjectOptions{VersionID: o.ver})
		if err == nil {
			t.Fatalf("a held version %s was deleted after its retention", o.key)
		}
	}
	lifted, err := e.s.LiftLegalHold(e.ctx, e.archiv, r.ID, "复查结束")
	if err != nil || lifted.InForce() {
		t.Fatalf("lift: %v %+v", err, lifted)
	}
	hs, err := e.s.LegalHolds(e.ctx, e.auditor, r.ID)
	if err != nil || len(hs) != 1 || hs[0].LiftReason != "复查结束" || hs[0].LiftedBy.Name != e.archiv.Name {
		t.Fatalf("holds %v %+v", err, hs)
	}
	events, _ := e.s.ListAudit(e.ctx, e.auditor, r.ID)
	var actions []string
	for _, ev := range events {
		actions = append(actions, ev.Action)
	}
	if !contains(actions, "record.legal_hold") || !contains(actions, "record.legal_hold_lift") {
		t.Fatalf("audit %v", actions)
	}
	if err := e.s.s3.RemoveObject(e.ctx, e.s.bucket, r.ContentKey, minio.RemoveObjectOptions{VersionID: r.ContentVersion}); err != nil {
		t.Fatalf("after lifting and expiry the version stays undeletable: %v", err)
	}
}
