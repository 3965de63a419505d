package archive

import (
	"context"
	"errors"
	"strings"

	"wenshu/identity"
	"wenshu/problem"
	"wenshu/templates"
)

// The 谈话函询 rules applied when a draft is signed off (签发):
//
//   - approval by the unit's head (主要负责人) for templates whose manifest
//     says "approval": "head" (checkHeadApproval);
//   - the plan rule: a 函询通知书 or 谈话记录 cites a filed, current 谈话方案
//     of the same unit and case, for the same person, with a matching
//     处置方式 (checkPlanRule);
//   - the 文号 series: a template with "doc_series" is numbered in a
//     sequence of its own, 代字 + series (docAgencyKey).

// PlanTemplateID is the 谈话方案 template that inquiry letters and talk
// records must cite.
const PlanTemplateID = "talk-plan"

// LetterTemplateID is the 函询通知书 template.
const LetterTemplateID = "inquiry-letter"

// planField is the field that cites the plan (谈话方案档案编号).
const planField = "plan_record_id"

// planMethods lists, per template that must cite a plan, the plan's
// 处置方式 (talk-plan field method) that fits it. A talk record must also
// agree with the plan on its own 谈话方式 (field method).
var planMethods = map[string][]string{
	LetterTemplateID: {"函询"},
	"talk-record":    {"谈话", "委托谈话"},
}

// approvalRules is what the registry says about sign-off and numbering
// (*templates.Registry has it; a Templates without it means any approver
// and the unit's main series).
type approvalRules interface {
	Approval(templateID string) templates.Approval
	DocSeries(templateID string) string
}

// checkHeadApproval refuses (403 head_required) the sign-off of a
// head-approval template by anyone but the unit's head; with no head
// named, nobody may sign it until an admin names one. Operators (CLI on
// the host) are not refused.
func (s *Store) checkHeadApproval(ctx context.Context, u *identity.User, d *Draft, unit *identity.Unit) error {
	rules, ok := s.opts.Templates.(approvalRules)
	if !ok || rules.Approval(d.TemplateID) != templates.ApprovalHead || u.IsOperator() {
		return nil
	}
	head, err := s.id.UnitHead(ctx, unit.ID)
	if err != nil {
		return err
	}
	if head == nil {
		return problem.Forbidden("head_required", "该文书须由本单位主要负责人签发，但「"+unit.Name+"」尚未指定主要负责人，请管理员先行指定")
	}
	if head.ID != u.ID {
		return problem.Forbidden("head_required", "该文书须由本单位主要负责人（"+head.Name+"）签发")
	}
	return nil
}

// docAgencyKey is the key of the 文号 sequence of template templateID in
// unit code: the 机关代字, plus the template's series (函) if it has one.
// FormatDocNumber(key, year, n) then reads 驻财纪函〔2026〕1号, exactly
// templates.ComposeDocNumber(code, series, year, n).
func (s *Store) docAgencyKey(code, templateID string) string {
	if rules, ok := s.opts.Templates.(approvalRules); ok {
		return code + rules.DocSeries(templateID)
	}
	return code
}

// planRefusal is a 409 naming the field and the reason.
func planRefusal(code, field, why string) error {
	e := problem.Conflict(code, "谈话函询须依据已签发归档的本单位谈话方案："+why)
	e.Field = field
	return e
}

