package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"wenshu/identity"
	"wenshu/templates"
)

// webPassword is every test user's password.
const webPassword = "测试密码-correct-horse"

// userNames are newEnv's users by key.
var userNames = map[string]string{
	"clerk": "李华", "clerk2": "陈敏", "approver": "刘强", "archivist": "赵磊", "auditor": "孙伟",
	"admin": "管理员", "lowclerk": "吴斌", "other": "周志明", "otherApprover": "王海燕",
}

// newWebEnv is newEnv with a password for every user.
func newWebEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	e.setWebPasswords(t)
	return e
}

// setWebPasswords gives every test user webPassword, for the web UI.
func (e *env) setWebPasswords(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	for _, name := range userNames {
		u, err := e.store.Identity().UserByName(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.store.Identity().SetPassword(ctx, u.ID, webPassword); err != nil {
			t.Fatal(err)
		}
	}
}

// browser is a cookie-keeping client of the web UI over app.Test.
type browser struct {
	t       *testing.T
	e       *env
	cookies map[string]*http.Cookie
	csrf    string // from the last page that had a form
	header  http.Header
}

func (e *env) browser(t *testing.T) *browser {
	return &browser{t: t, e: e, cookies: map[string]*http.Cookie{}, header: http.Header{}}
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) send(req *http.Request) *resp {
	b.t.Helper()
	for _, c := range b.cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	for k, v := range b.header {
		req.Header[k] = v
	}
	r := b.e.send(b.t, req)
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	if m := csrfInput.FindSubmatch(r.body); m != nil {
		b.csrf = string(m[1])
	}
	return r
}

func (b *browser) get(path string) *resp {
	b.t.Helper()
	return b.send(httptest.NewRequest("GET", path, nil))
}

// post submits a form; the page's CSRF token is added unless form has one.
func (b *browser) post(path string, form url.Values) *resp {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", b.csrf)
	}
	req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.send(req)
}

func (b *browser) login(who string) *browser {
	b.t.Helper()
	b.get("/login")
	r := b.post("/login", url.Values{"name": {userNames[who]}, "password": {webPassword}})
	if r.status != 303 || b.cookies[sessionCookie] == nil {
		b.t.Fatalf("login %s: %d %s", who, r.status, r.body)
	}
	b.get("/records") // a page with the session's CSRF token
	return b
}

func (e *env) as(t *testing.T, who string) *browser { return e.browser(t).login(who) }

func wantStatus(t *testing.T, r *resp, status int, what string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d\n%s", what, r.status, status, r.body)
	}
}

func wantBody(t *testing.T, r *resp, what string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(string(r.body), s) {
			t.Errorf("%s: body lacks %q", what, s)
		}
	}
}

