package server

import (
	"bytes"
	"mime/multipart"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"wenshu/docgen"
	"wenshu/identity"
	"wenshu/internal/office"
	"wenshu/templates"
)

// caseEnv is env with a settable clock (UTC+8 dates) and a second approver
// of unit A who is not its head.
type caseEnv struct {
	*env
	mu  sync.Mutex
	now time.Time
}

var cst = time.FixedZone("CST", 8*3600)

func newCaseEnv(t *testing.T) *caseEnv {
	t.Helper()
	ce := &caseEnv{env: newEnv(t), now: time.Date(2026, 9, 24, 10, 0, 0, 0, cst)}
	ce.opts.Now = func() time.Time { ce.mu.Lock(); defer ce.mu.Unlock(); return ce.now }
	ce.open(t, templates.Options{})
	res, err := ce.store.Identity().AddUser(t.Context(), identity.NewUser{Name: "何副", Role: identity.RoleApprover, Unit: unitA,
		Clearance: identity.ClearanceConfidential})
	if err != nil {
		t.Fatal(err)
	}
	ce.tokens["deputy"] = res.Token
	return ce
}

func (e *caseEnv) setDay(y int, m time.Month, d int) {
	e.mu.Lock()
	e.now = time.Date(y, m, d, 10, 0, 0, 0, cst)
	e.mu.Unlock()
}

// draft creates a draft of template tpl with fields (classification left to
// the draft's); it returns the draft id.
func (e *caseEnv) draft(t *testing.T, tpl string, fields map[string]any) string {
	t.Helper()
	delete(fields, "classification")
	r := e.do(t, "clerk", "POST", "/api/v1/drafts", draftBody(withoutNumber(fields), tpl))
	if r.status != 201 {
		t.Fatalf("draft %s: %d %s", tpl, r.status, r.body)
	}
	var d struct{ ID string }
	r.json(t, &d)
	return d.ID
}

type recordJSON struct {
	ID        string `json:"id"`
	DocNumber string `json:"doc_number"`
}

func (e *caseEnv) approve(t *testing.T, who, draftID string) recordJSON {
	t.Helper()
	r := e.do(t, who, "POST", "/api/v1/drafts/"+draftID+"/approve", nil)
	if r.status != 201 {
		t.Fatalf("approve by %s: %d %s", who, r.status, r.body)
	}
	var rec recordJSON
	r.json(t, &rec)
	return rec
}

// wantProblem asserts status, code and field of an error answer.
func wantProblem(t *testing.T, r *resp, status int, code, field string) {
	t.Helper()
	var body struct {
		Error  struct{ Code, Field, Message string }
		Errors []struct{ Code, Field, Message string } // 422
	}
	r.json(t, &body)
	if len(body.Errors) == 1 {
		body.Error = body.Errors[0]
	}
	if r.status != status || body.Error.Code != code || body.Error.Field != field || body.Error.Message == "" {
		t.Fatalf("got %d %s, want %d %s on %q", r.status, r.body, status, code, field)
	}
}

type deadlineJSON struct {
	ID, Kind, RecordID, CaseNo, Person, Due, Status, Basis string
	OnTime                                                 *bool
	Provisional                                            bool
}

func (e *caseEnv) deadlines(t *testing.T, q url.Values) []deadlineJSON {
	t.Helper()
	r := e.do(t, "clerk", "GET", "/api/v1/deadlines?"+q.Encode(), nil)
	if r.status != 200 {
		t.Fatalf("deadlines: %d %s", r.status, r.body)
	}
	var out []struct {
		ID          string `json:"id"`
		Kind        string `json:"kind"`
		RecordID    string `json:"record_id"`
		CaseNo      string `json:"case_no"`
		Person      string `json:"person"`
		Due         string `json:"due"`
		Status      string `json:"status"`
		OnTime      *bool  `json:"on_time"`
		Provisional bool   `json:"provisional"`
		Basis       string `json:"basis"`
	}
	r.json(t, &out)
	list := make([]deadlineJSON, len(out))
	for i, d := range out {
		list[i] = deadlineJSON{d.ID, d.Kind, d.RecordID, d.CaseNo, d.Person, d.Due, d.Status, d.Basis, d.OnTime, d.Provisional}
	}
	return list
}

// upload posts a reply file to letter id.
func (e *caseEnv) upload(t *testing.T, id, name string, data []byte, receivedOn string) *resp {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.WriteField("received_on", receivedOn)
	mw.WriteField("opinion_signed", "true")
	mw.Close()
	req := httptest.NewRequest("POST", "/api/v1/records/"+id+"/replies", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+e.tokens["clerk"])
	return e.send(t, req)
}

// scannedReply renders a 函询回复 with docgen, prints it with LibreOffice
// and rasterises the first page at 200 dpi in grey: a scan.
func scannedReply(t *testing.T) []byte {
	t.Helper()
	docx, err := docgen.Render(&docgen.Document{
		Layout: docgen.LayoutPlain, Title: "函询回复", Recipients: "中共某某省纪委监委驻省财政厅纪检监察组",
		Body: []docgen.Block{
			docgen.Paragraph{Text: "本人收到函询通知书后，现就函询所列问题如实说明如下。"},
			docgen.Paragraph{Text: "经认真回忆，本人未收受任何单位和个人的礼金、有价证券或者支付凭证，所反映问题不属实。"},
			docgen.Paragraph{Text: "以上情况属实。本人对所说明的内容负责，如有不实，愿意承担相应责任。"},
		},
		Signature: "张建国", Date: "2026年10月20日",
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "reply.docx")
	if err := os.WriteFile(path, docx, 0o600); err != nil {
		t.Fatal(err)
	}
	pdf := office.ToPDF(t, dir, path)[0]
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		t.Fatal("pdftoppm not found: run scripts/deps.sh")
	}
	prefix := filepath.Join(dir, "scan")
	if out, err := exec.Command("pdftoppm", "-r", "200", "-gray", "-png", "-f", "1", "-l", "1", "-singlefile", pdf, prefix).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	png, err := os.ReadFile(prefix + ".png")
	if err != nil {
		t.Fatal(err)
	}
	return png
}
