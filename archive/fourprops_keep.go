package archive

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"wenshu/identity"
	"wenshu/problem"
)

// KindFourPropReport is the 文种 of a filed 四性检测 report.
const KindFourPropReport = "四性检测报告"

// KeepFourPropertiesReport files rep as a signed permanent record of the
// caller's unit (auditors and archivists ask for it): a text rendition of
// the report, with the report's JSON in the manifest's fields. The filing
// is made for the caller by the archive itself (the author is named
// 四性检测（<caller>）), since auditors do not import.
func (s *Store) KeepFourPropertiesReport(ctx context.Context, u *identity.User, rep *FourPropReport) (*Record, error) {
	if err := identity.RequireRole(u, identity.RoleAuditor, identity.RoleArchivist); err != nil {
		return nil, err
	}
	if rep == nil || len(rep.Items) == 0 && len(rep.Records) == 0 {
		return nil, problem.Invalid("empty_report", "report", "检测报告为空")
	}
	raw, err := json.Marshal(rep)
	if err != nil {
		return nil, internal("keep report", err)
	}
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, internal("keep report", err)
	}
	class := identity.ClearanceInternal
	if identity.ClearanceRank(u.Clearance) < identity.ClearanceRank(class) {
		class = u.Clearance
	}
	title := "四性检测报告：" + rep.ArchiveCode
	if rep.Scope == "batch" {
		title = fmt.Sprintf("四性检测报告：%s %d 年度", rep.Unit, rep.Year)
	}
	now := s.now().In(s.opts.Location)
	unitID := u.UnitID
	if u.IsOperator() && unitID == 0 { // the host's CLI: the report's unit
		unit, err := s.id.UnitByName(ctx, rep.Unit)
		if err != nil {
			return nil, err
		}
		unitID = unit.ID
	}
	filer := identity.OperatorForUnit("四性检测（"+u.Name+"）", unitID)
	return s.Import(ctx, filer, ImportRequest{FileName: "四性检测报告.txt", Data: []byte(FourPropText(rep)), Title: title,
		Kind: KindFourPropReport, Year: now.Year(), Classification: class, Retention: RetentionPermanent,
		Fields: map[string]any{"four_properties": fields}})
}

// FourPropText is the plain-text rendition of a report.
func FourPropText(rep *FourPropReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "电子档案四性检测报告（DA/T 70-2018）\n范围：%s\n", rep.Scope)
	if rep.ArchiveCode != "" {
		fmt.Fprintf(&b, "档号：%s\n题名：%s\n", rep.ArchiveCode, rep.Title)
	}
	fmt.Fprintf(&b, "单位：%s\n年度：%d\n阶段：%s\n检测人：%s\n检测时间：%s\n结论：%s\n\n", rep.Unit, rep.Year, rep.Stage, rep.CheckedBy,
		rep.CheckedAt.Format("2006-01-02 15:04:05 UTC"), rep.Result)
	writeItems(&b, rep.Items)
	for _, sub := range rep.Records {
		fmt.Fprintf(&b, "\n== %s %s：%s\n", sub.ArchiveCode, sub.Title, sub.Result)
		writeItems(&b, sub.Items)
	}
	return b.String()
}

func writeItems(b *strings.Builder, items []FourPropItem) {
	for _, it := range items {
		fmt.Fprintf(b, "[%s] %s：%s — %s（%s）\n", it.Group, it.Title, it.Result, it.Reason, it.Clause)
	}
}
