package server

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// TestInquiryLoopJourney is issue 11's "done when", through the API on real
// MinIO: plan (head only) → letter (函 series) → service → deadline (15
// working days across 国庆) → open / overdue → scanned reply found by its
// OCR text → deadline done → report → spot-check of 21 replies.
func TestInquiryLoopJourney(t *testing.T) {
	e := newCaseEnv(t)
	const caseNo = "AJ-2026-007" // draftBody's case

	// The plan: another approver is refused, the head signs.
	pf := example(t, e.reg, "talk-plan")
	pf["method"] = "函询"
	planDraft := e.draft(t, "talk-plan", pf)
	wantProblem(t, e.do(t, "deputy", "POST", "/api/v1/drafts/"+planDraft+"/approve", nil), 403, "head_required", "")
	plan := e.approve(t, "approver", planDraft)

	// Refusals of the plan rule name the field.
	talkPlan := e.approve(t, "approver", e.draft(t, "talk-plan", example(t, e.reg, "talk-plan")))
	for _, tc := range []struct {
		name        string
		set         map[string]any
		code, field string
	}{
		{"wrong person", map[string]any{"person": map[string]any{"name": "李四"}}, "plan_person_mismatch", "fields.person"},
		{"wrong method", map[string]any{"plan_record_id": talkPlan.ID}, "plan_method_mismatch", "plan_record_id"},
	} {
		lf := example(t, e.reg, "inquiry-letter")
		lf["plan_record_id"] = plan.ID
		for k, v := range tc.set {
			lf[k] = v
		}
		r := e.do(t, "approver", "POST", "/api/v1/drafts/"+e.draft(t, "inquiry-letter", lf)+"/approve", nil)
		wantProblem(t, r, 409, tc.code, tc.field)
	}

	// The letter: 函 series.
	lf := example(t, e.reg, "inquiry-letter")
	lf["plan_record_id"] = plan.ID
	letter := e.approve(t, "approver", e.draft(t, "inquiry-letter", lf))
	if letter.DocNumber != "驻财纪函〔2026〕1号" {
		t.Fatalf("letter 文号 %q", letter.DocNumber)
	}

	// Service: refusals, then 2026-09-28; due the 15th working day after,
	// across 国庆 and the 10月10日 调休 workday.
	svc := "/api/v1/records/" + letter.ID + "/service"
	wantProblem(t, e.do(t, "clerk", "POST", svc, `{"served_on": "2026-09-23"}`), 422, "served_before_filing", "served_on")
	wantProblem(t, e.do(t, "clerk", "POST", svc, `{"served_on": "26-09-28"}`), 422, "bad_date", "served_on")
	wantProblem(t, e.do(t, "clerk", "POST", "/api/v1/records/"+plan.ID+"/service", `{"served_on": "2026-09-24"}`), 422, "not_a_letter", "id")
	if r := e.do(t, "other", "POST", svc, `{"served_on": "2026-09-24"}`); r.status != 404 {
		t.Errorf("another unit's clerk: %d %s", r.status, r.body)
	}
	e.setDay(2026, 9, 28)
	r := e.do(t, "clerk", "POST", svc, `{"served_on": "2026-09-28"}`)
	if r.status != 201 {
		t.Fatalf("service: %d %s", r.status, r.body)
	}
	var served struct {
		Deadline struct {
			ID, Kind, Due, Basis string
			Provisional          bool
		}
	}
	r.json(t, &served)
	if d := served.Deadline; d.ID == "" || d.Kind != "reply" || d.Due != "2026-10-23" || d.Provisional || !strings.Contains(d.Basis, "15个工作日") {
		t.Fatalf("deadline %+v", d)
	}
	wantProblem(t, e.do(t, "approver", "POST", svc, `{"served_on": "2026-09-28"}`), 409, "already_served", "served_on")

	// The ledger: open up to the due date, overdue after it.
	if l := e.deadlines(t, url.Values{"status": {"open"}, "as_of": {"2026-10-23"}}); len(l) != 1 || l[0].RecordID != letter.ID ||
		l[0].Person != "张建国" || l[0].CaseNo != caseNo || l[0].OnTime != nil {
		t.Fatalf("open: %+v", l)
	}
	if l := e.deadlines(t, url.Values{"status": {"overdue"}, "as_of": {"2026-10-26"}}); len(l) != 1 || l[0].Status != "overdue" {
		t.Fatalf("overdue: %+v", l)
	}
	if l := e.deadlines(t, url.Values{"status": {"open"}, "as_of": {"2026-10-26"}}); len(l) != 0 {
		t.Fatalf("open after the due date: %+v", l)
	}

	// The reply, a scan: filed, found by a phrase of its OCR text, and the
	// deadline is done, on time.
	e.setDay(2026, 10, 21)
	reply := e.upload(t, letter.ID, "回复.png", scannedReply(t), "2026-10-20")
	if reply.status != 201 {
		t.Fatalf("reply: %d %s", reply.status, reply.body)
	}
	var filed struct {
		Record   struct{ ID, Kind, MediaType string }
		Deadline struct {
			Status string
			OnTime *bool `json:"on_time"`
		}
	}
	reply.json(t, &filed)
	if filed.Record.Kind != "函询回复" || filed.Deadline.Status != "done" || filed.Deadline.OnTime == nil || !*filed.Deadline.OnTime {
		t.Fatalf("reply filed: %s", reply.body)
	}
	_, res := e.search(t, "clerk", url.Values{"q": {"以上情况属实"}})
	if res == nil || !contains(hitIDs(res), filed.Record.ID) {
		t.Fatalf("the scanned reply is not found by its OCR text: %+v", res)
	}
	if l := e.deadlines(t, url.Values{"status": {"done"}}); len(l) != 1 || l[0].OnTime == nil || !*l[0].OnTime {
		t.Fatalf("done: %+v", l)
	}
	wantProblem(t, e.upload(t, letter.ID, "again.txt", []byte("再次回复"), "2026-10-21"), 409, "already_replied", "")

	// The report cites the letter and the reply.
	rf := example(t, e.reg, "inquiry-report")
	rf["letter_record_id"], rf["letter_number"], rf["reply_record_id"] = letter.ID, letter.DocNumber, filed.Record.ID
	e.approve(t, "deputy", e.draft(t, "inquiry-report", rf))

	spotCheckOf21(t, e, plan.ID)
}

