package server

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"wenshu/identity"
)

// Attacks of an insider on the admin pages, the login redirect, the CSRF
// token and the text of fields (issue 10, items 5 and 7), each performed
// through the real web and API routes as the insider would.

// auditDetails reads the catalog file directly (as an auditor with the
// file would) for the details of action by actor.
func auditDetails(t *testing.T, e *env, actor, action string) []string {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(e.opts.DataDir, "catalog.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT detail FROM audit_events WHERE actor_name = ? AND action = ? ORDER BY id`, actor, action)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// canLogIn reports whether name logs in with password on the web.
func canLogIn(t *testing.T, e *env, name, password string) bool {
	t.Helper()
	b := e.browser(t)
	b.get("/login")
	return b.post("/login", url.Values{"name": {name}, "password": {password}}).status == 303
}

// addWebUser adds a user (as the operator) with the web password.
func addWebUser(t *testing.T, e *env, name string, role identity.Role, unit, clearance string) *identity.User {
	t.Helper()
	ctx := context.Background()
	res, err := e.store.Identity().AddUser(ctx, identity.NewUser{Name: name, Role: role, Unit: unit, Clearance: clearance})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.Identity().SetPassword(ctx, res.User.ID, webPassword); err != nil {
		t.Fatal(err)
	}
	return res.User
}

// TestAdminEscalationRefused: the admin of unit A (管理员, clearance 内部)
// tries, through /admin, every escalation of the issue. Each is refused,
// changes nothing, and is in the audit trail as admin.denied with its
// reason; what is within its scope still works.
func TestAdminEscalationRefused(t *testing.T) {
	e := newWebEnv(t)
	ctx := context.Background()
	adminB := addWebUser(t, e, "乙单位管理员", identity.RoleAdmin, unitB, identity.ClearanceConfidential)
	admin2 := addWebUser(t, e, "甲单位管理员二", identity.RoleAdmin, unitA, identity.ClearanceInternal)
	unitsBefore, err := e.store.Identity().ListUnits(ctx)
	if err != nil {
		t.Fatal(err)
	}
	admin := e.as(t, "admin")
	admin.get("/admin")
	const stolen = "attacker chosen password"

	// 1. An archivist in unit B at 机密, to read B's 机密 records.
	r := admin.post("/admin/users", url.Values{"name": {"越权档案员"}, "role": {"archivist"}, "unit": {unitB}, "clearance": {"机密"}, "password": {stolen}})
	wantStatus(t, r, 403, "archivist in another unit")
	wantBody(t, r, "archivist in another unit", "只能管理本单位的用户", `value="越权档案员"`)
	// 2. A user above its own clearance, in its own unit.
	r = admin.post("/admin/users", url.Values{"name": {"越级承办"}, "role": {"clerk"}, "unit": {unitA}, "clearance": {"秘密"}, "password": {stolen}})
	wantStatus(t, r, 403, "above own clearance")
	wantBody(t, r, "above own clearance", "不能管理密级高于本人")
	// 3. Another admin.
	r = admin.post("/admin/users", url.Values{"name": {"新管理员"}, "role": {"admin"}, "unit": {unitA}, "clearance": {"内部"}, "password": {stolen}})
	wantStatus(t, r, 403, "a new admin")
	// 4. A mistyped unit name: an error naming the unit, no new unit.
	r = admin.post("/admin/users", url.Values{"name": {"错单位承办"}, "role": {"clerk"}, "unit": {unitA + "组"}, "clearance": {"内部"}, "password": {stolen}})
	wantStatus(t, r, 422, "mistyped unit")
	wantBody(t, r, "mistyped unit", "单位「"+unitA+"组」不存在")
	for _, name := range []string{"越权档案员", "越级承办", "新管理员", "错单位承办"} {
		if _, err := e.store.Identity().UserByName(ctx, name); err == nil {
			t.Errorf("user %s was created", name)
		}
		if canLogIn(t, e, name, stolen) {
			t.Errorf("%s logs in", name)
		}
	}
	if after, _ := e.store.Identity().ListUnits(ctx); len(after) != len(unitsBefore) {
		t.Errorf("units %d → %d", len(unitsBefore), len(after))
	}
	// 5. Reset another unit's admin password, then log in as it: the
	// user is not found (its existence is not confirmed), the password
	// unchanged.
	admin.get("/admin")
	r = admin.post("/admin/users/"+itoa(adminB.ID)+"/password", url.Values{"password": {stolen}})
	wantStatus(t, r, 404, "reset another unit's admin")
	if canLogIn(t, e, adminB.Name, stolen) || !canLogIn(t, e, adminB.Name, webPassword) {
		t.Error("another unit's admin password changed")
	}
	wantStatus(t, admin.post("/admin/users/"+itoa(adminB.ID)+"/disable", nil), 404, "disable another unit's admin")
	// 6. Reset (or disable) its own unit's other admin.
	r = admin.post("/admin/users/"+itoa(admin2.ID)+"/password", url.Values{"password": {stolen}})
	wantStatus(t, r, 403, "reset own unit's other admin")
	if canLogIn(t, e, admin2.Name, stolen) || !canLogIn(t, e, admin2.Name, webPassword) {
		t.Error("the other admin's password changed")
	}
	wantStatus(t, admin.post("/admin/users/"+itoa(admin2.ID)+"/disable", nil), 403, "disable own unit's other admin")
	// 7. A user of its unit above its clearance (李华, 秘密).
	clerk := mustUserT(t, e, "李华")
	wantStatus(t, admin.post("/admin/users/"+itoa(clerk.ID)+"/password", url.Values{"password": {stolen}}), 403, "reset above clearance")
	if canLogIn(t, e, clerk.Name, stolen) {
		t.Error("a user above the admin's clearance had its password reset")
	}

	denied := strings.Join(auditDetails(t, e, userNames["admin"], "admin.denied"), "\n")
	for _, want := range []string{
		"user_add 越权档案员 archivist " + unitB + " 机密 other_unit",
		"user_add 越级承办 clerk " + unitA + " 秘密 above_own_clearance",
		"user_add 新管理员 admin " + unitA + " 内部 admin_protected",
		"user_add 错单位承办 clerk " + unitA + "组 内部 unit_not_found",
		"user_password " + adminB.Name + " other_unit",
		"user_disable " + adminB.Name + " other_unit",
		"user_password " + admin2.Name + " admin_protected",
		"user_disable " + admin2.Name + " admin_protected",
		"user_password 李华 above_own_clearance",
	} {
		if !strings.Contains(denied, want) {
			t.Errorf("refusal not audited: %q\n%s", want, denied)
		}
	}

	// Within scope it works, and is audited as before.
	r = admin.post("/admin/users", url.Values{"name": {"本单位新人"}, "role": {"clerk"}, "unit": {unitA}, "clearance": {"内部"}, "password": {stolen}})
	wantStatus(t, r, 303, "own unit, own clearance")
	if !canLogIn(t, e, "本单位新人", stolen) {
		t.Error("the new user cannot log in")
	}
	if adds := auditDetails(t, e, userNames["admin"], "admin.user_add"); len(adds) != 1 || !strings.HasPrefix(adds[0], "本单位新人 clerk") {
		t.Errorf("admin.user_add: %q", adds)
	}

	// A clerk posting to the admin routes is refused and audited too.
	lb := e.as(t, "lowclerk")
	wantStatus(t, lb.post("/admin/users", url.Values{"name": {"x"}, "role": {"clerk"}, "unit": {unitA}, "clearance": {"内部"}, "password": {stolen}}), 403, "clerk adds a user")
	if d := auditDetails(t, e, userNames["lowclerk"], "admin.denied"); len(d) != 1 || !strings.HasSuffix(d[0], "wrong_role") {
		t.Errorf("clerk's attempt: %q", d)
	}
}

// TestAdminPageListsOwnUnit: the admin page lists the admin's unit only,
// offers no action on admins or users above the admin's clearance, and
// offers no other unit's name.
func TestAdminPageListsOwnUnit(t *testing.T) {
	e := newWebEnv(t)
	addWebUser(t, e, "乙单位管理员", identity.RoleAdmin, unitB, identity.ClearanceConfidential)
	r := e.as(t, "admin").get("/admin")
	wantStatus(t, r, 200, "admin page")
	wantBody(t, r, "admin page", "李华", "吴斌", unitA)
	for _, other := range []string{"周志明", "王海燕", "乙单位管理员", unitB} {
		if strings.Contains(string(r.body), other) {
			t.Errorf("admin page shows %s of another unit", other)
		}
	}
	lowclerk, clerk, me := mustUserT(t, e, "吴斌"), mustUserT(t, e, "李华"), mustUserT(t, e, "管理员")
	if !strings.Contains(string(r.body), `/admin/users/`+itoa(lowclerk.ID)+`/password`) {
		t.Error("no reset for a user in scope")
	}
	for _, u := range []*identity.User{clerk, me} {
		if strings.Contains(string(r.body), `/admin/users/`+itoa(u.ID)+`/`) {
			t.Errorf("actions offered on %s", u.Name)
		}
	}
}

// TestLoginNext: the post-login redirect stays on this site, as a table
// and end to end.
func TestLoginNext(t *testing.T) {
	for next, want := range map[string]string{
		"/records":               "/records",
		"/records?q=三重一大&page=2": "/records?q=三重一大&page=2",
		"/drafts/abc/edit":       "/drafts/abc/edit",
		"":                       "/",
		"/":                      "/",
		"//evil.example":         "/",
		"//evil":                 "/",
		"/\\evil":                "/",
		"/\\/evil.example":       "/",
		"/\t/evil.example/phish": "/",
		"/\n/evil.example":       "/",
		"/\r\n/evil.example":     "/",
		"/records\t":             "/",
		"/\x00x":                 "/",
		"/\x7f":                  "/",
		"/\u0085/evil":           "/",
		"https://evil.example/":  "/",
		"http:evil":              "/",
		"evil.example":           "/",
		"%2F%2Fevil":             "/",
		"/login?next=//evil":     "/",
		"/\xff":                  "/",
		"javascript:alert(1)":    "/",
		" /records":              "/",
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
	// Through HTTP: the query is decoded first, so %2F%2F is "//"; the tab
	// arrives as %09.
	e := newWebEnv(t)
	for _, raw := range []string{"%2F%2Fevil.example", "%2F%09%2Fevil.example%2Fphish", "/%5Cevil.example", "https%3A%2F%2Fevil.example"} {
		b := e.browser(t)
		r := b.get("/login?next=" + raw)
		wantBody(t, r, "login form "+raw, `name="next" value="/"`)
		next, _ := url.QueryUnescape(raw)
		r = b.post("/login", url.Values{"name": {userNames["clerk"]}, "password": {webPassword}, "next": {next}})
		if r.status != 303 || r.header.Get("Location") != "/" {
			t.Errorf("next=%s: %d → %q", raw, r.status, r.header.Get("Location"))
		}
	}
}

// TestCSRFNotFromQuery: a token in the query string does not count, for
// a session's POST and for the login form; the X-CSRF-Token header does.
func TestCSRFNotFromQuery(t *testing.T) {
	e := newWebEnv(t)
	admin := e.as(t, "admin")
	admin.get("/admin")
	tok := admin.csrf
	lowclerk := mustUserT(t, e, "吴斌")
	form := url.Values{"password": {"query csrf password"}}
	req := httptest.NewRequest("POST", "/admin/users/"+itoa(lowclerk.ID)+"/password?csrf="+url.QueryEscape(tok), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r := admin.send(req)
	wantStatus(t, r, 403, "token only in the query")
	wantBody(t, r, "token only in the query", "CSRF")
	if canLogIn(t, e, lowclerk.Name, "query csrf password") {
		t.Fatal("the password was reset with a query-string token")
	}
	// The same request with the token in the header is accepted.
	req = httptest.NewRequest("POST", "/admin/users/"+itoa(lowclerk.ID)+"/password", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", tok)
	wantStatus(t, admin.send(req), 303, "token in the header")
	// Login: the double-submit token only in the query is refused too.
	b := e.browser(t)
	b.get("/login")
	login := url.Values{"name": {userNames["clerk"]}, "password": {webPassword}}
	req = httptest.NewRequest("POST", "/login?csrf="+url.QueryEscape(b.csrf), strings.NewReader(login.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	wantStatus(t, b.send(req), 403, "login token only in the query")
}

// TestRawBadTextRefused: invalid UTF-8, unpaired surrogates and bidi or
// C1 controls, sent as raw JSON bytes through the API, are a 422 naming
// the field, and nothing is stored; so is a printed 密级 that is not the
// draft's.
func TestRawBadTextRefused(t *testing.T) {
	e := newEnv(t)
	before := e.do(t, "clerk", "GET", "/api/v1/drafts", nil)
	// Raw JSON with a placeholder for one value; the rest is the talk
	// plan example.
	send := func(mutate func(m map[string]any), rawPath, raw string) *resp {
		body := draftBody(withoutNumber(example(t, e.reg, "talk-plan")), "talk-plan")
		if mutate != nil {
			mutate(body)
		}
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		if rawPath != "" {
			b = bytes.Replace(b, []byte(`"@@`+rawPath+`@@"`), []byte(raw), 1)
		}
		return e.do(t, "clerk", "POST", "/api/v1/drafts", b)
	}
	at := func(field string) func(m map[string]any) {
		return func(m map[string]any) {
			switch {
			case field == "case_no":
				m["case_no"] = "@@case_no@@"
			case field == "persons":
				m["persons"] = []string{"张建国", "@@persons@@"}
			default:
				m["fields"].(map[string]any)[field] = "@@" + field + "@@"
			}
		}
	}
	for _, c := range []struct {
		name, field, raw, wantField, code string
	}{
		{"invalid UTF-8 in case_no", "case_no", "\"AJ-\xff\xfe-1\"", "case_no", "invalid_char"},
		{"unpaired surrogate in case_no", "case_no", `"AJ-\ud800-1"`, "case_no", "invalid_char"},
		{"lone low surrogate in persons", "persons", `"\udc00李四"`, "persons", "invalid_char"},
		{"RLO in case_no (raw bytes)", "case_no", "\"AJ-\u202e1-2026\"", "case_no", "control_char"},
		{"RLO in persons (escape)", "persons", `"李\u202e四"`, "persons", "control_char"},
		{"RLI in a template field", "clue_no", "\"XS\u2067-01\"", "clue_no", "control_char"},
		{"NEL in a template field", "talk_place", "\"第一谈话室\u0085\"", "talk_place", "control_char"},
		{"BOM in a template field", "clue_no", "\"\ufeffXS-01\"", "clue_no", "control_char"},
		{"invalid UTF-8 in a template field", "talk_place", "\"谈话室\xc3\"", "talk_place", "invalid_char"},
		{"ZWSP in a template field", "clue_no", "\"XS\u200b01\"", "clue_no", "control_char"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := send(at(c.field), c.field, c.raw)
			if r.status != 422 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			if got := r.errorsByField(t); got[c.wantField] != c.code {
				t.Errorf("errors %v, want %s on %s", got, c.code, c.wantField)
			}
		})
	}
	r := send(func(m map[string]any) { m["fields"].(map[string]any)["classification"] = "内部" }, "", "")
	if r.status != 422 || r.errorsByField(t)["fields.classification"] != "classification_mismatch" {
		t.Errorf("printed 密级 内部 on a 秘密 draft: %d %s", r.status, r.body)
	}
	if after := e.do(t, "clerk", "GET", "/api/v1/drafts", nil); !bytes.Equal(after.body, before.body) {
		t.Errorf("a refused draft was stored: %s", after.body)
	}
	// The matching printed 密级 is accepted.
	r = send(func(m map[string]any) { m["fields"].(map[string]any)["classification"] = "秘密" }, "", "")
	wantStatus(t, r, 201, "matching printed classification")
}

// TestAdminBadNames: a user name with a bidi control, through the web
// admin page, is a 422 naming the name.
func TestAdminBadNames(t *testing.T) {
	e := newWebEnv(t)
	admin := e.as(t, "admin")
	admin.get("/admin")
	r := admin.post("/admin/users", url.Values{"name": {"张\u202e三"}, "role": {"clerk"}, "unit": {unitA}, "clearance": {"内部"}, "password": {"long enough password"}})
	wantStatus(t, r, 422, "bidi in a user name")
	wantBody(t, r, "bidi in a user name", "用户名含有不可见的控制字符")
}
