package server

import "testing"

// TestReplyAndSpotCheckRefusals: a reply before service, a reply dated
// before service, a spot-check of a year without replies, a spot-check id
// that is not one, a deadline list with a bad status.
func TestReplyAndSpotCheckRefusals(t *testing.T) {
	e := newCaseEnv(t)
	pf := example(t, e.reg, "talk-plan")
	pf["method"] = "函询"
	plan := e.approve(t, "approver", e.draft(t, "talk-plan", pf))
	lf := example(t, e.reg, "inquiry-letter")
	lf["plan_record_id"] = plan.ID
	letter := e.approve(t, "approver", e.draft(t, "inquiry-letter", lf))

	wantProblem(t, e.upload(t, letter.ID, "r.txt", []byte("回复"), "2026-09-24"), 409, "not_served", "")
	e.setDay(2026, 9, 30)
	if r := e.do(t, "clerk", "POST", "/api/v1/records/"+letter.ID+"/service", `{"served_on": "2026-09-29"}`); r.status != 201 {
		t.Fatalf("service: %d %s", r.status, r.body)
	}
	wantProblem(t, e.upload(t, letter.ID, "r.txt", []byte("回复"), "2026-09-28"), 422, "received_before_service", "received_on")
	wantProblem(t, e.upload(t, letter.ID, "r.txt", []byte("回复"), "2026-10-01"), 422, "received_in_future", "received_on")
	wantProblem(t, e.upload(t, letter.ID, "r.exe", []byte("MZ\x90\x00"), "2026-09-30"), 422, "unsupported_type", "file")
	wantProblem(t, e.upload(t, plan.ID, "r.txt", []byte("回复"), "2026-09-30"), 422, "not_a_letter", "id")
	if r := e.do(t, "other", "POST", "/api/v1/records/"+letter.ID+"/service", `{"served_on": "2026-09-30"}`); r.status != 404 {
		t.Errorf("another unit: %d", r.status)
	}

	wantProblem(t, e.do(t, "auditor", "POST", "/api/v1/spot-checks", `{"year": 2026, "seed": "组务会"}`), 422, "empty_population", "year")
	wantProblem(t, e.do(t, "auditor", "POST", "/api/v1/spot-checks", `{"year": 2026, "seed": ""}`), 422, "bad_seed", "seed")
	if r := e.do(t, "auditor", "GET", "/api/v1/spot-checks/"+letter.ID+"/verify", nil); r.status != 404 {
		t.Errorf("a letter as a spot-check: %d %s", r.status, r.body)
	}
	wantProblem(t, e.do(t, "clerk", "GET", "/api/v1/deadlines?status=late", nil), 422, "bad_status", "status")
	wantProblem(t, e.do(t, "clerk", "GET", "/api/v1/deadlines?as_of=2026-13-01", nil), 422, "bad_date", "as_of")
}
