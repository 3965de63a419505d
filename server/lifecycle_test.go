package server

import (
	"strings"
	"testing"
	"time"

	"wenshu/archive"
	"wenshu/templates"
)

func TestLegalHoldAndFourPropertiesAPI(t *testing.T) {
	e := newEnv(t)
	_, id := fileBoth(t, e)
	hold := "/api/v1/records/" + id + "/legal-hold"
	if r := e.do(t, "clerk", "POST", hold, map[string]any{"reason": "复查"}); r.status != 403 {
		t.Fatalf("clerk hold: %d %s", r.status, r.body)
	}
	if r := e.do(t, "auditor", "POST", hold, map[string]any{"reason": ""}); r.status != 422 || r.errorsByField(t)["reason"] != "bad_reason" {
		t.Fatalf("empty reason: %d %s", r.status, r.body)
	}
	if r := e.do(t, "auditor", "POST", hold, map[string]any{"reason": "复查", "extra": 1}); r.status/100 != 4 {
		t.Fatalf("unknown key: %d %s", r.status, r.body)
	}
	r := e.do(t, "auditor", "POST", hold, map[string]any{"reason": "案件复查"})
	var h archive.LegalHold
	r.json(t, &h)
	if r.status != 201 || h.Versions != 2 || h.PlacedBy.Name != "孙伟" {
		t.Fatalf("hold: %d %s", r.status, r.body)
	}
	if r := e.do(t, "archivist", "POST", hold, map[string]any{"reason": "再次"}); r.status != 409 {
		t.Fatalf("second hold: %d %s", r.status, r.body)
	}
	if r := e.do(t, "archivist", "DELETE", hold, map[string]any{"reason": "复查结束"}); r.status != 200 {
		t.Fatalf("lift: %d %s", r.status, r.body)
	}
	if r := e.do(t, "auditor", "GET", hold, nil); r.status != 200 || !strings.Contains(string(r.body), "复查结束") {
		t.Fatalf("holds: %d %s", r.status, r.body)
	}

	r = e.do(t, "auditor", "GET", "/api/v1/records/"+id+"/four-properties", nil)
	var rep archive.FourPropReport
	r.json(t, &rep)
	if r.status != 200 || rep.Result != archive.ResultPass || len(rep.Items) < 12 {
		t.Fatalf("four properties: %d %s", r.status, r.body)
	}
	if r := e.do(t, "auditor", "GET", "/api/v1/records/"+id+"/four-properties?keep=1", nil); r.status != 405 {
		t.Fatalf("keep by GET: %d %s", r.status, r.body)
	}
	if r := e.do(t, "other", "GET", "/api/v1/records/"+id+"/four-properties", nil); r.status != 404 {
		t.Fatalf("other unit: %d %s", r.status, r.body)
	}
	r = e.do(t, "auditor", "POST", "/api/v1/four-properties?keep=1", map[string]any{"unit": unitA, "year": rep.Year})
	var batch archive.FourPropReport
	r.json(t, &batch)
	if r.status != 201 || len(batch.Records) != 2 || batch.KeptAs == "" || batch.Result != archive.ResultPass {
		t.Fatalf("batch keep: %d %s", r.status, r.body)
	}
	if r := e.do(t, "auditor", "GET", "/api/v1/records/"+batch.KeptAs+"/verify", nil); r.status != 200 || !strings.Contains(string(r.body), `"ok":true`) {
		t.Fatalf("kept report verify: %d %s", r.status, r.body)
	}
	if r := e.do(t, "auditor", "POST", "/api/v1/four-properties", map[string]any{"unit": unitA, "year": "2026"}); r.status/100 != 4 {
		t.Fatalf("year as string: %d %s", r.status, r.body)
	}
}

