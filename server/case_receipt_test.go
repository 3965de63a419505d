package server

import (
	"bytes"
	"mime/multipart"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestServiceWithReceipt: the multipart variant of service files the
// signed 送达回执 as a record; a bad file is refused before anything is
// recorded.
func TestServiceWithReceipt(t *testing.T) {
	e := newCaseEnv(t)
	pf := example(t, e.reg, "talk-plan")
	pf["method"] = "函询"
	plan := e.approve(t, "approver", e.draft(t, "talk-plan", pf))
	lf := example(t, e.reg, "inquiry-letter")
	lf["plan_record_id"] = plan.ID
	letter := e.approve(t, "approver", e.draft(t, "inquiry-letter", lf))
	post := func(name string, data []byte) *resp {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("served_on", "2026-09-24")
		fw, _ := mw.CreateFormFile("receipt", name)
		fw.Write(data)
		mw.Close()
		req := httptest.NewRequest("POST", "/api/v1/records/"+letter.ID+"/service", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+e.tokens["clerk"])
		return e.send(t, req)
	}
	wantProblem(t, post("回执.exe", []byte("MZ\x90\x00")), 422, "unsupported_type", "receipt")
	if l := e.deadlines(t, nil); len(l) != 0 {
		t.Fatalf("a refused receipt recorded the service: %+v", l)
	}
	r := post("回执.txt", []byte("送达回执 签收人：张建国 签收时间：2026年9月24日"))
	if r.status != 201 {
		t.Fatalf("service with receipt: %d %s", r.status, r.body)
	}
	var got struct {
		Deadline struct{ Due string }
		Receipt  struct {
			ID, Kind string
			Fields   map[string]any
		}
	}
	r.json(t, &got)
	if got.Deadline.Due == "" || got.Receipt.Kind != "送达回执" || got.Receipt.Fields["letter_record_id"] != letter.ID {
		t.Fatalf("service with receipt: %s", r.body)
	}
	if v := e.do(t, "auditor", "GET", "/api/v1/records/"+got.Receipt.ID+"/verify", nil); v.status != 200 || !strings.Contains(string(v.body), `"ok":true`) {
		t.Errorf("the receipt does not verify: %d %s", v.status, v.body)
	}
}
