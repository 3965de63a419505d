package archive

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"wenshu/identity"
	"wenshu/internal/testenv"
	"wenshu/problem"
	"wenshu/templates"
)

func TestMain(m *testing.M) { os.Exit(testenv.RunWithMinIO(m)) }

// fakeTemplates stands in for the template registry: "talk-plan",
// "inquiry-letter" and "notice" exist; field "title" is required and must
// not contain "坏". Rendering is deterministic, like docgen's.
type fakeTemplates struct{}

type fakeFieldError struct{ Field, Code string }

func (e fakeFieldError) Error() string { return "templates: " + e.Field + ": " + e.Code }

var fakeIDs = map[string]string{"talk-plan": "谈话方案", "inquiry-letter": "函询通知书", "notice": "通知"}

func (fakeTemplates) Validate(id string, fields map[string]any) error {
	if _, ok := fakeIDs[id]; !ok {
		return templates.ErrUnknownTemplate
	}
	t, _ := fields["title"].(string)
	if t == "" {
		return fakeFieldError{"title", "required"}
	}
	if strings.Contains(t, "坏") {
		return fakeFieldError{"title", "bad"}
	}
	return nil
}

// Numbered: the talk plan is an internal paper without a 发文字号.
func (fakeTemplates) Numbered(id string) bool { return id != "talk-plan" }

func (f fakeTemplates) Render(req templates.RenderRequest) (*templates.Rendered, error) {
	if err := f.Validate(req.TemplateID, req.Fields); err != nil {
		return nil, err
	}
	title, _ := req.Fields["title"].(string)
	if strings.Contains(title, "渲染失败") && !req.Preview {
		return nil, errors.New("fake render failure")
	}
	num := req.DocNumber
	if num == "" && req.Preview {
		num = fmt.Sprintf("〔%d〕  号", req.Date.Year())
	}
	var keys []string
	for k := range req.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	lines := []string{req.IssuerName, num, title}
	for _, k := range keys {
		lines = append(lines, fmt.Sprintf("%s：%v", k, req.Fields[k]))
	}
	lines = append(lines, req.Date.Format("2006年1月2日"))
	docx := makeDocx(lines)
	return &templates.Rendered{Docx: docx, Title: title, Kind: fakeIDs[req.TemplateID], Text: strings.Join(lines, "\n")}, nil
}

func makeDocx(lines []string) []byte {
	var body strings.Builder
	body.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>`)
	for _, l := range lines {
		body.WriteString(`<w:p><w:r><w:t xml:space="preserve">`)
		xml.EscapeText(&body, []byte(l))
		body.WriteString(`</w:t></w:r></w:p>`)
	}
	body.WriteString(`</w:body></w:document>`)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	mod := time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, p := range []struct{ name, data string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`},
		{"word/document.xml", body.String()},
	} {
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: p.name, Method: zip.Deflate, Modified: mod})
		w.Write([]byte(p.data))
	}
	zw.Close()
	return buf.Bytes()
}

// env is one test's archive: a store on the shared MinIO with its own
// bucket and data directory, one unit and a user of each role.
type env struct {
	t        testing.TB
	ctx      context.Context
	srv      *testenv.MinIOServer
	s        *Store
	opts     Options
	unit     *identity.Unit
	clerk    *identity.User
	clerk2   *identity.User
	approver *identity.User
	appr2    *identity.User
	archiv   *identity.User
	auditor  *identity.User
}

func newEnv(t testing.TB, mod ...func(*Options)) *env {
	t.Helper()
	return newEnvOn(t, testenv.MinIO(t), mod...)
}

// newEnvOn is newEnv on a given MinIO (a fault test's own, StartMinIO).
func newEnvOn(t testing.TB, srv *testenv.MinIOServer, mod ...func(*Options)) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), srv: srv}
	e.opts = Options{
		DataDir: testenv.TempDataDir(t), S3Endpoint: srv.Endpoint, S3AccessKey: srv.AccessKey, S3SecretKey: srv.SecretKey,
		Bucket: srv.Bucket(t), Templates: fakeTemplates{},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, m := range mod {
		m(&e.opts)
	}
	e.s = e.open()
	var err error
	e.unit, err = e.s.Identity().AddUnit(e.ctx, identity.UnitInput{Name: "中央纪委国家监委驻测试部纪检监察组", Code: "驻测纪", Fonds: "Z109", Org: "JJZ"})
	if err != nil {
		t.Fatal(err)
	}
	e.clerk = e.user("张承办", identity.RoleClerk, e.unit.Name, identity.ClearanceSecret)
	e.clerk2 = e.user("李承办", identity.RoleClerk, e.unit.Name, identity.ClearanceSecret)
	e.approver = e.user("王审批", identity.RoleApprover, e.unit.Name, identity.ClearanceConfidential)
	e.appr2 = e.user("赵审批", identity.RoleApprover, e.unit.Name, identity.ClearanceInternal)
	e.archiv = e.user("钱档案", identity.RoleArchivist, e.unit.Name, identity.ClearanceSecret)
	e.auditor = e.user("孙审计", identity.RoleAuditor, e.unit.Name, identity.ClearanceConfidential)
	return e
}

func (e *env) open() *Store {
	e.t.Helper()
	s, err := New(e.ctx, e.opts)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { s.Close() })
	return s
}

// reopen closes the store and opens it again on the same data and bucket.
func (e *env) reopen() {
	e.t.Helper()
	e.s.Close()
	e.s = e.open()
}

func (e *env) user(name string, role identity.Role, unit, clearance string) *identity.User {
	e.t.Helper()
	res, err := e.s.Identity().AddUser(e.ctx, identity.NewUser{Name: name, Role: role, Unit: unit, Clearance: clearance})
	if err != nil {
		e.t.Fatal(err)
	}
	return res.User
}

func (e *env) draft(author *identity.User, tpl, title string, extra ...string) *Draft {
	e.t.Helper()
	fields := map[string]any{"title": title}
	for i := 0; i+1 < len(extra); i += 2 {
		fields[extra[i]] = extra[i+1]
	}
	d, err := e.s.CreateDraft(e.ctx, author, DraftInput{TemplateID: tpl, Fields: fields, CaseNo: "驻测纪案〔2026〕3号",
		Persons: []string{"某甲", "某乙"}, Classification: identity.ClearanceInternal, Retention: Retention30})
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

func (e *env) file(title string) *Record {
	e.t.Helper()
	d := e.draft(e.clerk, "notice", title)
	r, err := e.s.ApproveDraft(e.ctx, e.approver, d.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// wantErr asserts err wraps kind and, if code is set, carries that code.
func wantErr(t testing.TB, err error, kind error, code string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("err = %v, want kind %v", err, kind)
	}
	var ae *problem.Error
	if code != "" && (!errors.As(err, &ae) || ae.Code != code) {
		t.Fatalf("err = %v, want code %s", err, code)
	}
	if errors.As(err, &ae) && ae.Message == "" {
		t.Fatalf("err %v has no message", err)
	}
}

// count runs a COUNT query on the store's catalog.
func (e *env) count(q string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.s.cat.Reader().QueryRowContext(e.ctx, q, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return n
}
