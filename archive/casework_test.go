package archive

import (
	"fmt"
	"strings"
	"testing"

	"wenshu/identity"
	"wenshu/problem"
)

// caseEnv is an archive on the real registry whose unit head is e.approver.
type caseEnv struct {
	*env
	caseNo string
}

func newCaseEnv(t *testing.T) *caseEnv {
	t.Helper()
	e := newEnv(t, func(o *Options) { o.Templates = realTemplates(t) })
	if _, err := e.s.Identity().SetUnitHead(e.ctx, nil, e.unit.ID, e.approver.Name); err != nil {
		t.Fatal(err)
	}
	return &caseEnv{env: e, caseNo: "驻测纪线索〔2026〕12号"}
}

// draftOf creates a draft of template id from its example, with changes.
func (e *caseEnv) draftOf(id, caseNo string, set map[string]any) *Draft {
	e.t.Helper()
	f := exampleFields(e.t, id)
	delete(f, "classification") // printed as the draft's
	for k, v := range set {
		f[k] = v
	}
	d, err := e.s.CreateDraft(e.ctx, e.clerk, DraftInput{TemplateID: id, Fields: f, CaseNo: caseNo,
		Persons: []string{"张建国"}, Classification: identity.ClearanceSecret, Retention: RetentionPermanent})
	if err != nil {
		e.t.Fatalf("%s: %v", id, err)
	}
	return d
}

func (e *caseEnv) fileOf(id string, set map[string]any) *Record {
	e.t.Helper()
	r, err := e.s.ApproveDraft(e.ctx, e.approver, e.draftOf(id, e.caseNo, set).ID)
	if err != nil {
		e.t.Fatalf("approve %s: %v", id, err)
	}
	return r
}

func (e *caseEnv) plan(method string) *Record {
	return e.fileOf("talk-plan", map[string]any{"method": method})
}

func wantConflictField(t *testing.T, err error, code, field string) {
	t.Helper()
	wantErr(t, err, ErrConflict, code)
	if pe, _ := err.(*problem.Error); pe == nil || pe.Field != field {
		t.Fatalf("err %v: want field %s", err, field)
	}
}

func TestHeadApproval(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Templates = realTemplates(t) })
	d := (&caseEnv{env: e}).draftOf("talk-plan", "案1", nil)
	// No head named yet: nobody may sign a head-approval template.
	_, err := e.s.ApproveDraft(e.ctx, e.approver, d.ID)
	wantErr(t, err, ErrForbidden, "head_required")
	for _, name := range []string{e.clerk.Name, "无此人"} {
		if _, err := e.s.Identity().SetUnitHead(e.ctx, nil, e.unit.ID, name); !errorsIsInvalid(err) {
			t.Fatalf("head %s: %v", name, err)
		}
	}
	if _, err := e.s.Identity().SetUnitHead(e.ctx, nil, e.unit.ID, e.approver.Name); err != nil {
		t.Fatal(err)
	}
	deputy := e.user("副组长", identity.RoleApprover, e.unit.Name, identity.ClearanceConfidential)
	_, err = e.s.ApproveDraft(e.ctx, deputy, d.ID)
	wantErr(t, err, ErrForbidden, "head_required")
	if _, err := e.s.ApproveDraft(e.ctx, e.approver, d.ID); err != nil {
		t.Fatal(err)
	}
	// Templates without "approval": "head": any approver, as before.
	r := (&caseEnv{env: e}).draftOf("integrity-reply", "", nil)
	if _, err := e.s.ApproveDraft(e.ctx, deputy, r.ID); err != nil {
		t.Fatalf("integrity reply by another approver: %v", err)
	}
}

func errorsIsInvalid(err error) bool {
	pe, ok := err.(*problem.Error)
	return ok && pe.Kind == ErrInvalid && pe.Field == "name"
}

func TestLetterSeries(t *testing.T) {
	e := newCaseEnv(t)
	plan := e.plan("函询")
	l1 := e.fileOf("inquiry-letter", map[string]any{"plan_record_id": plan.ID})
	l2 := e.fileOf("inquiry-letter", map[string]any{"plan_record_id": plan.ID})
	sug := e.fileOf("supervision-suggestion", nil)
	y := l1.Year
	for rec, want := range map[*Record]string{
		l1: fmt.Sprintf("驻测纪函〔%d〕1号", y), l2: fmt.Sprintf("驻测纪函〔%d〕2号", y), sug: fmt.Sprintf("驻测纪〔%d〕1号", y),
	} {
		if rec.DocNumber != want {
			t.Errorf("%s: 文号 %s, want %s", rec.Kind, rec.DocNumber, want)
		}
		text, err := e.s.RecordText(e.ctx, rec.ID)
		if err != nil || !strings.Contains(text, want) {
			t.Errorf("%s: the document does not print %s (%v)", rec.Kind, want, err)
		}
	}
}

func TestPlanRuleExact(t *testing.T) {
	e := newCaseEnv(t)
	inquiry, talk := e.plan("函询"), e.plan("谈话")
	otherCase, err := e.s.ApproveDraft(e.ctx, e.approver, e.draftOf("talk-plan", "另案〔2026〕1号", map[string]any{"method": "函询"}).ID)
	if err != nil {
		t.Fatal(err)
	}
	old := e.plan("函询")
	corr, err := e.s.Supersede(e.ctx, e.clerk, old.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.ApproveDraft(e.ctx, e.approver, corr.ID); err != nil {
		t.Fatal(err)
	}
	other := map[string]any{"name": "李四", "gender": "男", "unit": "省财政厅", "position": "科长"}
	for _, tc := range []struct {
		name, tpl, plan string
		set             map[string]any
		code, field     string
	}{
		{"letter: wrong person", "inquiry-letter", inquiry.ID, map[string]any{"person": other}, "plan_person_mismatch", "fields.person"},
		{"letter: plan for a talk", "inquiry-letter", talk.ID, nil, "plan_method_mismatch", "plan_record_id"},
		{"letter: superseded plan", "inquiry-letter", old.ID, nil, "plan_superseded", "plan_record_id"},
		{"letter: other case", "inquiry-letter", otherCase.ID, nil, "plan_other_case", "plan_record_id"},
		{"talk record: plan for a letter", "talk-record", inquiry.ID, nil, "plan_method_mismatch", "plan_record_id"},
		{"talk record: other 谈话方式", "talk-record", talk.ID, map[string]any{"method": "委托谈话"}, "plan_method_mismatch", "fields.method"},
		{"talk record: wrong person", "talk-record", talk.ID, map[string]any{"person": other}, "plan_person_mismatch", "fields.person"},
		{"letter: fits", "inquiry-letter", inquiry.ID, nil, "", ""},
		{"talk record: fits", "talk-record", talk.ID, nil, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set := map[string]any{"plan_record_id": tc.plan}
			for k, v := range tc.set {
				set[k] = v
			}
			_, err := e.s.ApproveDraft(e.ctx, e.approver, e.draftOf(tc.tpl, e.caseNo, set).ID)
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantConflictField(t, err, tc.code, tc.field)
		})
	}
}
