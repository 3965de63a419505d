package server

import (
	"testing"
	"time"

	"wenshu/archive"
	"wenshu/internal/testenv"
	"wenshu/templates"
)

// TestServeStartsWhileMinIODown: a server whose MinIO is down at start
// starts (archive.Options.StartWithoutStorage, as `wenshu serve` sets
// it): /healthz 200, /readyz 503, an approval and an import 503 with
// Retry-After and no number taken; once MinIO is back, /readyz turns 200 and the same
// approval files the draft with the year's first 档号, without a restart.
func TestServeStartsWhileMinIODown(t *testing.T) {
	mio := testenv.StartMinIO(t)
	if err := mio.Kill(); err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, mio, templates.Options{}, func(o *archive.Options) {
		o.StartWithoutStorage, o.StorageTimeout, o.RecoverInterval = true, faultStorageTimeout, faultRecoverEvery
	})
	if r := e.do(t, "", "GET", "/healthz", nil); r.status != 200 {
		t.Errorf("healthz while MinIO is down: %d %s", r.status, r.body)
	}
	if r := e.do(t, "", "GET", "/readyz", nil); r.status != 503 {
		t.Errorf("readyz while MinIO is down: %d %s", r.status, r.body)
	}
	ids := makeDrafts(t, e, 1)
	start := time.Now()
	r := e.do(t, "approver", "POST", "/api/v1/drafts/"+ids[0]+"/approve", nil)
	if r.status != 503 || r.header.Get("Retry-After") == "" || r.errorCode(t) != "storage_unavailable" || time.Since(start) > answerWithin {
		t.Fatalf("approve while MinIO is down: %d Retry-After %q in %s: %s", r.status, r.header.Get("Retry-After"), time.Since(start), r.body)
	}
	if d := e.do(t, "clerk", "GET", "/api/v1/drafts/"+ids[0], nil); jsonField(t, d.body, "status") != "draft" {
		t.Errorf("draft after the refused approval: %s", d.body)
	}
	if r := e.importAs(t, "archivist", ""); r.status != 503 || r.header.Get("Retry-After") == "" {
		t.Errorf("import while MinIO is down: %d %s", r.status, r.body)
	}

	if err := mio.Restart(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(convergeWithin)
	for {
		r := e.do(t, "", "GET", "/readyz", nil)
		if r.status == 200 {
			t.Logf("ready %s after MinIO came back", time.Until(deadline.Add(-convergeWithin)).Abs().Round(time.Millisecond))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz still %d %s after MinIO came back", r.status, r.body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	r = e.do(t, "approver", "POST", "/api/v1/drafts/"+ids[0]+"/approve", nil)
	if r.status != 201 {
		t.Fatalf("approve after MinIO came back: %d %s", r.status, r.body)
	}
	if code := jsonField(t, r.body, "archive_code"); len(code) < 4 || code[len(code)-4:] != "0001" {
		t.Errorf("档号 %q: the refused approval took a number", code)
	}
	v := e.do(t, "auditor", "GET", "/api/v1/records/"+jsonField(t, r.body, "id")+"/verify", nil)
	var verdict struct{ OK bool }
	v.json(t, &verdict)
	if v.status != 200 || !verdict.OK {
		t.Errorf("verify after MinIO came back: %d %s", v.status, v.body)
	}
}
