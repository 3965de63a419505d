package archive

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"wenshu/identity"
	"wenshu/internal/testenv"
	"wenshu/templates"
)

// realTemplates loads the project's template registry.
func realTemplates(t testing.TB) *templates.Registry {
	t.Helper()
	reg, err := templates.New(templates.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// exampleFields reads a built-in template's example.json as draft fields
// (without the fields the archive fills in itself).
func exampleFields(t testing.TB, id string) map[string]any {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "templates", "builtin", id, "example.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]any
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	delete(f, "doc_number")
	delete(f, "issuer")
	return f
}

var _ Templates = (*templates.Registry)(nil)

// TestRealTemplatesTalkPlanThenInquiry files a 谈话方案 and then a 函询通知书
// citing it, with the real registry and Word engine.
func TestRealTemplatesTalkPlanThenInquiry(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Templates = realTemplates(t) })
	ctx := e.ctx
	mk := func(id string, fields map[string]any) *Draft {
		d, err := e.s.CreateDraft(ctx, e.clerk, DraftInput{TemplateID: id, Fields: fields, CaseNo: "驻测纪线索〔2026〕12号",
			Persons: []string{"张建国"}, Classification: identity.ClearanceSecret, Retention: RetentionPermanent})
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		return d
	}
	if _, err := e.s.Identity().SetUnitHead(ctx, nil, e.unit.ID, e.approver.Name); err != nil {
		t.Fatal(err)
	}
	planFields := exampleFields(t, "talk-plan")
	planFields["method"] = "函询" // a letter follows a plan whose 处置方式 is 函询
	plan, err := e.s.ApproveDraft(ctx, e.approver, mk("talk-plan", planFields).ID)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Kind == "" || plan.Title == "" || plan.Retention != RetentionPermanent {
		t.Errorf("talk plan record: %+v", plan)
	}
	// 永久 records are locked for the configured horizon (default 100 years).
	if plan.RetainUntil.Year() != plan.FiledAt.Year()+100 {
		t.Errorf("retain until %v", plan.RetainUntil)
	}

	fields := exampleFields(t, "inquiry-letter")
	fields["plan_record_id"] = "01ARZ3NDEKTSV4RRFFQ69G5FAV" // well-formed, but no such record
	bad := mk("inquiry-letter", fields)
	_, err = e.s.ApproveDraft(ctx, e.approver, bad.ID)
	wantErr(t, err, ErrConflict, "plan_required")

	fields["plan_record_id"] = plan.ID
	d := mk("inquiry-letter", fields)
	prev, err := e.s.PreviewDraft(ctx, e.clerk, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(prev.Text, "〕　号") || regexp.MustCompile(`〔\d{4}〕\d+号`).MatchString(prev.Text) {
		t.Errorf("the preview should carry a blank number:\n%s", prev.Text)
	}
	rec, err := e.s.ApproveDraft(ctx, e.approver, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	text, err := e.s.RecordText(ctx, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, rec.DocNumber) || !strings.Contains(text, e.unit.Name) {
		t.Errorf("the filed letter lacks its number %s or issuer:\n%s", rec.DocNumber, text)
	}
	for _, r := range []*Record{plan, rec} {
		if v, err := e.s.Verify(ctx, e.auditor, r.ID); err != nil || !v.OK {
			t.Errorf("verify %s: %+v %v", r.Kind, v, err)
		}
	}
	// A clerk below 秘密 clearance cannot see either.
	low := e.user("低密级承办", identity.RoleClerk, e.unit.Name, identity.ClearanceInternal)
	_, err = e.s.GetRecord(ctx, low, rec.ID)
	wantErr(t, err, ErrNotFound, "not_found")
}
