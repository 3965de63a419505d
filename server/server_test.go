package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"wenshu/archive"
	"wenshu/identity"
	"wenshu/internal/gbcheck"
	"wenshu/internal/indexer"
	"wenshu/internal/testenv"
	"wenshu/search"
	"wenshu/templates"
)

func TestMain(m *testing.M) {
	if set := os.Getenv(childServerEnv); set != "" {
		os.Exit(runChildServer(set)) // a server process of the memory tests (process_test.go)
	}
	os.Exit(testenv.RunWithMinIO(m))
}

// env is a server on a real store (MinIO + SQLite) with two units and one
// user of every role.
type env struct {
	srv    *Server
	store  *archive.Store
	reg    *templates.Registry
	tokens map[string]string // clerk, approver, clerk2, archivist, auditor, admin, other (clerk of unit B), otherApprover
	index  *search.Index
	opts   archive.Options // of the store, without Templates and OnFiled
}

const (
	unitA = "中共某某省纪委监委驻省财政厅纪检监察组"
	unitB = "中共某某省纪委监委驻省教育厅纪检监察组"
)

func newEnv(t *testing.T) *env { return newEnvWith(t, templates.Options{}) }

// newEnvWith is newEnv with the given template options.
func newEnvWith(t *testing.T, topts templates.Options) *env {
	t.Helper()
	return newEnvOn(t, testenv.MinIO(t), topts, nil)
}

// newEnvOn is newEnvWith on a given MinIO (a fault test's own), with mod
// (if not nil) applied to the store's options.
func newEnvOn(t *testing.T, mio *testenv.MinIOServer, topts templates.Options, mod func(*archive.Options)) *env {
	t.Helper()
	return newEnvIndexed(t, mio, topts, mod, search.Options{})
}

