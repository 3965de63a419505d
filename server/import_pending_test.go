package server

import (
	"testing"
	"time"
)

// An import whose content storage does not confirm in time (MinIO paused)
// answers 202 with the filing id and its status URL, as an approval does,
// instead of 503; the filing is open while MinIO is paused and ends
// (filed with the record, or void) once it is back, without a restart.
func TestImportPendingWhileMinIOPaused(t *testing.T) {
	e, mio := newFaultEnv(t)
	resumed := mio.PauseFor(4 * faultStorageTimeout)
	start := time.Now()
	r := e.importAs(t, "archivist", "")
	if took := time.Since(start); took > answerWithin {
		t.Errorf("import answered after %s", took)
	}
	id, statusURL := jsonField(t, r.body, "filing_id"), jsonField(t, r.body, "status_url")
	if r.status != 202 || id == "" || statusURL != "/api/v1/filings/"+id || r.header.Get("Location") != statusURL ||
		r.header.Get("Retry-After") == "" {
		t.Fatalf("import while paused: %d Location %q Retry-After %q %s, want 202 with the status URL",
			r.status, r.header.Get("Location"), r.header.Get("Retry-After"), r.body)
	}
	if jsonField(t, r.body, "draft_id") != "" {
		t.Errorf("an import's 202 names a draft: %s", r.body)
	}
	f := e.do(t, "archivist", "GET", statusURL, nil)
	switch jsonField(t, f.body, "status") {
	case "allocated", "rendered", "signed":
	default:
		t.Errorf("filing while paused: %d %s, want an open filing", f.status, f.body)
	}
	if f.status != 200 || f.header.Get("Retry-After") == "" {
		t.Errorf("filing while paused: %d Retry-After %q", f.status, f.header.Get("Retry-After"))
	}
	if r := e.do(t, "other", "GET", statusURL, nil); r.status != 404 {
		t.Errorf("another unit sees the import's filing: %d %s", r.status, r.body)
	}
	if err := <-resumed; err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(convergeWithin)
	for {
		f = e.do(t, "archivist", "GET", statusURL, nil)
		status := jsonField(t, f.body, "status")
		if status == "filed" || status == "void" {
			t.Logf("import filing %s after the resume", status)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("import filing still %q %s after the resume", status, convergeWithin)
		}
		time.Sleep(200 * time.Millisecond)
	}
	rec := e.do(t, "archivist", "GET", "/api/v1/records/"+id, nil)
	if filed := jsonField(t, f.body, "status") == "filed"; filed != (rec.status == 200) {
		t.Errorf("filing says %s, record answers %d", jsonField(t, f.body, "status"), rec.status)
	}
}
