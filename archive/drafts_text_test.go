package archive

import (
	"testing"

	"wenshu/identity"
	"wenshu/problem"
)

// TestDraftTextRule: a draft's case_no and persons, and a return reason,
// follow the text rule: invalid UTF-8, U+FFFD, controls and bidi/format
// characters are a 422 naming the field, on create and on update.
func TestDraftTextRule(t *testing.T) {
	e := newEnv(t)
	base := func() DraftInput {
		return DraftInput{TemplateID: "notice", Fields: map[string]any{"title": "关于开展谈话函询的通知"}, CaseNo: "驻测纪案〔2026〕3号",
			Persons: []string{"张建国"}, Classification: identity.ClearanceInternal, Retention: Retention30}
	}
	cases := []struct {
		name  string
		edit  func(*DraftInput)
		field string
		code  string
	}{
		{"RLO in case_no", func(in *DraftInput) { in.CaseNo = "AJ-\u202e2026" }, "case_no", "control_char"},
		{"LRI in case_no", func(in *DraftInput) { in.CaseNo = "AJ\u2066-1" }, "case_no", "control_char"},
		{"NEL in case_no", func(in *DraftInput) { in.CaseNo = "AJ\u0085-1" }, "case_no", "control_char"},
		{"invalid UTF-8 in case_no", func(in *DraftInput) { in.CaseNo = "AJ\xff" }, "case_no", "invalid_char"},
		{"U+FFFD in case_no", func(in *DraftInput) { in.CaseNo = "AJ\ufffd" }, "case_no", "invalid_char"},
		{"RLO in persons", func(in *DraftInput) { in.Persons = []string{"张三", "李\u202e四"} }, "persons", "control_char"},
		{"BOM in persons", func(in *DraftInput) { in.Persons = []string{"\ufeff王五"} }, "persons", "control_char"},
		{"LRM in persons", func(in *DraftInput) { in.Persons = []string{"王\u200e五"} }, "persons", "control_char"},
		{"invalid UTF-8 in persons", func(in *DraftInput) { in.Persons = []string{"王\xc3"} }, "persons", "invalid_char"},
		{"printed classification differs", func(in *DraftInput) {
			in.Fields["classification"] = identity.ClearancePublic
		}, "fields.classification", "classification_mismatch"},
	}
	ok, err := e.s.CreateDraft(e.ctx, e.clerk, base())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := base()
			c.edit(&in)
			_, err := e.s.CreateDraft(e.ctx, e.clerk, in)
			wantField(t, err, c.field, c.code)
			_, err = e.s.UpdateDraft(e.ctx, e.clerk, ok.ID, in)
			wantField(t, err, c.field, c.code)
		})
	}
	// The same printed classification, or none, is accepted.
	in := base()
	in.Fields["classification"] = identity.ClearanceInternal
	if _, err := e.s.CreateDraft(e.ctx, e.clerk, in); err != nil {
		t.Fatal(err)
	}
	_, err = e.s.ReturnDraft(e.ctx, e.approver, ok.ID, "请补充\u202e事实")
	wantField(t, err, "reason", "control_char")
	if _, err := e.s.ReturnDraft(e.ctx, e.approver, ok.ID, "请补充事实。\r\n并附证据。"); err != nil {
		t.Fatalf("a reason of two lines: %v", err)
	}
	// Nothing refused was stored.
	d, err := e.s.GetDraft(e.ctx, e.clerk, ok.ID)
	if err != nil || d.CaseNo != "驻测纪案〔2026〕3号" || len(d.Persons) != 1 || d.Persons[0] != "张建国" {
		t.Fatalf("%+v %v", d, err)
	}
}

// wantField asserts err is a 422-kind error naming field with code.
func wantField(t *testing.T, err error, field, code string) {
	t.Helper()
	pe, ok := err.(*problem.Error)
	if !ok || pe.Kind != problem.ErrInvalid || pe.Field != field || pe.Code != code || pe.Message == "" {
		t.Fatalf("err = %#v, want %s on %s", err, code, field)
	}
}
