package server

import "testing"

// GET /api/v1/filings/{id} and approving twice, without faults: a filed
// draft approved again answers 200 with the same record (no new number);
// the filing says filed with the record; another unit and unknown ids
// get 404.
func TestFilingStatusAndApproveAgain(t *testing.T) {
	e := newEnv(t)
	ids := makeDrafts(t, e, 1)
	r := e.do(t, "approver", "POST", "/api/v1/drafts/"+ids[0]+"/approve", nil)
	if r.status != 201 {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}
	recID, code := jsonField(t, r.body, "id"), jsonField(t, r.body, "archive_code")
	again := e.do(t, "approver", "POST", "/api/v1/drafts/"+ids[0]+"/approve", nil)
	if again.status != 200 || jsonField(t, again.body, "id") != recID || jsonField(t, again.body, "archive_code") != code {
		t.Fatalf("approve again: %d %s, want 200 with record %s", again.status, again.body, recID)
	}
	if loc := again.header.Get("Location"); loc != "/api/v1/records/"+recID {
		t.Errorf("approve again: Location %q", loc)
	}
	f := e.do(t, "clerk", "GET", "/api/v1/filings/"+recID, nil)
	var body struct {
		ID, Status string
		DraftID    string `json:"draft_id"`
		Record     *struct {
			ID          string `json:"id"`
			ArchiveCode string `json:"archive_code"`
		}
	}
	f.json(t, &body)
	if f.status != 200 || body.ID != recID || body.Status != "filed" || body.DraftID != ids[0] || body.Record == nil || body.Record.ArchiveCode != code {
		t.Fatalf("filing: %d %s", f.status, f.body)
	}
	if f.header.Get("Retry-After") != "" {
		t.Errorf("a finished filing asks to retry")
	}
	for _, who := range []string{"other", "otherApprover"} {
		if r := e.do(t, who, "GET", "/api/v1/filings/"+recID, nil); r.status != 404 || r.errorCode(t) != "not_found" {
			t.Errorf("%s sees the filing: %d %s", who, r.status, r.body)
		}
	}
	if r := e.do(t, "clerk", "GET", "/api/v1/filings/nonsense", nil); r.status != 404 {
		t.Errorf("unknown filing: %d %s", r.status, r.body)
	}
	if r := e.do(t, "", "GET", "/api/v1/filings/"+recID, nil); r.status != 401 {
		t.Errorf("filing without a token: %d", r.status)
	}
}
