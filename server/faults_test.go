package server

import (
	"context"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"wenshu/archive"
	"wenshu/identity"
	"wenshu/internal/testenv"
	"wenshu/templates"
)

// Fault scenarios of issue 9 ("Done when"), through the HTTP API on a
// real store whose MinIO (the test's own) is paused or killed. Deadlines
// are short (3 s per storage call, recovery every 2 s) so the numbers of
// the issue — 30 s pauses, 15 s kills, 40 and 60 concurrent approvals —
// fit in a test run; production uses 5 s and 10 s.
const (
	faultStorageTimeout = 3 * time.Second
	faultRecoverEvery   = 2 * time.Second
	// answerWithin is the bound on every request during a fault.
	answerWithin = 15 * time.Second
	// convergeWithin is the bound on every draft reaching filed or
	// draft after MinIO is back.
	convergeWithin = 60 * time.Second
)

func newFaultEnv(t *testing.T) (*env, *testenv.MinIOServer) {
	t.Helper()
	mio := testenv.StartMinIO(t)
	e := newEnvOn(t, mio, templates.Options{}, func(o *archive.Options) {
		o.StorageTimeout, o.RecoverInterval = faultStorageTimeout, faultRecoverEvery
	})
	return e, mio
}

// makeDrafts creates n talk-plan drafts of unit A (by the clerk).
func makeDrafts(t *testing.T, e *env, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		fields := withoutNumber(example(t, e.reg, "talk-plan"))
		r := e.do(t, "clerk", "POST", "/api/v1/drafts", draftBody(fields, "talk-plan"))
		if r.status != 201 {
			t.Fatalf("create draft: %d %s", r.status, r.body)
		}
		var d struct{ ID string }
		r.json(t, &d)
		ids[i] = d.ID
	}
	return ids
}

// approvalAnswer is what one POST /approve answered, and when.
type approvalAnswer struct {
	draftID  string
	status   int
	took     time.Duration
	filingID string // the 202's filing_id or the 201's record id (the same id)
	body     string
}

// approveAll approves every draft at once and returns the answers.
func approveAll(t *testing.T, e *env, ids []string) []approvalAnswer {
	t.Helper()
	out := make([]approvalAnswer, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		go func(i int, id string) {
			defer wg.Done()
			start := time.Now()
			r := e.do(t, "approver", "POST", "/api/v1/drafts/"+id+"/approve", nil)
			a := approvalAnswer{draftID: id, status: r.status, took: time.Since(start), body: string(r.body)}
			var b struct {
				ID       string `json:"id"`
				FilingID string `json:"filing_id"`
			}
			_ = json.Unmarshal(r.body, &b)
			a.filingID = b.FilingID
			if r.status == 201 {
				a.filingID = b.ID
			}
			if r.status == 202 && r.header.Get("Location") != "/api/v1/filings/"+b.FilingID {
				t.Errorf("202 Location %q for filing %s", r.header.Get("Location"), b.FilingID)
			}
			if r.status == 503 && r.header.Get("Retry-After") == "" {
				t.Errorf("503 without Retry-After: %s", r.body)
			}
			out[i] = a
		}(i, id)
	}
	wg.Wait()
	return out
}

// checkAnswers asserts the bound on the answers (201, 202 or 503
// within answerWithin, never 500) and logs the distribution.
func checkAnswers(t *testing.T, answers []approvalAnswer) {
	t.Helper()
	counts := map[int]int{}
	var slowest time.Duration
	for _, a := range answers {
		counts[a.status]++
		slowest = max(slowest, a.took)
		switch a.status {
		case 201, 202, 503:
		default:
			t.Errorf("approve %s: %d %s", a.draftID, a.status, a.body)
		}
		if a.took > answerWithin {
			t.Errorf("approve %s answered after %s", a.draftID, a.took)
		}
		if (a.status == 201 || a.status == 202) && a.filingID == "" {
			t.Errorf("approve %s: %d without an id: %s", a.draftID, a.status, a.body)
		}
	}
	t.Logf("answers %v, slowest %s", counts, slowest)
}