// newEnvIndexed is newEnvOn with the search index opened with sopts.
func newEnvIndexed(t *testing.T, mio *testenv.MinIOServer, topts templates.Options, mod func(*archive.Options), sopts search.Options) *env {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dataDir := t.TempDir()
	h, err := indexer.Open(dataDir, sopts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	e := &env{index: h.Index, tokens: map[string]string{}, opts: archive.Options{
		DataDir: dataDir, S3Endpoint: mio.Endpoint, S3AccessKey: mio.AccessKey, S3SecretKey: mio.SecretKey,
		Bucket: mio.Bucket(t), Logger: log,
	}}
	if mod != nil {
		mod(&e.opts)
	}
	e.open(t, topts)
	st := e.store
	for _, u := range []identity.UnitInput{
		{Name: unitA, Code: "驻财纪", Fonds: "Z109", Org: "CZT"},
		{Name: unitB, Code: "驻教纪", Fonds: "Z110", Org: "JYT"},
	} {
		if _, err := st.Identity().AddUnit(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	for key, u := range map[string]identity.NewUser{
		"clerk":         {Name: "李华", Role: identity.RoleClerk, Unit: unitA, Clearance: identity.ClearanceSecret},
		"clerk2":        {Name: "陈敏", Role: identity.RoleClerk, Unit: unitA, Clearance: identity.ClearanceSecret},
		"approver":      {Name: "刘强", Role: identity.RoleApprover, Unit: unitA, Clearance: identity.ClearanceConfidential},
		"archivist":     {Name: "赵磊", Role: identity.RoleArchivist, Unit: unitA, Clearance: identity.ClearanceConfidential},
		"auditor":       {Name: "孙伟", Role: identity.RoleAuditor, Unit: unitA, Clearance: identity.ClearanceConfidential},
		"admin":         {Name: "管理员", Role: identity.RoleAdmin, Unit: unitA, Clearance: identity.ClearanceInternal},
		"lowclerk":      {Name: "吴斌", Role: identity.RoleClerk, Unit: unitA, Clearance: identity.ClearanceInternal},
		"other":         {Name: "周志明", Role: identity.RoleClerk, Unit: unitB, Clearance: identity.ClearanceConfidential},
		"otherApprover": {Name: "王海燕", Role: identity.RoleApprover, Unit: unitB, Clearance: identity.ClearanceConfidential},
	} {
		res, err := st.Identity().AddUser(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[key] = res.Token
	}
	// The approvers are their units' heads (主要负责人), who sign 谈话方案,
	// 函询通知书 and 建议书.
	for unit, head := range map[string]string{unitA: "刘强", unitB: "王海燕"} {
		un, err := st.Identity().UnitByName(ctx, unit)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Identity().SetUnitHead(ctx, nil, un.ID, head); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// open builds the registry, the store (on e.opts) and the server; called
// again it closes the store first and reopens the same data with other
// templates, as a restart with a changed --templates-dir would.
func (e *env) open(t *testing.T, topts templates.Options) {
	t.Helper()
	if e.store != nil {
		closeServer(t, e.srv)
		if err := e.store.Close(); err != nil {
			t.Fatal(err)
		}
	}
	reg, err := templates.New(topts)
	if err != nil {
		t.Fatal(err)
	}
	idx := &indexer.Indexer{Index: e.index, Log: e.opts.Logger}
	opts := e.opts
	opts.Templates, opts.OnFiled = reg, idx.OnFiled
	st, err := archive.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	idx.Store = st
	t.Cleanup(func() { st.Close() })
	e.store, e.reg = st, reg
	e.srv, err = New(Config{Templates: reg, Store: st, Index: e.index, Logger: e.opts.Logger})
	if err != nil {
		t.Fatal(err)
	}
	srv := e.srv
	t.Cleanup(func() { closeServer(t, srv) }) // before the store closes: commits the audited reads
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r *resp) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("body is not JSON (%v): %s", err, r.body)
	}
}

// errorsByField reads a 422 body into field → code.
func (r *resp) errorsByField(t *testing.T) map[string]string {
	t.Helper()
	var b struct {
		Errors []templates.FieldError `json:"errors"`
	}
	r.json(t, &b)
	m := map[string]string{}
	for _, e := range b.Errors {
		if e.Message == "" {
			t.Errorf("field %s has no message", e.Field)
		}
		m[e.Field] = e.Code
	}
	return m
}

func (r *resp) errorCode(t *testing.T) string {
	t.Helper()
	var b struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	r.json(t, &b)
	if b.Error.Message == "" {
		t.Errorf("error without message: %s", r.body)
	}
	return b.Error.Code
}

func (e *env) do(t *testing.T, who, method, path string, body any) *resp {
	t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		rd, ct = bytes.NewReader(b), "application/json"
	case string:
		rd, ct = strings.NewReader(b), "application/json"
	default:
		raw, _ := json.Marshal(b)
		rd, ct = bytes.NewReader(raw), "application/json"
	}
	req := httptest.NewRequest(method, path, rd)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[who])
	}
	return e.send(t, req)
}

func (e *env) send(t *testing.T, req *http.Request) *resp {
	t.Helper()
	res, err := e.srv.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return &resp{status: res.StatusCode, header: res.Header, body: b}
}

func example(t *testing.T, reg *templates.Registry, id string) map[string]any {
	t.Helper()
	tp, err := reg.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	return tp.Example()
}

func TestHealthAndAuth(t *testing.T) {
	e := newEnv(t)
	if r := e.do(t, "", "GET", "/healthz", nil); r.status != 200 {
		t.Fatalf("healthz %d", r.status)
	}
	for _, path := range []string{"/api/v1/templates", "/api/v1/templates/talk-plan", "/api/v1/records/x", "/api/v1/drafts"} {
		r := e.do(t, "", "GET", path, nil)
		if r.status != 401 || r.errorCode(t) != "unauthenticated" {
			t.Errorf("%s without token: %d %s", path, r.status, r.body)
		}
	}
	req := httptest.NewRequest("GET", "/api/v1/templates", nil)
	req.Header.Set("Authorization", "Bearer not-a-token")
	if r := e.send(t, req); r.status != 401 {
		t.Errorf("bad token: %d", r.status)
	}
	if r := e.do(t, "clerk", "GET", "/api/v1/nope", nil); r.status != 404 || r.errorCode(t) != "not_found" {
		t.Errorf("unknown route: %d %s", r.status, r.body)
	}
}

func TestTemplatesAPI(t *testing.T) {
	e := newEnv(t)
	r := e.do(t, "clerk", "GET", "/api/v1/templates", nil)
	var list []struct {
		ID, Name, Layout string
		Fields           []templates.Field
	}
	r.json(t, &list)
	if r.status != 200 || len(list) != 7 {
		t.Fatalf("%d, %d templates", r.status, len(list))
	}
	for _, tp := range list {
		if tp.Name == "" || tp.Layout == "" || len(tp.Fields) == 0 {
			t.Errorf("%s: incomplete summary %+v", tp.ID, tp)
		}
	}
	r = e.do(t, "clerk", "GET", "/api/v1/templates/integrity-reply", nil)
	var one struct {
		ID      string
		Fields  []templates.Field
		Example map[string]any
	}
	r.json(t, &one)
	if r.status != 200 || one.ID != "integrity-reply" || one.Example["recipient"] == nil {
		t.Fatalf("one template: %d %s", r.status, r.body)
	}
	var persons *templates.Field
	for i := range one.Fields {
		if one.Fields[i].Name == "persons" {
			persons = &one.Fields[i]
		}
	}
	if persons == nil || persons.Type != templates.TypeTable || len(persons.Columns) != 5 || len(persons.Columns[3].Enum) != 5 {
		t.Errorf("persons schema %+v", persons)
	}
	if r := e.do(t, "clerk", "GET", "/api/v1/templates/nope", nil); r.status != 404 || r.errorCode(t) != "template_not_found" {
		t.Errorf("unknown template: %d %s", r.status, r.body)
	}
}

func TestRenderAPI(t *testing.T) {
	e := newEnv(t)
	for _, id := range []string{"talk-plan", "inquiry-letter", "supervision-suggestion", "integrity-reply"} {
		fields := example(t, e.reg, id)
		delete(fields, "doc_number")
		fields["issuer"] = "客户端伪造的机关"
		r := e.do(t, "clerk", "POST", "/api/v1/templates/"+id+"/render", fields)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", id, r.status, r.body)
		}
		if ct := r.header.Get("Content-Type"); ct != DocxType {
			t.Errorf("%s: Content-Type %s", id, ct)
		}
		if cd := r.header.Get("Content-Disposition"); !strings.Contains(cd, "filename*=UTF-8''") || !strings.Contains(cd, "attachment") {
			t.Errorf("%s: Content-Disposition %s", id, cd)
		}
		rep, err := gbcheck.Check(r.body)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if !rep.OK() {
			t.Errorf("%s: %v", id, rep.Problems)
		}
		if bytes.Contains(r.body, []byte("伪造")) {
			t.Errorf("%s: client-sent issuer printed", id)
		}
	}
	// The UTF-8 file name carries the title.
	r := e.do(t, "clerk", "POST", "/api/v1/templates/inquiry-letter/render", withoutNumber(example(t, e.reg, "inquiry-letter")))
	if cd := r.header.Get("Content-Disposition"); !strings.Contains(cd, "%E5%87%BD%E8%AF%A2%E9%80%9A%E7%9F%A5%E4%B9%A6.docx") {
		t.Errorf("file name not 函询通知书.docx: %s", cd)
	}
}