// spotCheckOf21 files 20 more replies (21 in all), draws twice with the
// same seed and verifies.
func spotCheckOf21(t *testing.T, e *caseEnv, planID string) {
	for i := 0; i < 20; i++ {
		lf := example(t, e.reg, "inquiry-letter")
		lf["plan_record_id"] = planID
		l := e.approve(t, "approver", e.draft(t, "inquiry-letter", lf))
		if r := e.do(t, "clerk", "POST", "/api/v1/records/"+l.ID+"/service", `{"served_on": "2026-10-21"}`); r.status != 201 {
			t.Fatalf("service %d: %d %s", i, r.status, r.body)
		}
		if r := e.upload(t, l.ID, "reply.txt", []byte(fmt.Sprintf("第%d份回复：以上情况属实。", i)), "2026-10-21"); r.status != 201 {
			t.Fatalf("reply %d: %d %s", i, r.status, r.body)
		}
	}
	body := `{"year": 2026, "seed": "2026年10月21日组务会抽取"}`
	wantProblem(t, e.do(t, "clerk", "POST", "/api/v1/spot-checks", body), 403, "forbidden_role", "")
	var first, second struct {
		ID         string   `json:"id"`
		Population int      `json:"population"`
		Sample     []string `json:"sample"`
	}
	r := e.do(t, "auditor", "POST", "/api/v1/spot-checks", body)
	if r.status != 201 {
		t.Fatalf("spot-check: %d %s", r.status, r.body)
	}
	r.json(t, &first)
	e.do(t, "approver", "POST", "/api/v1/spot-checks", body).json(t, &second)
	if first.Population != 21 || len(first.Sample) != 2 || strings.Join(first.Sample, ",") != strings.Join(second.Sample, ",") || first.ID == second.ID {
		t.Fatalf("draws %+v %+v", first, second)
	}
	var v struct {
		Matches             bool `json:"matches"`
		PopulationUnchanged bool `json:"population_unchanged"`
		SignatureOK         bool `json:"signature_ok"`
	}
	e.do(t, "auditor", "GET", "/api/v1/spot-checks/"+first.ID+"/verify", nil).json(t, &v)
	if !v.Matches || !v.PopulationUnchanged || !v.SignatureOK {
		t.Fatalf("verify %+v", v)
	}
	res := e.do(t, "auditor", "POST", "/api/v1/spot-checks/"+first.ID+"/results", map[string]any{"reply_id": first.Sample[0], "conclusion": "经核实，回复内容属实，予以采信。"})
	if res.status != 201 {
		t.Fatalf("result: %d %s", res.status, res.body)
	}
	wantProblem(t, e.do(t, "auditor", "POST", "/api/v1/spot-checks/"+first.ID+"/results", map[string]any{"reply_id": first.ID, "conclusion": "x"}),
		422, "not_in_sample", "reply_id")
}
