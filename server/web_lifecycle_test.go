package server

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"wenshu/archive"
	"wenshu/identity"
	"wenshu/templates"
)

func TestWebFourPropertiesAndHold(t *testing.T) {
	e := newWebEnv(t)
	_, id := fileBoth(t, e)
	aud := e.as(t, "auditor")
	r := aud.get("/records/" + id + "/four-properties")
	wantStatus(t, r, 200, "four properties page")
	wantBody(t, r, "four properties page", "电子档案四性检测报告", "真实性", "完整性", "可用性", "安全性", "DA/T 70-2018", `id="fp-result" class="ok"`)
	if r := aud.post("/records/"+id+"/legal-hold", url.Values{"reason": {"案件复查"}, "csrf": {"bad"}}); r.status != 403 {
		t.Fatalf("hold without CSRF: %d", r.status)
	}
	wantStatus(t, aud.post("/records/"+id+"/legal-hold", url.Values{"reason": {"案件复查"}}), 303, "place hold")
	wantBody(t, aud.get("/records/"+id+"/four-properties"), "held page", "案件复查", "保全中")
	r = aud.post("/records/"+id+"/four-properties/keep", nil)
	wantStatus(t, r, 303, "keep report")
	if loc := r.header.Get("Location"); !strings.Contains(loc, "kept=") {
		t.Fatalf("keep redirect %q", loc)
	}
	clerk := e.as(t, "clerk")
	if r := clerk.post("/records/"+id+"/legal-hold/lift", url.Values{"reason": {"结束"}}); r.status != 403 {
		t.Fatalf("clerk lift: %d", r.status)
	}
}

func TestWebDisposal(t *testing.T) {
	e := newWebEnv(t)
	e.opts.RetentionOverride = map[archive.Retention]time.Duration{archive.Retention30: 2 * time.Second}
	e.opts.AllowRetentionOverride = true
	e.open(t, templates.Options{})
	plan, _ := fileBoth(t, e)
	time.Sleep(3 * time.Second)
	arch := e.as(t, "archivist")
	wantBody(t, arch.get("/lifecycle"), "lifecycle page", "保管期限已满的档案", plan)
	wantStatus(t, arch.post("/records/"+plan+"/appraisal", url.Values{"decision": {"dispose"}, "reason": {"期满"}}), 303, "appraise")
	wantStatus(t, arch.post("/disposals", url.Values{"record": {plan}}), 303, "propose")
	lists, err := e.store.ListDisposalLists(t.Context(), webUser(t, e, "archivist"))
	if err != nil || len(lists) != 1 {
		t.Fatalf("lists %v %d", err, len(lists))
	}
	id := lists[0].ID
	wantStatus(t, arch.post("/disposals/"+id+"/approve", nil), 303, "archivist approve")
	if r := arch.post("/disposals/"+id+"/execute", nil); r.status != 409 {
		t.Fatalf("execute with one approval: %d", r.status)
	}
	wantStatus(t, e.as(t, "approver").post("/disposals/"+id+"/approve", nil), 303, "head approve")
	wantStatus(t, arch.post("/disposals/"+id+"/execute", nil), 303, "execute")
	wantBody(t, arch.get("/lifecycle"), "after disposal", "已销毁", "清册档案")
	page := arch.get("/records/" + plan)
	wantBody(t, page, "disposed record page", `id="disposed"`, "已销毁", id, "已按销毁清册销毁")
	if strings.Contains(string(page.body), `id="download"`) {
		t.Error("the page of a disposed record offers its content")
	}
	if r := arch.get("/records/" + plan + "/content"); r.status != 410 {
		t.Errorf("disposed content on the web: %d", r.status)
	}
}

func webUser(t *testing.T, e *env, who string) *identity.User {
	t.Helper()
	u, _, err := e.store.Identity().Authenticate(t.Context(), e.tokens[who])
	if err != nil {
		t.Fatal(err)
	}
	return u
}