func withoutNumber(m map[string]any) map[string]any {
	delete(m, "doc_number")
	return m
}

func TestRenderAPIErrors(t *testing.T) {
	e := newEnv(t)
	path := "/api/v1/templates/inquiry-letter/render"
	// Every bad field at once.
	fields := withoutNumber(example(t, e.reg, "inquiry-letter"))
	fields["person"] = map[string]any{}
	fields["reported_issues"] = []any{}
	fields["date"] = "2026-13-01"
	fields["classification"] = "顶级"
	fields["phone"] = strings.Repeat("1", 31)
	fields["contact"] = "a\x01b"
	r := e.do(t, "clerk", "POST", path, fields)
	if r.status != 422 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	got := r.errorsByField(t)
	for f, code := range map[string]string{"person.name": "required", "reported_issues": "too_few_items", "date": "bad_date",
		"classification": "bad_enum", "phone": "too_long", "contact": "control_char"} {
		if got[f] != code {
			t.Errorf("%s: %q, want %q (all: %v)", f, got[f], code, got)
		}
	}
	cases := []struct {
		name, who, path string
		body            any
		status          int
		code            string
	}{
		{"bad JSON", "clerk", path, `{"person": `, 400, "bad_json"},
		{"array", "clerk", path, `[1,2]`, 400, "bad_json"},
		{"trailing", "clerk", path, `{} {}`, 400, "bad_json"},
		{"too large", "clerk", path, `{"contact": "` + strings.Repeat("长", 400_000) + `"}`, 413, "body_too_large"},
		{"unknown template", "clerk", "/api/v1/templates/nope/render", `{}`, 404, "template_not_found"},
		{"archivist may not render", "archivist", path, withoutNumber(example(t, e.reg, "inquiry-letter")), 403, "forbidden_role"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(t, c.who, "POST", c.path, c.body)
			if r.status != c.status || r.errorCode(t) != c.code {
				t.Errorf("%d %s, want %d %s", r.status, r.body, c.status, c.code)
			}
		})
	}
	fields = example(t, e.reg, "inquiry-letter")
	fields["doc_number"] = "驻财纪函〔2026〕99号"
	if r := e.do(t, "clerk", "POST", path, fields); r.status != 422 || r.errorsByField(t)["doc_number"] != "assigned_on_filing" {
		t.Errorf("client 文号: %d %s", r.status, r.body)
	}
	// Hostile text: 200 with the text literal, or 422; never 500.
	for _, h := range []string{"<w:t>x</w:t>", "]]>&amp;", "\x00", "😀𠀀", strings.Repeat("长", 100_000), "# @title 伪造"} {
		fields := withoutNumber(example(t, e.reg, "inquiry-letter"))
		fields["reported_issues"] = []any{h}
		r := e.do(t, "clerk", "POST", path, fields)
		switch r.status {
		case 200:
			if _, err := gbcheck.Check(r.body); err != nil {
				t.Errorf("%q: invalid docx: %v", h, err)
			}
		case 422:
		default:
			t.Errorf("%q: status %d %s", h, r.status, r.body)
		}
	}
}

