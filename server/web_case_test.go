package server

import (
	"bytes"
	"mime/multipart"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// newWebCaseEnv is newCaseEnv with web passwords for every user.
func newWebCaseEnv(t *testing.T) *caseEnv {
	t.Helper()
	e := newCaseEnv(t)
	for _, name := range append(mapValues(userNames), "何副") {
		u, err := e.store.Identity().UserByName(t.Context(), name)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.store.Identity().SetPassword(t.Context(), u.ID, webPassword); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// upload posts a multipart form with one file and the page's CSRF token.
func (b *browser) upload(path, field, name string, data []byte, values url.Values) *resp {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf", b.csrf)
	for k, vs := range values {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	fw, _ := mw.CreateFormFile(field, name)
	fw.Write(data)
	mw.Close()
	req := httptest.NewRequest("POST", path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.send(req)
}

// TestWebInquiryLoop: the letter's 送达与回复 page, the 期限 page, the
// spot-check pages and the admin's head and holiday table, over HTTP.
func TestWebInquiryLoop(t *testing.T) {
	e := newWebCaseEnv(t)
	pf := example(t, e.reg, "talk-plan")
	pf["method"] = "函询"
	planDraft := e.draft(t, "talk-plan", pf)

	// A deputy's sign-off of the plan is refused on the web too.
	deputy := e.browser(t)
	deputy.get("/login")
	deputy.post("/login", url.Values{"name": {"何副"}, "password": {webPassword}})
	deputy.get("/drafts/" + planDraft)
	r := deputy.post("/drafts/"+planDraft+"/approve", nil)
	wantStatus(t, r, 403, "deputy approves the plan")
	wantBody(t, r, "deputy approves the plan", "主要负责人（刘强）")

	plan := e.approve(t, "approver", planDraft)
	lf := example(t, e.reg, "inquiry-letter")
	lf["plan_record_id"] = plan.ID
	letter := e.approve(t, "approver", e.draft(t, "inquiry-letter", lf))

	talkPlan := e.approve(t, "approver", e.draft(t, "talk-plan", example(t, e.reg, "talk-plan"))) // 处置方式 谈话

	clerk := e.as(t, "clerk")
	// The pickers offer the records a field may cite (Field.Cites): the
	// letter the 函询 plan, the talk record the 谈话 plan, the report the letter.
	for tpl, want := range map[string][2]string{
		"inquiry-letter": {plan.ID, talkPlan.ID}, "talk-record": {talkPlan.ID, plan.ID}, "inquiry-report": {letter.ID, plan.ID},
	} {
		r := clerk.get("/drafts/new?template=" + tpl)
		if !strings.Contains(string(r.body), `<option value="`+want[0]+`">`) || strings.Contains(string(r.body), `<option value="`+want[1]+`">`) {
			t.Errorf("%s form: offers %s? not %s?\n%s", tpl, want[0], want[1], r.body)
		}
	}
	wantBody(t, clerk.get("/drafts/new?template=inquiry-report"), "report form", `list="cites-inquiry-letter"`, `<datalist id="cites-inquiry-letter">`)
	wantBody(t, clerk.get("/records/"+letter.ID), "letter page", `href="/records/`+letter.ID+`/case"`)
	casePath := "/records/" + letter.ID + "/case"
	wantBody(t, clerk.get(casePath), "case page", `id="service-form"`)
	r = clerk.post("/records/"+letter.ID+"/service", url.Values{"served_on": {"2026-09-23"}})
	wantStatus(t, r, 422, "service before filing")
	wantBody(t, r, "service before filing", "早于签发归档日期")
	e.setDay(2026, 9, 28)
	clerk = e.as(t, "clerk") // the clock jumped past the session's lifetime
	clerk.get(casePath)
	r = clerk.post("/records/"+letter.ID+"/service", url.Values{"served_on": {"2026-09-28"}})
	wantStatus(t, r, 303, "service")
	wantBody(t, clerk.get(casePath), "served", `id="due">2026-10-23<`, `id="reply-form"`)

	e.setDay(2026, 10, 26)
	clerk = e.as(t, "clerk")
	r = clerk.get("/deadlines")
	wantStatus(t, r, 200, "deadlines page")
	wantBody(t, r, "deadlines page", `<tr class="overdue"`, "逾期", "张建国", "2026-10-23")

	clerk.get(casePath)
	big := []byte(strings.Repeat("以上情况属实。", 80_000)) // 1.7 MB: over BodyLimit, a scan's size
	r = clerk.upload("/records/"+letter.ID+"/replies", "file", "回复.txt", big,
		url.Values{"received_on": {"2026-10-26"}, "opinion_signed": {"true"}})
	wantStatus(t, r, 303, "reply")
	wantBody(t, clerk.get(casePath), "replied", `id="reply-record"`, "已办结（2026-10-26）")
	wantBody(t, clerk.get("/deadlines?status=done"), "done", "已办结（2026-10-26，逾期）")

	auditor := e.as(t, "auditor")
	wantStatus(t, auditor.get("/spot-checks"), 200, "spot-check page")
	r = auditor.post("/spot-checks", url.Values{"year": {"2026"}, "seed": {"2026年10月26日组务会"}})
	wantStatus(t, r, 303, "draw")
	r = auditor.get(r.header.Get("Location"))
	wantBody(t, r, "spot-check", "1 件 / 1 件", "名单一致", "签名与留存校验通过", `name="conclusion"`)
	wantStatus(t, clerk.get("/spot-checks"), 403, "clerk spot-checks")

	// The case in loop order: plan → letter → service → reply → spot-check.
	r = clerk.get("/cases/AJ-2026-007/loop")
	wantStatus(t, r, 200, "case loop")
	body := string(r.body)
	order := []string{`href="/records/` + plan.ID + `"`, "驻财纪函〔2026〕1号", "送达 2026-09-28", "回复期限 2026-10-23", "函询回复", "已被抽查"}
	for i := 1; i < len(order); i++ {
		if a, b := strings.Index(body, order[i-1]), strings.Index(body, order[i]); a < 0 || b < 0 || a > b {
			t.Fatalf("case loop: %q (at %d) should come before %q (at %d):\n%s", order[i-1], a, order[i], b, body)
		}
	}

	admin := e.as(t, "admin")
	wantBody(t, admin.get("/admin"), "admin page", `href="/admin/casework"`)
	wantBody(t, admin.get("/admin/casework"), "casework admin", `id="head">刘强<`)
	r = admin.post("/admin/head", url.Values{"name": {"李华"}})
	wantStatus(t, r, 422, "a clerk as head")
	wantBody(t, r, "a clerk as head", "主要负责人须为本单位审批人")
	e.setDay(2026, 11, 2)
	admin = e.as(t, "admin")
	wantBody(t, admin.get("/admin/casework"), "warning", `data-warning="holiday_table_missing"`)
	wantBody(t, admin.get("/admin"), "warning on the admin page", `data-warning="holiday_table_missing"`, "2027")
	r = admin.upload("/admin/holidays", "table", "2027.json", []byte(table2027), nil)
	wantStatus(t, r, 303, "holiday table")
	r = admin.get("/admin/casework")
	if strings.Contains(string(r.body), "holiday_table_missing") || !strings.Contains(string(r.body), "2027") {
		t.Errorf("after the upload:\n%s", r.body)
	}
}