func TestDisposalAPI(t *testing.T) {
	e := newEnv(t)
	e.opts.RetentionOverride = map[archive.Retention]time.Duration{archive.Retention30: 2 * time.Second, archive.Retention10: 2 * time.Second}
	e.opts.AllowRetentionOverride = true
	e.open(t, templates.Options{})
	plan, letter := fileBoth(t, e)
	time.Sleep(3 * time.Second)
	r := e.do(t, "archivist", "GET", "/api/v1/retention/expired", nil)
	if r.status != 200 || !strings.Contains(string(r.body), plan) {
		t.Fatalf("expired: %d %s", r.status, r.body)
	}
	for _, id := range []string{plan, letter} {
		if r := e.do(t, "archivist", "POST", "/api/v1/records/"+id+"/appraisal", map[string]any{"decision": "dispose", "reason": "期满无保存价值"}); r.status != 201 {
			t.Fatalf("appraise: %d %s", r.status, r.body)
		}
	}
	r = e.do(t, "archivist", "POST", "/api/v1/disposals", map[string]any{"record_ids": []string{plan, letter}})
	var l archive.DisposalList
	r.json(t, &l)
	if r.status != 201 {
		t.Fatalf("propose: %d %s", r.status, r.body)
	}
	path := "/api/v1/disposals/" + l.ID
	if r := e.do(t, "archivist", "POST", path+"/approve", nil); r.status != 200 {
		t.Fatalf("archivist approve: %d %s", r.status, r.body)
	}
	if r := e.do(t, "archivist", "POST", path+"/execute", nil); r.status != 409 || r.errorCode(t) != "disposal_not_approved" {
		t.Fatalf("execute with one approval: %d %s", r.status, r.body)
	}
	if r := e.do(t, "approver", "POST", path+"/approve", nil); r.status != 200 {
		t.Fatalf("head approve: %d %s", r.status, r.body)
	}
	r = e.do(t, "archivist", "POST", path+"/execute", nil)
	r.json(t, &l)
	if r.status != 200 || l.Status != "disposed" || l.ListRecordID == "" {
		t.Fatalf("execute: %d %s", r.status, r.body)
	}
	if r := e.do(t, "auditor", "GET", "/api/v1/records/"+l.ListRecordID+"/verify", nil); r.status != 200 || !strings.Contains(string(r.body), `"ok":true`) {
		t.Fatalf("清册 verify: %d %s", r.status, r.body)
	}
	// The disposed record is flagged 已销毁 with its 清册; its content is
	// gone (410 record_disposed); its verification says disposed.
	r = e.do(t, "archivist", "GET", "/api/v1/records/"+plan, nil)
	var rec archive.Record
	r.json(t, &rec)
	if r.status != 200 || rec.Disposal == nil || rec.Disposal.ListID != l.ID || rec.Disposal.ListRecordID != l.ListRecordID {
		t.Fatalf("disposed record: %d %s", r.status, r.body)
	}
	if r := e.do(t, "archivist", "GET", "/api/v1/records/"+plan+"/content", nil); r.status != 410 || r.errorCode(t) != "record_disposed" {
		t.Fatalf("disposed content: %d %s", r.status, r.body)
	}
	if r := e.do(t, "auditor", "GET", "/api/v1/records/"+plan+"/verify", nil); r.status != 200 || !strings.Contains(string(r.body), `"status":"disposed"`) {
		t.Fatalf("disposed verify: %d %s", r.status, r.body)
	}
}

// The 四性检测 report computed at filing is kept with the record and
// answered by ?latest=1; before any is kept the answer is 404.
func TestFourPropertiesKeptAtFilingAPI(t *testing.T) {
	e := newEnv(t)
	e.opts.FourPropsAtFiling = true
	e.open(t, templates.Options{})
	_, id := fileBoth(t, e)
	path := "/api/v1/records/" + id + "/four-properties?latest=1"
	var rep archive.FourPropReport
	deadline := time.Now().Add(time.Minute)
	for {
		r := e.do(t, "auditor", "GET", path, nil)
		if r.status == 200 {
			r.json(t, &rep)
			break
		}
		if r.status != 404 || time.Now().After(deadline) {
			t.Fatalf("latest report: %d %s", r.status, r.body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if rep.RecordID != id || rep.Stage != archive.StageFiling || rep.Result != archive.ResultPass {
		t.Fatalf("kept report: %+v", rep)
	}
	if r := e.do(t, "other", "GET", path, nil); r.status != 404 {
		t.Errorf("another unit reads the kept report: %d", r.status)
	}
	if r := e.do(t, "auditor", "POST", path, nil); r.status != 405 {
		t.Errorf("POST ?latest=1: %d %s", r.status, r.body)
	}
}