func TestParseDraftForm(t *testing.T) {
	schema := []templates.Field{
		{Name: "issuer", Type: templates.TypeString},
		{Name: "doc_number", Type: templates.TypeString},
		{Name: "title", Type: templates.TypeString},
		{Name: "body", Type: templates.TypeText},
		{Name: "due", Type: templates.TypeDate},
		{Name: "reported_issues", Type: templates.TypeList},
		{Name: "persons", Type: templates.TypeTable, Columns: []templates.Field{{Name: "name"}, {Name: "position"}}},
		{Name: "person", Type: templates.TypePerson},
		{Name: "empty_person", Type: templates.TypePerson},
	}
	form := url.Values{
		"csrf":                   {"x"},
		"f.issuer":               {"伪造的机关"},
		"f.doc_number":           {"伪〔2026〕1号"},
		"f.title":                {"  关于某某的函  "},
		"f.body":                 {"第一段\r\n第二段  \r\n"},
		"f.due":                  {""},
		"f.reported_issues[0]":   {"问题一"},
		"f.reported_issues[3]":   {"问题三"},
		"f.reported_issues[1]":   {"  "},
		"f.reported_issues[10]":  {"问题十"},
		"f.persons[0].name":      {"张三"},
		"f.persons[0].position":  {"处长"},
		"f.persons[2].name":      {"李四"},
		"f.persons[1].name":      {""},
		"f.persons[1].position":  {""},
		"f.persons[0].unknown":   {"忽略"},
		"f.person.name":          {"王五"},
		"f.person.unit":          {"某局"},
		"f.person.position":      {""},
		"f.empty_person.name":    {""},
		"f.nosuch":               {"忽略"},
		"f.title[0]":             {"忽略"},
		"f.reported_issues":      {"忽略"},
		"f.reported_issues[x]":   {"忽略"},
		"f.persons[0]":           {"忽略"},
		"f.person[0].name":       {"忽略"},
		"f.reported_issues[2].a": {"忽略"},
	}
	got := parseDraftForm(schema, form)
	want := map[string]any{
		"title":           "关于某某的函",
		"body":            "第一段\n第二段",
		"reported_issues": []any{"问题一", "问题三", "问题十"},
		"persons":         []any{map[string]any{"name": "张三", "position": "处长"}, map[string]any{"name": "李四"}},
		"person":          map[string]any{"name": "王五", "unit": "某局"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("parseDraftForm:\n got %#v\nwant %#v", got, want)
	}
	for key, ok := range map[string]bool{"a": true, "a[1]": true, "a[1].b": true, "a.b": true, "a[": false, "a[1]x": false, "a.b.c": false, "a[-1]": false, "": false} {
		if _, got := parseFormPath(key); got != ok {
			t.Errorf("parseFormPath(%q) = %v", key, got)
		}
	}
}

func TestWebLoginCookiesAndHeaders(t *testing.T) {
	e := newWebEnv(t)
	b := e.browser(t)
	r := b.get("/")
	if r.status != 303 || r.header.Get("Location") != "/login" {
		t.Fatalf("anonymous /: %d %s", r.status, r.header.Get("Location"))
	}
	r = b.get("/records/x")
	if r.status != 303 || r.header.Get("Location") != "/login?next=%2Frecords%2Fx" {
		t.Fatalf("anonymous page: %d %q", r.status, r.header.Get("Location"))
	}
	r = b.get("/login")
	wantStatus(t, r, 200, "login page")
	for h, want := range map[string]string{
		"Content-Security-Policy": "default-src 'self'",
		"X-Frame-Options":         "DENY",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"Cache-Control":           "no-store",
	} {
		if got := r.header.Get(h); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if strings.Contains(r.header.Get("Content-Security-Policy"), "unsafe-inline") {
		t.Error("CSP allows inline code")
	}
	if strings.Contains(string(r.body), "<script>") || strings.Contains(string(r.body), " onclick=") || strings.Contains(string(r.body), "style=") {
		t.Error("page has inline script or style")
	}
	// Static assets are embedded and carry the headers too.
	for _, p := range []string{"/static/app.css", "/static/app.js"} {
		r := b.get(p)
		if r.status != 200 || r.header.Get("X-Content-Type-Options") != "nosniff" || len(r.body) < 100 {
			t.Errorf("%s: %d", p, r.status)
		}
	}
	if r := b.get("/static/../web.go"); r.status != 404 {
		t.Errorf("static traversal: %d", r.status)
	}

	// Wrong password, unknown user, and no CSRF token: refused alike.
	r = b.post("/login", url.Values{"name": {"李华"}, "password": {"wrong password!"}})
	wantStatus(t, r, 401, "wrong password")
	wantBody(t, r, "wrong password", "用户名或密码不正确")
	msgWrong := regexp.MustCompile(`id="login-error">([^<]*)<`).FindSubmatch(r.body)
	r = b.post("/login", url.Values{"name": {"没有此人"}, "password": {webPassword}})
	msgUnknown := regexp.MustCompile(`id="login-error">([^<]*)<`).FindSubmatch(r.body)
	if r.status != 401 || msgWrong == nil || msgUnknown == nil || string(msgWrong[1]) != string(msgUnknown[1]) {
		t.Fatalf("unknown user answered differently: %d %s", r.status, r.body)
	}
	r = b.post("/login", url.Values{"name": {"李华"}, "password": {webPassword}, "csrf": {"forged"}})
	wantStatus(t, r, 403, "login without the CSRF token")

	// The session cookie: HttpOnly, SameSite=Strict, Path=/, not Secure
	// over plain HTTP.
	b.get("/login?next=/records")
	r = b.post("/login", url.Values{"name": {"李华"}, "password": {webPassword}, "next": {"/records"}})
	if r.status != 303 || r.header.Get("Location") != "/records" {
		t.Fatalf("login: %d %s", r.status, r.header.Get("Location"))
	}
	raw := strings.Join(r.header.Values("Set-Cookie"), "\n")
	var line string
	for _, l := range r.header.Values("Set-Cookie") {
		if strings.HasPrefix(l, sessionCookie+"=") {
			line = strings.ToLower(l)
		}
	}
	if line == "" || !strings.Contains(line, "httponly") || !strings.Contains(line, "samesite=strict") ||
		!strings.Contains(line, "path=/") || strings.Contains(line, "secure") {
		t.Fatalf("session cookie: %s", raw)
	}
	if b.cookies[sessionCookie].Value == "" || strings.Contains(raw, webPassword) {
		t.Fatal("cookie value")
	}
	wantStatus(t, b.get("/records"), 200, "records after login")

	// Under TLS (here: a proxy saying so) the cookie is Secure too.
	tls := e.browser(t)
	tls.header.Set("X-Forwarded-Proto", "https")
	tls.get("/login")
	r = tls.post("/login", url.Values{"name": {"李华"}, "password": {webPassword}})
	if l := strings.ToLower(strings.Join(r.header.Values("Set-Cookie"), "\n")); r.status != 303 || !strings.Contains(l, "secure") {
		t.Fatalf("cookie under TLS: %d %s", r.status, l)
	}

	// An open redirect through next is refused.
	for _, next := range []string{"//evil.example/", "https://evil.example/", "/\\evil.example"} {
		if got := safeNext(next); got != "/" {
			t.Errorf("safeNext(%q) = %q", next, got)
		}
	}

	// Logout needs the token, then ends the session for good.
	r = b.post("/logout", url.Values{"csrf": {"forged"}})
	wantStatus(t, r, 403, "logout without token")
	wantStatus(t, b.get("/records"), 200, "still logged in")
	old := b.cookies[sessionCookie].Value
	r = b.post("/logout", nil)
	if r.status != 303 || r.header.Get("Location") != "/login" || b.cookies[sessionCookie] != nil {
		t.Fatalf("logout: %d %v", r.status, b.cookies)
	}
	b.cookies[sessionCookie] = &http.Cookie{Name: sessionCookie, Value: old}
	if r := b.get("/records"); r.status != 303 {
		t.Fatalf("old session after logout: %d", r.status)
	}

	// API tokens keep working beside sessions.
	if r := e.do(t, "clerk", "GET", "/api/v1/me", nil); r.status != 200 {
		t.Fatalf("token: %d", r.status)
	}
}

func TestWebCSRFOnEveryPost(t *testing.T) {
	e := newWebEnv(t)
	_, letter := fileBoth(t, e)
	clerk := e.as(t, "clerk")
	approver := e.as(t, "approver")
	admin := e.as(t, "admin")
	archivist := e.as(t, "archivist")
	d := e.do(t, "clerk", "POST", "/api/v1/drafts", draftBody(withoutNumber(example(t, e.reg, "talk-plan")), "talk-plan"))
	var dr struct{ ID string }
	d.json(t, &dr)
	cases := []struct {
		b    *browser
		path string
	}{
		{clerk, "/drafts/new?template=talk-plan"},
		{clerk, "/drafts/" + dr.ID + "/edit"},
		{clerk, "/records/" + letter + "/supersede"},
		{approver, "/drafts/" + dr.ID + "/approve"},
		{approver, "/drafts/" + dr.ID + "/return"},
		{archivist, "/search/saved"},
		{archivist, "/search/saved/1/delete"},
		{admin, "/admin/users"},
		{admin, "/admin/users/1/disable"},
		{admin, "/admin/users/1/password"},
		{clerk, "/logout"},
	}
	for _, c := range cases {
		for _, tok := range []string{"", "forged-token"} {
			r := c.b.post(c.path, url.Values{"csrf": {tok}, "reason": {"x"}, "name": {"x"}})
			if r.status != 403 || !strings.Contains(string(r.body), "CSRF") {
				t.Errorf("POST %s with csrf %q: %d", c.path, tok, r.status)
			}
		}
	}
	// Nothing happened.
	if r := e.do(t, "clerk", "GET", "/api/v1/drafts/"+dr.ID, nil); !strings.Contains(string(r.body), `"status":"draft"`) {
		t.Errorf("draft changed: %s", r.body)
	}
	// A token from another session does not pass either.
	approver.get("/queue")
	r := clerk.post("/drafts/new?template=talk-plan", url.Values{"csrf": {approver.csrf}})
	wantStatus(t, r, 403, "another session's token")
}

// TestWebDraftApproveRecord walks the clerk → approver → record pages
// over HTTP: the form, its 422, the preview, the sign-off and the record.
func TestWebDraftApproveRecord(t *testing.T) {
	e := newWebEnv(t)
	plan, _ := fileBoth(t, e)
	clerk := e.as(t, "clerk")

	r := clerk.get("/drafts")
	wantStatus(t, r, 200, "drafts page")
	wantBody(t, r, "drafts page", "函询通知书", "谈话方案（含工作预案）", `href="/drafts/new?template=inquiry-letter"`)
	r = clerk.get("/drafts/new?template=inquiry-letter")
	wantStatus(t, r, 200, "new form")
	wantBody(t, r, "new form", `name="f.person.name"`, `name="f.reported_issues[0]"`, `data-add-row="f-reported-issues"`,
		`<select id="f-urgency" name="f.urgency">`, `type="date" id="f-date"`, "被函询人", `class="req"`,
		"每项一个具体、可核实的问题", `list="plan-records"`, `<option value="`+plan+`">`)
	if strings.Contains(string(r.body), `name="f.issuer"`) || strings.Contains(string(r.body), `name="f.doc_number"`) {
		t.Error("the form offers the issuer or the 文号")
	}
	if r := clerk.get("/drafts/new?template=nope"); r.status != 404 {
		t.Errorf("unknown template: %d", r.status)
	}

	form := url.Values{
		"f.plan_record_id":     {plan},
		"f.person.name":        {"张建国"},
		"f.person.unit":        {"省财政厅预算处"},
		"f.reported_issues[0]": {"违反“三重一大”决策制度"},
		"f.reported_issues[4]": {"接受宴请"},
		"f.phone":              {"不是电话"},
		"f.contact":            {"李华"},
		"case_no":              {"AJ-2026-007"},
		"persons":              {"张建国、王明"},
		"classification":       {"秘密"},
		"retention":            {"D30"},
	}
	r = clerk.post("/drafts/new?template=inquiry-letter", form)
	wantStatus(t, r, 422, "invalid form")
	wantBody(t, r, "invalid form", "有 2 处需要修改", `href="#f-party-org-head"`, `href="#f-phone"`,
		`value="张建国"`, `value="接受宴请"`, `name="f.reported_issues[1]"`, `value="AJ-2026-007"`, `value="张建国、王明"`)
	// The error is beside its field.
	if !regexp.MustCompile(`(?s)id="f-phone" name="f.phone" value="不是电话"[^>]*>.{0,200}field-error`).Match(r.body) {
		t.Errorf("phone error not beside the phone input:\n%s", r.body)
	}
	form.Set("f.phone", "0571-87000000")
	form.Set("f.party_org_head", "省财政厅党组书记王明同志")
	r = clerk.post("/drafts/new?template=inquiry-letter", form)
	wantStatus(t, r, 303, "valid form")
	loc := r.header.Get("Location")
	id := strings.TrimSuffix(strings.TrimPrefix(loc, "/drafts/"), "?notice=saved")
	r = clerk.get(loc)
	wantStatus(t, r, 200, "draft page")
	wantBody(t, r, "draft page", "已保存草稿", "待审批", "违反“三重一大”决策制度", "接受宴请", "省财政厅预算处", "/drafts/"+id+"/preview")
	r = clerk.get("/drafts/" + id + "/preview")
	if r.status != 200 || !strings.HasPrefix(string(r.body), "PK") || !strings.Contains(r.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("preview: %d", r.status)
	}

	// Edit keeps the values and takes the revision.
	r = clerk.get("/drafts/" + id + "/edit")
	wantStatus(t, r, 200, "edit form")
	wantBody(t, r, "edit form", `value="接受宴请"`, `name="revision" value="1"`, `value="AJ-2026-007"`)
	form.Set("revision", "1")
	form.Set("f.reported_issues[5]", "其配偶经营的公司承接本处项目")
	r = clerk.post("/drafts/"+id+"/edit", form)
	wantStatus(t, r, 303, "edit")
	r = clerk.post("/drafts/"+id+"/edit", form) // stale revision
	if r.status != 422 && r.status != 409 {
		t.Errorf("stale revision: %d", r.status)
	}

	// Roles: the clerk cannot approve, the archivist cannot draft, the
	// admin has no queue — 403 pages.
	wantStatus(t, clerk.post("/drafts/"+id+"/approve", nil), 403, "clerk approves")
	archivist := e.as(t, "archivist")
	wantStatus(t, archivist.get("/drafts/new?template=talk-plan"), 403, "archivist drafts")
	wantStatus(t, e.as(t, "admin").get("/queue"), 403, "admin queue")
	wantStatus(t, clerk.get("/admin"), 403, "clerk admin")
	wantStatus(t, clerk.get("/audit"), 403, "clerk audit")

	// Another unit: 404 for the draft and its preview.
	other := e.as(t, "otherApprover")
	for _, p := range []string{"/drafts/" + id, "/drafts/" + id + "/preview", "/drafts/" + id + "/edit"} {
		if r := other.get(p); r.status != 404 && !(p == "/drafts/"+id+"/edit" && r.status == 403) {
			t.Errorf("other unit GET %s: %d", p, r.status)
		}
	}
	wantStatus(t, other.post("/drafts/"+id+"/approve", nil), 404, "other unit approves")

	// The approver: queue, return with a reason, the clerk resubmits,
	// then 签发.
	approver := e.as(t, "approver")
	r = approver.get("/queue")
	wantStatus(t, r, 200, "queue")
	wantBody(t, r, "queue", "/drafts/"+id)
	r = approver.get("/drafts/" + id)
	wantBody(t, r, "draft for the approver", `action="/drafts/`+id+`/approve"`, `data-confirm=`, `action="/drafts/`+id+`/return"`)
	r = approver.post("/drafts/"+id+"/return", url.Values{"reason": {"请补充回复期限"}})
	if r.status != 303 || r.header.Get("Location") != "/queue?notice=returned" {
		t.Fatalf("return: %d %s", r.status, r.body)
	}
	r = clerk.get("/drafts/" + id + "/edit")
	wantBody(t, r, "returned draft", "请补充回复期限", "退回理由")
	form.Set("revision", "3")
	wantStatus(t, clerk.post("/drafts/"+id+"/edit", form), 303, "resubmit")
	approver.get("/drafts/" + id)
	r = approver.post("/drafts/"+id+"/approve", nil)
	wantStatus(t, r, 303, "approve")
	recPath := strings.TrimSuffix(r.header.Get("Location"), "?notice=filed")
	if !strings.HasPrefix(recPath, "/records/") {
		t.Fatalf("approve went to %s", recPath)
	}
	recID := strings.TrimPrefix(recPath, "/records/")

	// The record page: metadata, download, every check ✓, correction link.
	auditor := e.as(t, "auditor")
	r = auditor.get(recPath)
	wantStatus(t, r, 200, "record page")
	wantBody(t, r, "record page", "✓ 全部通过", `data-check="sm3"`, `data-check="signature"`, `data-check="chain"`,
		"驻财纪", "Z109-WS·", recPath+"/content", "AJ-2026-007", `href="/persons/%E5%BC%A0%E5%BB%BA%E5%9B%BD"`, "/records/"+plan)
	if strings.Contains(string(r.body), "✗") {
		t.Errorf("a check failed:\n%s", r.body)
	}
	r = auditor.get(recPath + "/content")
	if r.status != 200 || r.header.Get("X-Wenshu-SM3") == "" {
		t.Fatalf("download: %d", r.status)
	}
	r = auditor.get(recPath + "/audit")
	wantBody(t, r, "audit events", "record.file", "draft.return", "record.verify", "刘强")
	r = auditor.get("/audit?id=" + recID)
	if r.status != 303 || !strings.HasPrefix(r.header.Get("Location"), recPath) {
		t.Fatalf("audit by id: %d %s", r.status, r.header.Get("Location"))
	}
	wantBody(t, auditor.get("/audit"), "audit page", recPath)

	// Corrections linked both ways.
	r = clerk.post(recPath+"/supersede", nil)
	wantStatus(t, r, 303, "supersede")
	corr := strings.TrimSuffix(strings.TrimPrefix(r.header.Get("Location"), "/drafts/"), "/edit")
	wantBody(t, clerk.get(recPath), "record with an open correction", "/drafts/"+corr)
	d, _ := e.store.GetDraft(context.Background(), identity.Operator("t"), corr)
	approver.get("/drafts/" + corr)
	r = approver.post("/drafts/"+corr+"/approve", nil)
	wantStatus(t, r, 303, "approve correction")
	corrRec := strings.TrimSuffix(r.header.Get("Location"), "?notice=filed")
	wantBody(t, clerk.get(corrRec), "correction", `id="supersedes">`+recID)
	wantBody(t, clerk.get(recPath), "corrected record", `class="corrected-by">`+strings.TrimPrefix(corrRec, "/records/"))
	if d == nil || d.Supersedes != recID {
		t.Errorf("correction draft %+v", d)
	}

	// Another unit: the record, its download, verification and audit
	// are 404 pages, and search finds nothing.
	for _, p := range []string{recPath, recPath + "/content", recPath + "/audit"} {
		if r := other.get(p); r.status != 404 || strings.Contains(string(r.body), "张建国") {
			t.Errorf("other unit GET %s: %d", p, r.status)
		}
	}
	r = other.get("/search?q=" + url.QueryEscape("谈话函询"))
	wantStatus(t, r, 200, "other unit search")
	wantBody(t, r, "other unit search", "共 0 件")
	if r := e.as(t, "lowclerk").get(recPath); r.status != 404 {
		t.Errorf("lower clearance: %d", r.status)
	}
}

func TestWebSearchPage(t *testing.T) {
	e := newWebEnv(t)
	_, letter := fileBoth(t, e)
	b := e.as(t, "archivist")
	r := b.get("/search?q=" + url.QueryEscape("三重一大"))
	wantStatus(t, r, 200, "search")
	wantBody(t, r, "search", "<mark>三重一大</mark>", "/records/"+letter, `data-facet="kind"`, `data-facet="year"`,
		"检索语法", "精确短语", `href="/persons/`, `href="/cases/`)
	// A facet is a link that filters; the active filter can be removed.
	m := regexp.MustCompile(`data-facet="kind"><h3>文种</h3><ul>\s*<li><a href="([^"]+)"`).FindSubmatch(r.body)
	if m == nil {
		t.Fatalf("no kind facet link:\n%s", r.body)
	}
	facetURL := strings.ReplaceAll(string(m[1]), "&amp;", "&")
	r = b.get(facetURL)
	wantStatus(t, r, 200, "facet")
	wantBody(t, r, "facet", "筛选：", "文种：函询通知书")
	// Empty query: everything visible, newest first, with paging.
	r = b.get("/search?size=1&sort=-filed_at")
	wantBody(t, r, "paging", "共 2 件", `id="next-page"`)
	// Bad queries are a 400 page with the message, not a 500.
	r = b.get("/search?q=" + url.QueryEscape(`"未闭合`))
	wantStatus(t, r, 400, "bad query")
	wantBody(t, r, "bad query", `id="search-error"`)
	wantStatus(t, b.get("/search?page=x"), 400, "bad page")

	// Saved searches: save, list, run, delete.
	wantStatus(t, b.get("/search?q="+url.QueryEscape("谈话函询")+"&year=2026"), 200, "search before saving")
	r = b.post("/search/saved", url.Values{"name": {"本年度谈话函询"}, "query": {"q=谈话函询&year=2026"}})
	wantStatus(t, r, 303, "save search")
	r = b.get("/search")
	wantBody(t, r, "saved list", "本年度谈话函询", `href="/search?q=%E8%B0%88%E8%AF%9D%E5%87%BD%E8%AF%A2&amp;year=2026"`)
	r = b.post("/search/saved", url.Values{"name": {"坏的"}, "query": {`q="未闭合`}})
	wantStatus(t, r, 400, "save a bad search")
	list, _ := e.store.Identity().ListSavedSearches(context.Background(), mustUserT(t, e, "赵磊"))
	if len(list) != 1 {
		t.Fatalf("saved: %v", list)
	}
	wantStatus(t, e.as(t, "clerk").post("/search/saved/"+itoa(list[0].ID)+"/delete", nil), 404, "delete another's saved search")
	b.get("/search")
	wantStatus(t, b.post("/search/saved/"+itoa(list[0].ID)+"/delete", nil), 303, "delete saved search")
	if list, _ := e.store.Identity().ListSavedSearches(context.Background(), mustUserT(t, e, "赵磊")); len(list) != 0 {
		t.Fatalf("not deleted: %v", list)
	}

	// Person and case views.
	r = b.get("/persons/" + url.PathEscape("张建国"))
	wantStatus(t, r, 200, "person view")
	wantBody(t, r, "person view", "人员：张建国", "/records/"+letter)
	r = b.get("/cases/AJ-2026-007")
	wantBody(t, r, "case view", "案件：AJ-2026-007", "共 2 件")
}

func mustUserT(t *testing.T, e *env, name string) *identity.User {
	t.Helper()
	u, err := e.store.Identity().UserByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestWebAdmin(t *testing.T) {
	e := newWebEnv(t)
	admin := e.as(t, "admin")
	r := admin.get("/admin")
	wantStatus(t, r, 200, "admin")
	wantBody(t, r, "admin", "李华", "承办人", unitA, `action="/admin/users"`)
	r = admin.post("/admin/users", url.Values{"name": {"新同事"}, "role": {"clerk"}, "unit": {unitA}, "clearance": {"内部"}, "password": {"short"}})
	wantStatus(t, r, 422, "short password")
	wantBody(t, r, "short password", "密码至少10个字符", `value="新同事"`)
	r = admin.post("/admin/users", url.Values{"name": {"新同事"}, "role": {"clerk"}, "unit": {unitA}, "clearance": {"内部"}, "password": {"new colleague pw"}})
	wantStatus(t, r, 303, "add user")
	nb := e.browser(t)
	nb.get("/login")
	if r := nb.post("/login", url.Values{"name": {"新同事"}, "password": {"new colleague pw"}}); r.status != 303 {
		t.Fatalf("new user login: %d", r.status)
	}
	u := mustUserT(t, e, "新同事")
	admin.get("/admin")
	wantStatus(t, admin.post("/admin/users/"+itoa(u.ID)+"/disable", nil), 303, "disable")
	if r := nb.get("/drafts"); r.status != 303 {
		t.Errorf("disabled user's session: %d", r.status)
	}
	nb.get("/login")
	if r := nb.post("/login", url.Values{"name": {"新同事"}, "password": {"new colleague pw"}}); r.status != 401 {
		t.Errorf("disabled user logs in: %d", r.status)
	}
	wantBody(t, admin.get("/admin"), "disabled mark", "已停用")
	wantStatus(t, admin.post("/admin/users/"+itoa(u.ID)+"/enable", nil), 303, "enable")
	wantStatus(t, admin.post("/admin/users/"+itoa(u.ID)+"/password", url.Values{"password": {"reset password 1"}}), 303, "reset password")
	nb.get("/login")
	if r := nb.post("/login", url.Values{"name": {"新同事"}, "password": {"reset password 1"}}); r.status != 303 {
		t.Errorf("login after reset: %d", r.status)
	}
	me := mustUserT(t, e, "管理员")
	wantStatus(t, admin.post("/admin/users/"+itoa(me.ID)+"/disable", nil), 409, "disable self")
	wantStatus(t, admin.post("/admin/users/99999/disable", nil), 404, "unknown user")
	// An admin's actions are audited under its name: archive's
	// TestAdminUserActions checks the events.
}

// TestWebEscaping: user data holding markup is shown as text on every
// page, highlights included.
func TestWebEscaping(t *testing.T) {
	e := newWebEnv(t)
	const (
		evilName  = `<script>alert(1)</script>`
		evilIssue = `违反三重一大<script>alert(2)</script>" onmouseover="alert(3)`
		evilCase  = `"><script>alert(4)</script>`
		evilAttr  = `" onmouseover="alert(5)`
	)
	fields := withoutNumber(example(t, e.reg, "talk-plan"))
	fields["person"] = map[string]any{"name": evilName, "unit": evilAttr}
	fields["issues"] = []any{evilIssue}
	fields["purpose"] = "了解情况" + evilAttr + "\n<b>粗体</b>"
	fields["interviewers"] = []any{map[string]any{"name": evilName, "position": evilAttr}, map[string]any{"name": "李华", "position": "处长"}}
	body := map[string]any{"template": "talk-plan", "fields": fields, "case_no": evilCase,
		"persons": []string{evilName, evilAttr}, "classification": "秘密", "retention": "D30"}
	mk := func() string {
		r := e.do(t, "clerk", "POST", "/api/v1/drafts", body)
		if r.status != 201 {
			t.Fatalf("draft: %d %s", r.status, r.body)
		}
		var d struct{ ID string }
		r.json(t, &d)
		return d.ID
	}
	filed, open := mk(), mk()
	r := e.do(t, "approver", "POST", "/api/v1/drafts/"+filed+"/approve", nil)
	if r.status != 201 {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}
	var rec struct{ ID string }
	r.json(t, &rec)
	if _, err := e.store.Identity().AddUser(context.Background(), identity.NewUser{Name: evilName, Role: identity.RoleClerk, Unit: unitA, Clearance: "内部"}); err != nil {
		t.Fatal(err)
	}
	archivist := e.as(t, "archivist")
	if _, err := e.store.Identity().SaveSearch(context.Background(), mustUserT(t, e, "赵磊"), evilName, []byte(`{"q":"三重一大"}`)); err != nil {
		t.Fatal(err)
	}
	pages := []struct {
		who, path string
		mark      bool
	}{
		{"clerk", "/drafts", false},
		{"clerk", "/drafts/" + open, false},
		{"clerk", "/drafts/" + open + "/edit", false},
		{"approver", "/queue", false},
		{"approver", "/drafts/" + open, false},
		{"archivist", "/records", false},
		{"archivist", "/records/" + rec.ID, false},
		{"auditor", "/records/" + rec.ID + "/audit", false},
		{"archivist", "/search?q=" + url.QueryEscape("三重一大"), true},
		{"archivist", "/search?q=" + url.QueryEscape(evilName), false},
		{"archivist", "/persons/" + url.PathEscape(evilName), false},
		{"archivist", "/cases/" + url.PathEscape(evilCase), false},
		{"admin", "/admin", false},
	}
	for _, p := range pages {
		b := archivist
		if p.who != "archivist" {
			b = e.as(t, p.who)
		}
		r := b.get(p.path)
		if r.status != 200 {
			t.Errorf("%s %s: %d", p.who, p.path, r.status)
			continue
		}
		page := string(r.body)
		for _, bad := range []string{"<script>alert", `onmouseover="`, "<b>粗体"} {
			if strings.Contains(page, bad) {
				t.Errorf("%s %s: raw %q in the page", p.who, p.path, bad)
			}
		}
		if !strings.Contains(page, "&lt;script&gt;alert(") {
			t.Errorf("%s %s: the data is not shown (escaped)", p.who, p.path)
		}
		if p.mark && !regexp.MustCompile(`<mark>[^<]*</mark>`).MatchString(page) {
			t.Errorf("%s %s: no highlight", p.who, p.path)
		}
	}
	// The 422 form echoes submitted values escaped too.
	clerk := e.as(t, "clerk")
	clerk.get("/drafts/new?template=talk-plan")
	r = clerk.post("/drafts/new?template=talk-plan", url.Values{"f.person.name": {evilName}, "f.issues[0]": {evilIssue}, "case_no": {evilCase},
		"persons": {evilAttr}, "classification": {"秘密"}, "retention": {"D30"}})
	wantStatus(t, r, 422, "invalid evil form")
	if s := string(r.body); strings.Contains(s, "<script>alert") || strings.Contains(s, `onmouseover="`) || !strings.Contains(s, "&lt;script&gt;alert(1)") {
		t.Errorf("422 form escaping:\n%s", s)
	}
}

// writeMeetingNotice writes a template "meeting-notice" whose topic (会议主题)
// may be at most topicMax characters, into a new templates folder.
func writeMeetingNotice(t *testing.T, topicMax int) string {
	t.Helper()
	dir := t.TempDir()
	tdir := filepath.Join(dir, "meeting-notice")
	if err := os.MkdirAll(tdir, 0o755); err != nil {
		t.Fatal(err)
	}
	manifest, _ := json.Marshal(map[string]any{
		"id": "meeting-notice", "name": "会议通知", "kind": "通知", "layout": "document",
		"fields": []map[string]any{
			{"name": "issuer", "label": "发文机关", "type": "string", "required": true},
			{"name": "topic", "label": "会议主题", "type": "string", "required": true, "max_length": topicMax},
			{"name": "items", "label": "议程", "type": "list", "required": true, "max_items": 5},
		},
	})
	example, _ := json.Marshal(map[string]any{"issuer": "某纪检监察组", "topic": "警示教育", "items": []string{"观看警示教育片"}})
	for name, b := range map[string][]byte{
		"manifest.json": manifest,
		"example.json":  example,
		"body.tmpl":     []byte("@mark {{.issuer}}\n@suffix 文件\n@number {{.doc_number}}\n@title 关于召开{{.topic}}会议的通知\n@to 各处室\n# 会议议程\n{{range .items}}+ {{.}}\n{{end}}\n@sign {{.issuer}}\n"),
	} {
		if err := os.WriteFile(filepath.Join(tdir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestApproveInvalidDraftAgrees: a draft that was valid when saved but not
// under the templates of today (the folder changed, the server restarted)
// is refused on approval with 422 by the API and by the web page alike;
// the page shows the draft with the field that refused it.
func TestApproveInvalidDraftAgrees(t *testing.T) {
	e := newEnvWith(t, templates.Options{Dir: writeMeetingNotice(t, 40)})
	body := map[string]any{"template": "meeting-notice", "classification": "内部", "retention": "D30",
		"fields": map[string]any{"topic": "全面从严治党警示教育专题", "items": []any{"观看警示教育片"}}}
	r := e.do(t, "clerk", "POST", "/api/v1/drafts", body)
	if r.status != 201 {
		t.Fatalf("draft: %d %s", r.status, r.body)
	}
	var d struct{ ID string }
	r.json(t, &d)

	e.open(t, templates.Options{Dir: writeMeetingNotice(t, 4)})
	r = e.do(t, "approver", "POST", "/api/v1/drafts/"+d.ID+"/approve", nil)
	if r.status != 422 || r.errorsByField(t)["topic"] != templates.CodeTooLong {
		t.Fatalf("API approve: %d %s", r.status, r.body)
	}
	u := mustUserT(t, e, userNames["approver"])
	if err := e.store.Identity().SetPassword(context.Background(), u.ID, webPassword); err != nil {
		t.Fatal(err)
	}
	approver := e.as(t, "approver")
	approver.get("/drafts/" + d.ID)
	r = approver.post("/drafts/"+d.ID+"/approve", nil)
	wantStatus(t, r, 422, "web approve")
	wantBody(t, r, "web approve", `id="action-error"`, `id="action-problems"`, "会议主题：", "全面从严治党警示教育专题", `action="/drafts/`+d.ID+`/approve"`)
}