// checkPlanRule enforces the plan rule for the templates in planMethods.
// Codes: plan_required (no such filed plan of the unit), plan_superseded,
// plan_other_case, plan_person_mismatch (field person), plan_method_mismatch
// (field method of a talk record, plan_record_id for a letter).
func (s *Store) checkPlanRule(ctx context.Context, d *Draft) error {
	methods, ok := planMethods[d.TemplateID]
	if !ok {
		return nil
	}
	ref, _ := d.Fields[planField].(string)
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return planRefusal("plan_required", planField, "请在「谈话方案档案编号」(plan_record_id) 中选择谈话方案")
	}
	plan, err := s.loadRecord(ctx, s.cat.Reader(), ref)
	if errors.Is(err, ErrNotFound) {
		return planRefusal("plan_required", planField, "未找到编号为 "+ref+" 的已归档谈话方案")
	}
	if err != nil {
		return err
	}
	switch {
	case plan.TemplateID != PlanTemplateID:
		return planRefusal("plan_required", planField, "编号 "+ref+" 的档案不是谈话方案")
	case plan.UnitID != d.UnitID:
		return planRefusal("plan_required", planField, "编号 "+ref+" 的谈话方案不属于本单位")
	case strings.TrimSpace(plan.CaseNo) != strings.TrimSpace(d.CaseNo):
		return planRefusal("plan_other_case", planField, "谈话方案属于案件「"+plan.CaseNo+"」，本文书属于「"+d.CaseNo+"」")
	}
	if err := s.checkPlanCurrent(ctx, plan.ID); err != nil {
		return err
	}
	if pp, dp := personName(plan.Fields["person"]), personName(d.Fields["person"]); pp != dp {
		return planRefusal("plan_person_mismatch", "fields.person", "谈话方案的谈话对象是「"+pp+"」，本文书的对象是「"+dp+"」")
	}
	return checkPlanMethod(d, plan, methods)
}

// checkPlanCurrent refuses a plan that a filed correction supersedes.
func (s *Store) checkPlanCurrent(ctx context.Context, planID string) error {
	var n int
	if err := s.cat.Reader().QueryRowContext(ctx, `SELECT count(*) FROM records WHERE supersedes = ?`, planID).Scan(&n); err != nil {
		return internal("plan rule", err)
	}
	if n > 0 {
		return planRefusal("plan_superseded", planField, "编号 "+planID+" 的谈话方案已被更正，请引用更正后的谈话方案")
	}
	return nil
}

// checkPlanMethod holds the plan's 处置方式 to the document: 函询 for a
// letter; for a talk record 谈话 or 委托谈话, the same as its own 谈话方式.
func checkPlanMethod(d *Draft, plan *Record, methods []string) error {
	pm := strings.TrimSpace(stringField(plan.Fields, "method"))
	fits := false
	for _, m := range methods {
		fits = fits || m == pm
	}
	if !fits {
		return planRefusal("plan_method_mismatch", planField, "谈话方案的处置方式为「"+pm+"」，本文书须依据处置方式为「"+strings.Join(methods, "」或「")+"」的方案")
	}
	if own, ok := d.Fields["method"]; ok && d.TemplateID != LetterTemplateID {
		if om := strings.TrimSpace(stringField(map[string]any{"method": own}, "method")); om != pm {
			return planRefusal("plan_method_mismatch", "fields.method", "谈话方式「"+om+"」与谈话方案的处置方式「"+pm+"」不一致")
		}
	}
	return nil
}

// personName is the name of a person field: a plain string or an object
// with a name.
func personName(v any) string {
	switch p := v.(type) {
	case string:
		return strings.TrimSpace(p)
	case map[string]any:
		n, _ := p["name"].(string)
		return strings.TrimSpace(n)
	}
	return ""
}

// stringField is fields[name] as a string ("" if absent or not a string).
func stringField(fields map[string]any, name string) string {
	s, _ := fields[name].(string)
	return s
}

// CitableRecords lists the filed records of template cited that a draft of
// template citing may cite (the pickers of record_id fields with "cites"):
// the caller's unit's, newest first, not superseded, and for a plan the
// ones whose 处置方式 fits citing (planMethods).
func (s *Store) CitableRecords(ctx context.Context, u *identity.User, citing, cited string) ([]*Record, error) {
	list, err := s.ListRecords(ctx, u, RecordFilter{TemplateID: cited, Limit: 200})
	if err != nil {
		return nil, err
	}
	methods := planMethods[citing]
	out := make([]*Record, 0, len(list))
	for _, r := range list {
		if r.UnitID != u.UnitID {
			continue
		}
		if cited == PlanTemplateID && methods != nil && !contains(methods, strings.TrimSpace(stringField(r.Fields, "method"))) {
			continue
		}
		if err := s.checkPlanCurrent(ctx, r.ID); err != nil {
			if errors.Is(err, ErrConflict) {
				continue
			}
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
