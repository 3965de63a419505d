package archive

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"wenshu/internal/testenv"
	"wenshu/problem"
)

// Fault tests (issue 9): each runs against its own MinIO (StartMinIO)
// and pauses (SIGSTOP) or kills it around filings and reads. Short
// deadlines keep them fast; production defaults are 5 s and 10 s.
const (
	faultStorageTimeout = 2 * time.Second
	faultRecoverEvery   = 2 * time.Second
	// faultSlack is what a call may take beyond its deadlines on a loaded
	// two-core machine.
	faultSlack = 3 * time.Second
)

// newFaultEnv is an env on a MinIO of the test's own, with short
// deadlines and background recovery.
func newFaultEnv(t *testing.T, mod ...func(*Options)) (*env, *testenv.MinIOServer) {
	t.Helper()
	mio := testenv.StartMinIO(t)
	mods := append([]func(*Options){func(o *Options) {
		o.StorageTimeout, o.RecoverInterval = faultStorageTimeout, faultRecoverEvery
	}}, mod...)
	return newEnvOn(t, mio, mods...), mio
}

// waitFiling polls Filing until it is no longer open, for at most within.
func waitFiling(t *testing.T, e *env, id string, within time.Duration) *FilingStatus {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		f, err := e.s.Filing(e.ctx, e.approver, id)
		if err != nil {
			t.Fatalf("filing %s: %v", id, err)
		}
		if !f.Open() {
			return f
		}
		if time.Now().After(deadline) {
			t.Fatalf("filing %s still %s after %s", id, f.Status, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// approvePending approves d and requires a *FilingPending within the
// given bound.
func approvePending(t *testing.T, e *env, d *Draft, within time.Duration) *FilingPending {
	t.Helper()
	start := time.Now()
	_, err := e.s.ApproveDraft(e.ctx, e.approver, d.ID)
	took := time.Since(start)
	var pending *FilingPending
	if !errors.As(err, &pending) {
		t.Fatalf("approve during the fault: %v (after %s), want a FilingPending", err, took)
	}
	if !errors.Is(err, problem.ErrUnavailable) {
		t.Errorf("FilingPending %v is not ErrUnavailable", err)
	}
	if took > within {
		t.Errorf("approve answered after %s, want within %s", took, within)
	}
	if pending.DraftID != d.ID || pending.FilingID == "" {
		t.Errorf("FilingPending %+v", pending)
	}
	t.Logf("approve during the fault: %s after %s", pending.Status, took)
	return pending
}

// MinIO paused during the content PUT: the approval answers FilingPending
// within the storage timeout, approving again returns the same filing
// (no second number), and after Resume the background recovery (no new
// Store, no explicit Recover) drives it to an end with every number
// accounted for and the bucket verifying.
func TestFaultPausedDuringApproval(t *testing.T) {
	e, mio := newFaultEnv(t)
	first := e.file("停机前的文书") // the chain has a predecessor
	d := e.draft(e.clerk, "notice", "存储暂停时签发")
	if err := mio.Pause(); err != nil {
		t.Fatal(err)
	}
	pending := approvePending(t, e, d, faultStorageTimeout+faultSlack)
	if got, _ := e.s.GetDraft(e.ctx, e.clerk, d.ID); got.Status != DraftFiling {
		t.Fatalf("draft is %s while its filing is pending", got.Status)
	}
	// A second approval (the clerk clicks again) is the same filing.
	start := time.Now()
	_, err := e.s.ApproveDraft(e.ctx, e.approver, d.ID)
	var again *FilingPending
	if !errors.As(err, &again) || again.FilingID != pending.FilingID {
		t.Fatalf("second approval: %v, want the same FilingPending %s", err, pending.FilingID)
	}
	if took := time.Since(start); took > faultSlack {
		t.Errorf("second approval took %s", took)
	}
	if n := e.count(`SELECT COUNT(*) FROM filings WHERE draft_id = ?`, d.ID); n != 1 {
		t.Fatalf("%d filings for one draft, want 1", n)
	}
	if err := mio.Resume(); err != nil {
		t.Fatal(err)
	}
	f := waitFiling(t, e, pending.FilingID, 2*faultRecoverEvery+2*faultStorageTimeout+faultSlack)
	t.Logf("after resume the filing is %s %s", f.Status, f.VoidReason)
	if f.Status == filingFiled && (f.Record == nil || f.Record.ChainSeq != first.ChainSeq+1) {
		t.Fatalf("filed filing without its record: %+v", f)
	}
	checkCrashInvariants(t, e, []string{first.DraftID, d.ID})
	// Approving once more: the record (filed) or a new filing (void).
	res, err := e.s.Approve(e.ctx, e.approver, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if (f.Status == filingFiled) != res.AlreadyFiled {
		t.Fatalf("approve after the end: %+v for a %s filing", res, f.Status)
	}
}

// MinIO killed between the content PUT and the manifest PUT: the approval
// answers FilingPending (signed) at once; after Restart on the same data
// the background recovery stores the manifest and the record is filed —
// without a new Store.
func TestFaultKilledDuringFiling(t *testing.T) {
	e, mio := newFaultEnv(t)
	d := e.draft(e.clerk, "notice", "存储崩溃时签发")
	var once sync.Once
	crashHook = func(p string) {
		if p == "content_stored" {
			once.Do(func() {
				if err := mio.Kill(); err != nil {
					t.Error(err)
				}
			})
		}
	}
	defer func() { crashHook = nil }()
	pending := approvePending(t, e, d, faultStorageTimeout+faultSlack)
	crashHook = nil
	if pending.Status != filingSigned {
		t.Fatalf("filing is %s after the content was stored, want signed", pending.Status)
	}
	time.Sleep(faultRecoverEvery) // recovery runs against the dead server meanwhile
	if err := mio.Restart(); err != nil {
		t.Fatal(err)
	}
	f := waitFiling(t, e, pending.FilingID, 2*faultRecoverEvery+2*faultStorageTimeout+faultSlack)
	if f.Status != filingFiled || f.Record == nil {
		t.Fatalf("after restart: %+v, want filed (a signed filing is never voided)", f)
	}
	checkCrashInvariants(t, e, []string{d.ID})
}

// A manifest whose PUT got no answer holds its chain position: the next
// filing waits for it (kicking recovery) instead of leaving a gap, and
// the bucket alone verifies at once.
func TestFaultManifestsStoredInChainOrder(t *testing.T) {
	e, mio := newFaultEnv(t, func(o *Options) { o.RecoverInterval = time.Hour }) // kicks only
	d1 := e.draft(e.clerk, "notice", "清单写入受阻")
	d2 := e.draft(e.clerk, "notice", "其后的文书")
	var once sync.Once
	crashHook = func(p string) {
		if p == "signed" {
			once.Do(func() {
				if err := mio.Pause(); err != nil {
					t.Error(err)
				}
			})
		}
	}
	defer func() { crashHook = nil }()
	pending := approvePending(t, e, d1, faultStorageTimeout+faultSlack)
	crashHook = nil
	if pending.Status != filingSigned {
		t.Fatalf("first filing is %s, want signed", pending.Status)
	}
	if err := mio.Resume(); err != nil {
		t.Fatal(err)
	}
	r2, err := e.s.ApproveDraft(e.ctx, e.approver, d2.ID)
	var p2 *FilingPending
	switch {
	case errors.As(err, &p2):
		// The kicked recovery had not stored the first manifest within
		// the second filing's wait: it is pending behind it.
		t.Logf("second filing pending behind the first: %s", p2.Status)
		f2 := waitFiling(t, e, p2.FilingID, 2*faultStorageTimeout+faultSlack)
		r2 = f2.Record
	case err != nil:
		t.Fatalf("second filing: %v", err)
	default:
		// Filed: so the first manifest is stored, and the bucket alone
		// holds a chain without a gap right now.
		bv, err := e.s.VerifyBucketOnly(e.ctx, nil, nil)
		if err != nil || !bv.OK || bv.Records != 2 {
			t.Fatalf("bucket-only verify right after the second filing: %+v %v", bv, err)
		}
	}
	f1 := waitFiling(t, e, pending.FilingID, faultStorageTimeout+faultSlack)
	if f1.Status != filingFiled || f1.Record.ChainSeq != 1 || r2 == nil || r2.ChainSeq != 2 {
		t.Fatalf("chain: first %+v, second %+v", f1, r2)
	}
	checkCrashInvariants(t, e, []string{d1.ID, d2.ID})
}

// Verification, download and bucket-only verification while MinIO is
// paused: unavailable within the deadline, never "missing", nothing
// 未通过 audited; after Resume the same record verifies.
func TestFaultVerifyWhileMinIOPaused(t *testing.T) {
	e, mio := newFaultEnv(t)
	rec := e.file("校验时存储暂停")
	if err := mio.Pause(); err != nil {
		t.Fatal(err)
	}
	bound := 2*faultStorageTimeout + faultSlack // the content and manifest reads run one after the other
	start := time.Now()
	v, err := e.s.Verify(e.ctx, e.auditor, rec.ID)
	if took := time.Since(start); took > bound {
		t.Errorf("verify answered after %s", took)
	}
	if err != nil || !v.Unavailable() || v.OK || len(v.Failed()) != 0 || !errors.Is(v.Err(), problem.ErrUnavailable) {
		t.Fatalf("verify during the pause: %+v %v, want unavailable", v, err)
	}
	for _, c := range v.Checks {
		if c.Status != VerifyUnavailable || strings.Contains(c.Detail, "不存在") {
			t.Errorf("check %+v during the pause", c)
		}
	}
	start = time.Now()
	_, err = e.s.RecordContent(e.ctx, e.auditor, rec.ID)
	if !errors.Is(err, problem.ErrUnavailable) || errors.Is(err, problem.ErrNotFound) || errors.Is(err, problem.ErrConflict) {
		t.Fatalf("content during the pause: %v, want unavailable", err)
	}
	if took := time.Since(start); took > faultStorageTimeout+faultSlack {
		t.Errorf("content answered after %s", took)
	}
	bv, err := e.s.VerifyBucketOnly(e.ctx, nil, nil)
	if bv != nil || !errors.Is(err, problem.ErrUnavailable) {
		t.Fatalf("bucket-only verify during the pause: %+v %v, want an outage error", bv, err)
	}
	if err := mio.Resume(); err != nil {
		t.Fatal(err)
	}
	v, err = e.s.Verify(e.ctx, e.auditor, rec.ID)
	if err != nil || !v.OK || v.Status != VerifyPassed {
		t.Fatalf("verify after resume: %+v %v", v, err)
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_events WHERE action = 'record.verify' AND detail LIKE '未通过%'`); n != 0 {
		t.Errorf("%d verifications audited as 未通过 for an outage", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_events WHERE action = 'record.verify' AND detail LIKE '不可用%'`); n != 1 {
		t.Errorf("%d verifications audited as 不可用, want 1", n)
	}
}

// isUnavailable on what minio-go returns for each fault, asked with a
// real client: a refused connection, a deadline, and a definite answer.
func TestFaultErrorClassification(t *testing.T) {
	e, mio := newFaultEnv(t)
	rec := e.file("分类")
	ctx := context.Background()
	_, err := e.s.getObject(ctx, e.s.bucket, rec.ContentKey+".none", "")
	if !isNoSuchObject(err) || isUnavailable(err) {
		t.Fatalf("missing key: %v", err)
	}
	if err := mio.Kill(); err != nil {
		t.Fatal(err)
	}
	_, err = e.s.getObject(ctx, e.s.bucket, rec.ContentKey, "")
	if !isUnavailable(err) || isNoSuchObject(err) {
		t.Fatalf("refused connection: %v", err)
	}
}

// A PUT is idempotent: the same bytes again (a retry whose first attempt
// was stored but unanswered) return the stored version; other bytes are
// a conflict, never a second version.
func TestPutLockedIsIdempotent(t *testing.T) {
	e := newEnv(t)
	until := time.Now().Add(24 * time.Hour)
	key := "records/2026/idempotent.json"
	v1, err := e.s.putLocked(e.ctx, e.s.bucket, key, []byte(`{"a":1}`), "application/json", until)
	if err != nil {
		t.Fatal(err)
	}
	v2, err := e.s.putLocked(e.ctx, e.s.bucket, key, []byte(`{"a":1}`), "application/json", until)
	if err != nil || v2 != v1 {
		t.Fatalf("same bytes again: %q %v, want version %q", v2, err, v1)
	}
	_, err = e.s.putLocked(e.ctx, e.s.bucket, key, []byte(`{"a":2}`), "application/json", until)
	wantErr(t, err, ErrConflict, "stored_object_differs")
	if vs, err := e.s.objectVersions(e.ctx, e.s.bucket, key); err != nil || len(vs) != 1 {
		t.Fatalf("versions: %d %v, want 1", len(vs), err)
	}
}

// The answers S3 gives that mean "not now" are unavailable; the ones
// that mean "no" are not.
func TestUnavailableCodes(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{minio.ErrorResponse{Code: "SlowDown", StatusCode: 503}, true},
		{minio.ErrorResponse{Code: "XMinioServerNotInitialized", StatusCode: 503}, true},
		{minio.ErrorResponse{Code: "InternalError", StatusCode: 500}, true},
		{minio.ErrorResponse{StatusCode: 502}, true},
		{minio.ErrorResponse{Code: "NoSuchKey", StatusCode: 404}, false},
		{minio.ErrorResponse{Code: "AccessDenied", StatusCode: 403}, false},
		{minio.ErrorResponse{Code: "PreconditionFailed", StatusCode: 412}, false},
		{context.DeadlineExceeded, true},
		{errors.New("some bug"), false},
	} {
		if got := isUnavailable(tc.err); got != tc.want {
			t.Errorf("isUnavailable(%v) = %v", tc.err, got)
		}
		if got := errors.Is(storageErr(tc.err), problem.ErrUnavailable); got != tc.want {
			t.Errorf("storageErr(%v) unavailable = %v", tc.err, got)
		}
	}
}
