package server

import (
	"strings"
	"testing"

	"wenshu/templates"
)

// table2027 is a plausible 2027 notice (test data, not the real one).
const table2027 = `{"2027": {"holidays": ["2027-01-01", "2027-01-02", "2027-01-03"], "workdays": []}}`

// TestHolidayTableWarningAndUpload: from 1 November a missing next-year
// table is a warning, a deadline into it is provisional; an admin's
// upload is validated, fixes both, and survives a restart.
func TestHolidayTableWarningAndUpload(t *testing.T) {
	e := newCaseEnv(t)
	e.setDay(2026, 10, 31)
	if w := e.store.Warnings(); len(w) != 0 {
		t.Fatalf("warnings in October: %+v", w)
	}
	e.setDay(2026, 12, 18)
	if r := e.do(t, "", "GET", "/readyz", nil); !strings.Contains(string(r.body), `"code":"holiday_table_missing"`) {
		t.Errorf("/readyz does not warn: %d %s", r.status, r.body)
	}
	r := e.do(t, "admin", "GET", "/api/v1/warnings", nil)
	if r.status != 200 || !strings.Contains(string(r.body), "holiday_table_missing") || !strings.Contains(string(r.body), "2027") {
		t.Fatalf("warnings: %d %s", r.status, r.body)
	}

	pf := example(t, e.reg, "talk-plan")
	pf["method"] = "函询"
	plan := e.approve(t, "approver", e.draft(t, "talk-plan", pf))
	lf := example(t, e.reg, "inquiry-letter")
	lf["plan_record_id"] = plan.ID
	letter := e.approve(t, "approver", e.draft(t, "inquiry-letter", lf))
	r = e.do(t, "clerk", "POST", "/api/v1/records/"+letter.ID+"/service", `{"served_on": "2026-12-18"}`)
	if r.status != 201 || !strings.Contains(string(r.body), `"provisional":true`) {
		t.Fatalf("service into 2027 without its table: %d %s", r.status, r.body)
	}

	bad := `{"2027": {"holidays": ["2027-13-01"], "workdays": []}}`
	if r := e.do(t, "admin", "POST", "/api/v1/holidays", bad); r.status != 422 || !strings.Contains(string(r.body), "2027.holidays[0]") {
		t.Errorf("bad table: %d %s", r.status, r.body)
	}
	if r := e.do(t, "clerk", "POST", "/api/v1/holidays", table2027); r.status != 403 {
		t.Errorf("clerk uploads: %d", r.status)
	}
	if r := e.do(t, "admin", "POST", "/api/v1/holidays", table2027); r.status != 201 {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	if r := e.do(t, "admin", "POST", "/api/v1/holidays", table2027); r.status != 422 || !strings.Contains(string(r.body), "year_exists") {
		t.Errorf("second upload: %d %s", r.status, r.body)
	}
	if w := e.store.Warnings(); len(w) != 0 {
		t.Errorf("warnings after the upload: %+v", w)
	}
	// The provisional deadline is counted again on the new table: Dec 21–25,
	// 28–31 (9), Jan 4–8 (14; 1–3 are off), Jan 11.
	if l := e.deadlines(t, nil); len(l) != 1 || l[0].Provisional || l[0].Due != "2027-01-11" {
		t.Errorf("deadline after the upload: %+v", l)
	}
	e.open(t, templates.Options{}) // a restart
	if !e.reg.Calendar().HasYear(2027) || len(e.store.Warnings()) != 0 {
		t.Fatal("the uploaded table did not survive a restart")
	}
}