// waitConverged polls the drafts until none is 归档中, for at most within,
// and returns how long that took.
func waitConverged(t *testing.T, e *env, ids []string, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		open := 0
		for _, id := range ids {
			r := e.do(t, "clerk", "GET", "/api/v1/drafts/"+id, nil)
			var d struct{ Status string }
			r.json(t, &d)
			switch d.Status {
			case "filed", "draft":
			case "filing":
				open++
			default:
				t.Fatalf("draft %s is %q", id, d.Status)
			}
		}
		if open == 0 {
			return time.Since(start)
		}
		if time.Since(start) > within {
			t.Fatalf("%d drafts still 归档中 %s after MinIO came back", open, within)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// checkFinalState asserts that GET /api/v1/filings/{id} agrees with each
// draft, that every 档号 handed out is in exactly one filed record or in
// void_numbers (件号 1…N without a gap or a repeat), and that the bucket
// alone verifies (the CLI's verify --bucket-only).
func checkFinalState(t *testing.T, e *env, mio *testenv.MinIOServer, answers []approvalAnswer) {
	t.Helper()
	filed, voided := 0, 0
	for _, a := range answers {
		r := e.do(t, "clerk", "GET", "/api/v1/drafts/"+a.draftID, nil)
		var d struct{ Status, RecordID string }
		r.json(t, &d)
		d.RecordID = jsonField(t, r.body, "record_id")
		if a.filingID == "" {
			if d.Status != "draft" {
				t.Errorf("draft %s answered %d without a filing but is %s", a.draftID, a.status, d.Status)
			}
			continue
		}
		fr := e.do(t, "clerk", "GET", "/api/v1/filings/"+a.filingID, nil)
		if fr.status != 200 {
			t.Fatalf("filing %s: %d %s", a.filingID, fr.status, fr.body)
		}
		var f struct {
			Status  string
			DraftID string `json:"draft_id"`
			Record  *struct{ ID string }
		}
		fr.json(t, &f)
		switch {
		case f.Status == "filed" && d.Status == "filed" && f.Record != nil && f.Record.ID == d.RecordID && f.DraftID == a.draftID:
			filed++
		case f.Status == "void" && d.Status == "draft" && f.Record == nil:
			voided++
		default:
			t.Errorf("filing %s is %s (record %v) but draft %s is %s (record %s)", a.filingID, f.Status, f.Record, a.draftID, d.Status, d.RecordID)
		}
	}
	t.Logf("final: %d filed, %d void", filed, voided)
	checkNumbers(t, e)
	bv, err := archive.VerifyBucketOnly(context.Background(), archive.BucketConfig{Endpoint: mio.Endpoint,
		AccessKey: mio.AccessKey, SecretKey: mio.SecretKey, Bucket: e.opts.Bucket}, e.store.PublicKeyPEM(), nil)
	if err != nil || !bv.OK {
		t.Fatalf("verify --bucket-only after recovery: %+v %v", bv, err)
	}
	records, err := e.store.ListRecords(context.Background(), identity.Operator("test"), archive.RecordFilter{Limit: 1000})
	if err != nil || bv.Records != len(records) {
		t.Fatalf("bucket holds %d records, catalog %d (%v)", bv.Records, len(records), err)
	}
}

func jsonField(t *testing.T, body []byte, name string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("not JSON: %s", body)
	}
	s, _ := m[name].(string)
	return s
}

// checkNumbers: every 档号 is in a filed record or void, exactly once,
// and the 件号 of the one series the tests use run 1…N.
func checkNumbers(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	op := identity.Operator("test")
	records, err := e.store.ListRecords(ctx, op, archive.RecordFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	voids, err := e.store.ListVoidNumbers(ctx, op)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	var items []int
	add := func(code, where string) {
		if prev, dup := seen[code]; dup {
			t.Errorf("档号 %s used twice: %s and %s", code, prev, where)
		}
		seen[code] = where
		n, err := strconv.Atoi(code[strings.LastIndex(code, "-")+1:])
		if err != nil {
			t.Fatalf("档号 %s", code)
		}
		items = append(items, n)
	}
	for _, r := range records {
		add(r.ArchiveCode, "record "+r.ID)
	}
	for _, v := range voids {
		if v.Kind == "archive_code" {
			add(v.Number, "void "+v.FilingID)
		}
	}
	sort.Ints(items)
	for i, n := range items {
		if n != i+1 {
			t.Fatalf("件号 %v are not 1…%d exactly once", items, len(items))
		}
	}
}

// MinIO paused for 30 s during 40 concurrent approvals (the first
// "Done when"): every request answers 201, 202 or 503 within 15 s; reads
// answer 503 (never "missing"); approving again returns the same filing;
// within 60 s of the resume every draft is filed or back to draft, the
// filings agree and the bucket verifies — all without restarting the
// Store.
func TestFaultApprovalsWhileMinIOPaused(t *testing.T) {
	const pause, approvals = 30 * time.Second, 40
	e, mio := newFaultEnv(t)
	e.setWebPasswords(t)
	before := makeDrafts(t, e, 1)
	r := e.do(t, "approver", "POST", "/api/v1/drafts/"+before[0]+"/approve", nil)
	if r.status != 201 {
		t.Fatalf("approve before the fault: %d %s", r.status, r.body)
	}
	recordID := jsonField(t, r.body, "id")
	ids := makeDrafts(t, e, approvals+1)
	webDraft, ids := ids[0], ids[1:]
	web := e.as(t, "approver")

	resumed := mio.PauseFor(pause)
	pausedAt := time.Now()
	answers := approveAll(t, e, ids)
	checkAnswers(t, answers)
	checkReadsWhilePaused(t, e, web, recordID)
	checkApproveAgain(t, e, answers)
	webFiling := checkWebApproveWhilePaused(t, web, webDraft)
	if time.Since(pausedAt) > pause {
		t.Fatalf("the checks during the pause took %s, longer than the pause", time.Since(pausedAt))
	}
	if err := <-resumed; err != nil {
		t.Fatal(err)
	}
	took := waitConverged(t, e, append(ids, webDraft), convergeWithin)
	t.Logf("converged %s after the resume", took)
	checkWebFilingEnded(t, web, webDraft, webFiling)
	checkFinalState(t, e, mio, append(answers, approvalAnswer{draftID: webDraft, filingID: webFiling}))
}

// checkReadsWhilePaused: verify and download answer 503 with Retry-After
// within their deadlines; the web record page says the store is
// unreachable; nothing is audited as 未通过.
func checkReadsWhilePaused(t *testing.T, e *env, web *browser, recordID string) {
	t.Helper()
	for _, path := range []string{"/api/v1/records/" + recordID + "/verify", "/api/v1/records/" + recordID + "/content"} {
		start := time.Now()
		r := e.do(t, "auditor", "GET", path, nil)
		if took := time.Since(start); took > answerWithin {
			t.Errorf("%s answered after %s", path, took)
		}
		if r.status != 503 || r.header.Get("Retry-After") == "" || r.errorCode(t) != "storage_unavailable" {
			t.Errorf("%s while paused: %d %q %s", path, r.status, r.header.Get("Retry-After"), r.body)
		}
		if strings.Contains(string(r.body), "不存在") {
			t.Errorf("%s reports an outage as missing: %s", path, r.body)
		}
	}
	r := web.get("/records/" + recordID)
	if r.status != 503 || !strings.Contains(string(r.body), "暂无法校验") || strings.Contains(string(r.body), "verify-bad") {
		t.Errorf("record page while paused: %d %s", r.status, r.body)
	}
	ar := e.do(t, "auditor", "GET", "/api/v1/records/"+recordID+"/audit", nil)
	if strings.Contains(string(ar.body), "未通过") || !strings.Contains(string(ar.body), "不可用") {
		t.Errorf("audit after verifying during the outage: %s", ar.body)
	}
}

// checkApproveAgain: approving a pending draft again answers 202 with the
// same filing (no second number), without waiting for storage.
func checkApproveAgain(t *testing.T, e *env, answers []approvalAnswer) {
	t.Helper()
	for _, a := range answers {
		if a.status != 202 {
			continue
		}
		start := time.Now()
		r := e.do(t, "approver", "POST", "/api/v1/drafts/"+a.draftID+"/approve", nil)
		if r.status != 202 || jsonField(t, r.body, "filing_id") != a.filingID {
			t.Errorf("approve %s again: %d %s, want 202 for filing %s", a.draftID, r.status, r.body, a.filingID)
		}
		if took := time.Since(start); took > time.Second {
			t.Errorf("approving a pending draft again took %s", took)
		}
		fr := e.do(t, "clerk", "GET", "/api/v1/filings/"+a.filingID, nil)
		if fr.status != 200 || fr.header.Get("Retry-After") == "" {
			t.Errorf("filing %s while pending: %d %s", a.filingID, fr.status, fr.body)
		}
		if r := e.do(t, "other", "GET", "/api/v1/filings/"+a.filingID, nil); r.status != 404 {
			t.Errorf("another unit sees filing %s: %d", a.filingID, r.status)
		}
		return
	}
	t.Error("no approval answered 202 during the pause")
}

// checkWebApproveWhilePaused: the web approval lands on the 正在归档 page,
// which refreshes itself; it returns the filing id.
func checkWebApproveWhilePaused(t *testing.T, web *browser, draftID string) string {
	t.Helper()
	web.get("/drafts/" + draftID)
	r := web.post("/drafts/"+draftID+"/approve", nil)
	loc := r.header.Get("Location")
	prefix := "/drafts/" + draftID + "?filing="
	if r.status != 303 || !strings.HasPrefix(loc, prefix) {
		t.Fatalf("web approve while paused: %d %q %s", r.status, loc, r.body)
	}
	page := web.get(loc)
	body := string(page.body)
	if page.status != 200 || !strings.Contains(body, "正在归档") || !strings.Contains(body, `<meta http-equiv="refresh" content="2">`) {
		t.Fatalf("正在归档 page: %d %s", page.status, body)
	}
	if strings.Contains(body, "<script>") || page.header.Get("Refresh") != "2" {
		t.Errorf("正在归档 page refresh: header %q", page.header.Get("Refresh"))
	}
	return strings.TrimPrefix(loc, prefix)
}

// checkWebFilingEnded: once the filing ended the same page moves on: to
// the record (filed) or to the draft with the reason (void).
func checkWebFilingEnded(t *testing.T, web *browser, draftID, filingID string) {
	t.Helper()
	r := web.get("/drafts/" + draftID + "?filing=" + filingID)
	switch {
	case r.status == 303 && strings.HasPrefix(r.header.Get("Location"), "/records/"):
	case r.status == 200 && strings.Contains(string(r.body), "编号已作废") && !strings.Contains(string(r.body), "正在归档"):
	default:
		t.Errorf("filing page after the end: %d %q %s", r.status, r.header.Get("Location"), r.body)
	}
}

// MinIO killed for 15 s during 60 concurrent approvals, restarted on the
// same data (the second "Done when"): no 500, and 60 s after it
// is back no draft is 归档中, without restarting the Store.
func TestFaultApprovalsWhileMinIOKilled(t *testing.T) {
	const down, approvals = 15 * time.Second, 60
	e, mio := newFaultEnv(t)
	ids := makeDrafts(t, e, approvals)
	var back <-chan error
	killed := make(chan struct{})
	go func() {
		defer close(killed)
		time.Sleep(300 * time.Millisecond) // some approvals are under way
		back = mio.KillFor(down)
	}()
	answers := approveAll(t, e, ids)
	checkAnswers(t, answers)
	<-killed
	if err := <-back; err != nil {
		t.Fatal(err)
	}
	took := waitConverged(t, e, ids, convergeWithin)
	t.Logf("converged %s after the restart", took)
	checkFinalState(t, e, mio, answers)
}