func draftBody(fields map[string]any, template string) map[string]any {
	return map[string]any{"template": template, "fields": fields, "case_no": "AJ-2026-007",
		"persons": []string{"张建国"}, "classification": "秘密", "retention": "D30"}
}

// TestFilingJourney: a clerk drafts, a second user approves, the record
// is numbered, stored and verifiable, and another unit cannot see it.
func TestFilingJourney(t *testing.T) {
	e := newEnv(t)
	plan := withoutNumber(example(t, e.reg, "talk-plan"))
	plan["method"] = "函询" // the plan of an inquiry letter
	r := e.do(t, "clerk", "POST", "/api/v1/drafts", draftBody(plan, "talk-plan"))
	if r.status != 201 {
		t.Fatalf("create draft: %d %s", r.status, r.body)
	}
	var d struct{ ID, Status string }
	r.json(t, &d)
	if d.ID == "" || d.Status == "" {
		t.Fatalf("draft %s", r.body)
	}
	if r := e.do(t, "clerk", "GET", "/api/v1/drafts/"+d.ID+"/preview", nil); r.status != 200 || !bytes.HasPrefix(r.body, []byte("PK")) {
		t.Fatalf("preview: %d", r.status)
	}
	if r := e.do(t, "clerk", "POST", "/api/v1/drafts/"+d.ID+"/approve", nil); r.status != 403 {
		t.Errorf("clerk approved: %d", r.status)
	}
	if r := e.do(t, "otherApprover", "POST", "/api/v1/drafts/"+d.ID+"/approve", nil); r.status != 404 && r.status != 403 {
		t.Errorf("approver of another unit: %d %s", r.status, r.body)
	}
	r = e.do(t, "approver", "POST", "/api/v1/drafts/"+d.ID+"/approve", nil)
	if r.status != 201 {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}
	var rec struct {
		ID, DocNumber, ArchiveCode, Title string
	}
	r.json(t, &rec)
	raw := map[string]any{}
	r.json(t, &raw)
	rec.DocNumber, _ = raw["doc_number"].(string)
	rec.ArchiveCode, _ = raw["archive_code"].(string)
	if !strings.HasPrefix(rec.ArchiveCode, "Z109-WS·") || !strings.HasSuffix(rec.ArchiveCode, "-D30-CZT-0001") {
		t.Errorf("档号 %q", rec.ArchiveCode)
	}
	if rec.DocNumber != "" {
		t.Errorf("talk plan (an internal paper) got 文号 %q", rec.DocNumber)
	}

	// The inquiry letter must reference the filed plan.
	letter := withoutNumber(example(t, e.reg, "inquiry-letter"))
	delete(letter, "plan_record_id")
	r = e.do(t, "clerk", "POST", "/api/v1/drafts", draftBody(letter, "inquiry-letter"))
	if r.status != 201 {
		t.Fatalf("letter draft: %d %s", r.status, r.body)
	}
	var ld struct{ ID string }
	r.json(t, &ld)
	if r := e.do(t, "approver", "POST", "/api/v1/drafts/"+ld.ID+"/approve", nil); r.status != 409 {
		t.Errorf("letter without plan approved: %d %s", r.status, r.body)
	}
	letter["plan_record_id"] = rec.ID
	r = e.do(t, "clerk", "PUT", "/api/v1/drafts/"+ld.ID, draftBody(letter, "inquiry-letter"))
	if r.status != 200 {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	r = e.do(t, "approver", "POST", "/api/v1/drafts/"+ld.ID+"/approve", nil)
	if r.status != 201 {
		t.Fatalf("approve letter: %d %s", r.status, r.body)
	}
	var lrec map[string]any
	r.json(t, &lrec)
	num, _ := lrec["doc_number"].(string)
	if !strings.HasPrefix(num, "驻财纪函〔") || !strings.HasSuffix(num, "〕1号") || !templates.ValidDocNumber(num) {
		t.Errorf("letter 文号 %q, want the first number of the unit's 函 series this year", num)
	}
	id := lrec["id"].(string)

	// Content: the exact stored bytes, with the number printed.
	r = e.do(t, "auditor", "GET", "/api/v1/records/"+id+"/content", nil)
	if r.status != 200 {
		t.Fatalf("content: %d %s", r.status, r.body)
	}
	rep, err := gbcheck.Check(r.body)
	if err != nil || !rep.OK() {
		t.Errorf("filed letter: %v %v", err, rep)
	}
	if !bytes.Contains(r.body, []byte("PK")) || r.header.Get("X-Wenshu-SM3") == "" {
		t.Error("no digest headers")
	}
	r = e.do(t, "auditor", "GET", "/api/v1/records/"+id+"/verify", nil)
	var v struct {
		OK     bool
		Checks []struct {
			Name string
			OK   bool
		}
	}
	r.json(t, &v)
	if r.status != 200 || !v.OK || len(v.Checks) < 6 {
		t.Errorf("verify: %d %s", r.status, r.body)
	}
	// Another unit: not found, whatever the role.
	for _, who := range []string{"other", "otherApprover"} {
		for _, p := range []string{"", "/content", "/verify", "/audit"} {
			if r := e.do(t, who, "GET", "/api/v1/records/"+id+p, nil); r.status != 404 {
				t.Errorf("%s reads %s%s: %d", who, id, p, r.status)
			}
		}
	}
	// Below the record's clearance (秘密): not found either.
	if r := e.do(t, "lowclerk", "GET", "/api/v1/records/"+id, nil); r.status != 404 {
		t.Errorf("内部 clerk reads a 秘密 record: %d", r.status)
	}
	if r := e.do(t, "auditor", "GET", "/api/v1/records/"+id+"/audit", nil); r.status != 200 || !bytes.Contains(r.body, []byte("approve")) && !bytes.Contains(r.body, []byte("file")) {
		t.Errorf("audit: %d %s", r.status, r.body)
	}
}

func TestSelfApprovalRefused(t *testing.T) {
	e := newEnv(t)
	r := e.do(t, "approver", "POST", "/api/v1/drafts", draftBody(withoutNumber(example(t, e.reg, "talk-plan")), "talk-plan"))
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	var d struct{ ID string }
	r.json(t, &d)
	r = e.do(t, "approver", "POST", "/api/v1/drafts/"+d.ID+"/approve", nil)
	if r.status != 409 {
		t.Fatalf("self-approval: %d %s", r.status, r.body)
	}
	if code := r.errorCode(t); code == "" {
		t.Error("no code")
	}
}

func TestDraftValidationErrors(t *testing.T) {
	e := newEnv(t)
	fields := withoutNumber(example(t, e.reg, "talk-plan"))
	fields["interviewers"] = []any{map[string]any{"name": "刘强", "position": "副组长"}}
	r := e.do(t, "clerk", "POST", "/api/v1/drafts", draftBody(fields, "talk-plan"))
	if r.status != 422 || r.errorsByField(t)["interviewers"] != "too_few_items" {
		t.Errorf("one interviewer: %d %s", r.status, r.body)
	}
	body := draftBody(withoutNumber(example(t, e.reg, "talk-plan")), "talk-plan")
	body["retention"] = "D99"
	if r := e.do(t, "clerk", "POST", "/api/v1/drafts", body); r.status != 422 && r.status != 400 {
		t.Errorf("bad retention: %d %s", r.status, r.body)
	}
	body = draftBody(withoutNumber(example(t, e.reg, "talk-plan")), "talk-plan")
	body["unit"] = "别的单位"
	if r := e.do(t, "clerk", "POST", "/api/v1/drafts", body); r.status != 422 || r.errorsByField(t)["unit"] != "unknown_field" {
		t.Errorf("client-sent unit: %d %s", r.status, r.body)
	}
	if r := e.do(t, "archivist", "POST", "/api/v1/drafts", draftBody(withoutNumber(example(t, e.reg, "talk-plan")), "talk-plan")); r.status != 403 {
		t.Errorf("archivist drafts: %d", r.status)
	}
}

func TestImportAPI(t *testing.T) {
	e := newEnv(t)
	upload := func(who, name string, data []byte, form map[string]string) *resp {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		if name != "" {
			fw, _ := mw.CreateFormFile("file", name)
			fw.Write(data)
		}
		for k, v := range form {
			mw.WriteField(k, v)
		}
		mw.Close()
		req := httptest.NewRequest("POST", "/api/v1/records/import", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+e.tokens[who])
		return e.send(t, req)
	}
	form := map[string]string{"title": "关于2024年度党风廉政建设情况的报告", "kind": "报告", "year": "2024",
		"classification": "内部", "retention": "Y", "persons": "张三、李四", "case_no": "AJ-2024-001"}
	r := upload("archivist", "report.txt", []byte("2024年度，派驻纪检监察组认真履行监督责任，开展谈话函询12人次。"), form)
	if r.status != 201 {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	var rec map[string]any
	r.json(t, &rec)
	if code, _ := rec["archive_code"].(string); !strings.Contains(code, "WS·2024-Y-") {
		t.Errorf("档号 %v", rec["archive_code"])
	}
	// Imported records are searchable at once, with their persons.
	r = e.do(t, "archivist", "GET", "/api/v1/search?q="+url.QueryEscape("谈话函询 人员:李四"), nil)
	if r.status != 200 || !strings.Contains(string(r.body), rec["id"].(string)) {
		t.Errorf("imported record not found by search: %d %s", r.status, r.body)
	}
	bad := []struct {
		name, who, file string
		data            []byte
		status          int
	}{
		{"empty", "archivist", "a.txt", nil, 422},
		{"not a docx", "archivist", "a.docx", []byte("hello"), 422},
		{"binary txt", "archivist", "a.txt", []byte{0xff, 0x00, 0xfe}, 422},
		{"exe", "archivist", "a.exe", []byte("MZ"), 422},
		{"no file", "archivist", "", nil, 422},
		{"clerk", "clerk", "a.txt", []byte("文本"), 403},
	}
	for _, b := range bad {
		r := upload(b.who, b.file, b.data, form)
		if r.status != b.status && !(b.status == 422 && r.status == 400) {
			t.Errorf("%s: %d %s, want %d", b.name, r.status, r.body, b.status)
		}
	}
}

func newUser(name, role, unit, clearance string) identity.NewUser {
	return identity.NewUser{Name: name, Role: identity.Role(role), Unit: unit, Clearance: clearance}
}

func mustUnit(t *testing.T, e *env, name string) int64 {
	t.Helper()
	u, err := e.store.Identity().UnitByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func mustUser(t *testing.T, e *env, name string) int64 {
	t.Helper()
	u, err := e.store.Identity().UserByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestPanicIsA500: a panicking handler answers 500 with a request id and
// nothing of the panic, and the server keeps serving.
func TestPanicIsA500(t *testing.T) {
	e := newEnv(t)
	app := fiber.New(fiber.Config{ErrorHandler: e.srv.handleError})
	app.Use(e.srv.requestID, e.srv.accessLog, e.srv.recoverPanic)
	app.Get("/boom", func(c *fiber.Ctx) error { panic("boom: secret detail") })
	app.Get("/ok", func(c *fiber.Ctx) error { return c.SendString("ok") })
	for i := 0; i < 2; i++ {
		res, err := app.Test(httptest.NewRequest("GET", "/boom", nil), -1)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		r := &resp{status: res.StatusCode, body: b}
		if r.status != 500 || r.errorCode(t) != "internal" || strings.Contains(string(b), "secret") {
			t.Errorf("panic: %d %s", r.status, b)
		}
	}
	if res, err := app.Test(httptest.NewRequest("GET", "/ok", nil), -1); err != nil || res.StatusCode != 200 {
		t.Errorf("after a panic: %v %v", res, err)
	}
}
