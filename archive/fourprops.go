package archive

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"wenshu/docgen"
	"wenshu/identity"
	"wenshu/problem"
)

// 四性检测 (DA/T 70-2018 文书类电子档案检测一般要求): a report of one record
// or of a batch (a unit's year), grouped as the standard and auditors read
// it — 真实性, 完整性, 可用性, 安全性 — each item with its result
// (pass/fail/unavailable), the reason, the evidence and the clause of
// DA/T 70-2018 it answers. It is built on Verify (the fixity,
// signature, chain, lock and catalog checks) plus the checks Verify does
// not make: DA/T 46 required metadata, 档号 form, 件号 and 文号 sequences
// without unexplained gaps (void markers explain a gap), the content
// parsing as OOXML (or UTF-8 text) with extractable text, classification
// marks, legal-hold state and the audit trail.

// Four-property groups.
const (
	GroupAuthenticity = "真实性"
	GroupIntegrity    = "完整性"
	GroupUsability    = "可用性"
	GroupSecurity     = "安全性"
)

// Item results.
const (
	ResultPass        = "pass"
	ResultFail        = "fail"
	ResultUnavailable = "unavailable"
)

// FourPropItem is one item of a 四性检测 report.
type FourPropItem struct {
	Group    string `json:"group"`
	Code     string `json:"code"`   // stable, e.g. authenticity.signature
	Title    string `json:"title"`  // the item's Chinese name
	Clause   string `json:"clause"` // the DA/T 70-2018 item it answers
	Result   string `json:"result"`
	Reason   string `json:"reason"`
	Evidence string `json:"evidence,omitempty"`
}

// FourPropReport is the 四性检测 report of one record or of a batch.
type FourPropReport struct {
	Scope       string           `json:"scope"` // record | batch
	RecordID    string           `json:"record_id,omitempty"`
	ArchiveCode string           `json:"archive_code,omitempty"`
	Title       string           `json:"title,omitempty"`
	Unit        string           `json:"unit,omitempty"`
	Year        int              `json:"year,omitempty"`
	Stage       string           `json:"stage"` // 长期保存 (on demand, from the bucket)
	Result      string           `json:"result"`
	Items       []FourPropItem   `json:"items"`
	Records     []FourPropReport `json:"records,omitempty"` // a batch's per-record reports
	CheckedAt   time.Time        `json:"checked_at"`
	CheckedBy   string           `json:"checked_by"`
	KeptAs      string           `json:"kept_as,omitempty"` // the record id when filed (keep)
}

// DA/T 70-2018 item names the report answers.
const (
	clauseFixity      = "DA/T 70-2018 真实性·来源真实性：固化信息有效性检测（数字摘要、电子签名）"
	clauseChain       = "DA/T 70-2018 真实性·长期保存：固化信息有效性检测（哈希值一致）"
	clauseMetaContent = "DA/T 70-2018 真实性·元数据与内容关联性检测"
	clauseArchiveCode = "DA/T 70-2018 真实性·元数据准确性：档号规范性检测"
	clauseContentInt  = "DA/T 70-2018 完整性·内容数据完整性检测"
	clauseMetaInt     = "DA/T 70-2018 完整性·元数据完整性：必填著录项检测（DA/T 46-2009）"
	clauseSequence    = "DA/T 70-2018 完整性·元数据完整性：连续性元数据项检测"
	clauseTotal       = "DA/T 70-2018 完整性·数据总量检测"
	clauseReadable    = "DA/T 70-2018 可用性·内容数据的可读性检测"
	clauseMetaRead    = "DA/T 70-2018 可用性·元数据的可读性检测"
	clauseStorage     = "DA/T 70-2018 安全性·过程安全性检测（存储防篡改）"
	clauseClass       = "DA/T 70-2018 安全性·过程安全性检测（保密标识一致）"
	clauseAudit       = "DA/T 70-2018 安全性·过程安全性检测（操作留痕）"
)

func (r *FourPropReport) add(group, code, title, clause string, ok bool, reason, evidence string) {
	res := ResultPass
	if !ok {
		res = ResultFail
	}
	r.Items = append(r.Items, FourPropItem{Group: group, Code: code, Title: title, Clause: clause, Result: res, Reason: reason, Evidence: evidence})
}

func (r *FourPropReport) addUnavailable(group, code, title, clause, reason string) {
	r.Items = append(r.Items, FourPropItem{Group: group, Code: code, Title: title, Clause: clause, Result: ResultUnavailable, Reason: reason})
}

// finish sets Result: fail if any item failed, unavailable if any could
// not be checked, else pass.
func (r *FourPropReport) finish() *FourPropReport {
	r.Result = ResultPass
	for _, it := range r.Items {
		switch {
		case it.Result == ResultFail:
			r.Result = ResultFail
		case it.Result == ResultUnavailable && r.Result == ResultPass:
			r.Result = ResultUnavailable
		}
	}
	for _, sub := range r.Records {
		if sub.Result == ResultFail {
			r.Result = ResultFail
		} else if sub.Result == ResultUnavailable && r.Result == ResultPass {
			r.Result = ResultUnavailable
		}
	}
	return r
}

// RecordFourProperties builds the 四性检测 report of one record for
// anyone who can read it (the verification inside is audited).
func (s *Store) RecordFourProperties(ctx context.Context, u *identity.User, id string) (*FourPropReport, error) {
	v, err := s.Verify(ctx, u, id)
	if err != nil {
		return nil, err
	}
	r, err := s.GetRecord(ctx, u, id)
	if err != nil {
		return nil, err
	}
	rep := &FourPropReport{Scope: "record", RecordID: r.ID, ArchiveCode: r.ArchiveCode, Title: r.Title, Unit: r.UnitName,
		Year: r.Year, Stage: "长期保存", CheckedAt: s.now(), CheckedBy: u.Name}
	checks := map[string]Check{}
	for _, c := range v.Checks {
		checks[c.Name] = c
	}
	s.authenticityItems(rep, r, checks)
	if err := s.integrityItems(ctx, rep, r, checks); err != nil {
		return nil, err
	}
	text := s.usabilityItems(ctx, rep, r)
	if err := s.securityItems(ctx, rep, r, checks, text); err != nil {
		return nil, err
	}
	return rep.finish(), nil
}

func (s *Store) authenticityItems(rep *FourPropReport, r *Record, checks map[string]Check) {
	for _, x := range []struct{ check, code, title, clause string }{
		{CheckSignature, "authenticity.signature", "电子签名（SM2）有效", clauseFixity},
		{CheckSM3, "authenticity.sm3", "数字摘要（SM3）一致", clauseFixity},
		{CheckSHA256, "authenticity.sha256", "数字摘要（SHA-256）一致", clauseFixity},
		{CheckChain, "authenticity.chain", "清单哈希链连续", clauseChain},
		{CheckCatalog, "authenticity.manifest_catalog", "清单与目录一致", clauseMetaContent},
	} {
		c, ok := checks[x.check]
		if !ok {
			rep.addUnavailable(GroupAuthenticity, x.code, x.title, x.clause, "未执行该项验证")
			continue
		}
		if c.Status == VerifyUnavailable {
			rep.addUnavailable(GroupAuthenticity, x.code, x.title, x.clause, c.Detail)
			continue
		}
		rep.add(GroupAuthenticity, x.code, x.title, x.clause, c.OK, c.Detail, "verify:"+x.check)
	}
	want := FormatArchiveCode(r.Fonds, r.Year, r.Retention, r.Org, r.ItemNo)
	rep.add(GroupAuthenticity, "authenticity.archive_code", "档号规范（DA/T 22-2015）", clauseArchiveCode, want == r.ArchiveCode,
		fmt.Sprintf("档号 %s，按全宗号、年度、保管期限、机构、件号应为 %s", r.ArchiveCode, want), r.ArchiveCode)
}

func (s *Store) integrityItems(ctx context.Context, rep *FourPropReport, r *Record, checks map[string]Check) error {
	c := checks[CheckObjects]
	vs, err := s.recordObjectVersions(ctx, r)
	if err != nil || c.Status == VerifyUnavailable {
		rep.addUnavailable(GroupIntegrity, "integrity.objects", "正文与清单对象及版本齐全", clauseContentInt, "存储无法访问")
	} else {
		rep.add(GroupIntegrity, "integrity.objects", "正文与清单对象及版本齐全", clauseContentInt, c.OK && len(vs) >= 2,
			c.Detail, fmt.Sprintf("共 %d 个对象版本", len(vs)))
	}
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"题名", r.Title}, {"档号", r.ArchiveCode}, {"全宗号", r.Fonds}, {"保管期限", string(r.Retention)}, {"责任者", r.UnitName},
		{"文种", r.Kind}, {"密级", r.Classification}, {"日期", timeOrEmpty(r.FiledAt)}, {"年度", fmt.Sprint(r.Year)},
	} {
		if strings.TrimSpace(f.v) == "" || f.v == "0" {
			missing = append(missing, f.name)
		}
	}
	rep.add(GroupIntegrity, "integrity.metadata", "必填著录项齐全", clauseMetaInt, len(missing) == 0,
		"缺少："+orDash(strings.Join(missing, "、")), "题名、档号、全宗号、年度、保管期限、责任者、文种、密级、日期")
	gaps, err := s.sequenceGaps(ctx, r.Fonds, r.Year, string(r.Retention), r.Org, r.DocNumber)
	if err != nil {
		return err
	}
	rep.add(GroupIntegrity, "integrity.sequences", "件号、文号连续（作废标记说明断号）", clauseSequence, len(gaps) == 0,
		"无法解释的断号："+orDash(strings.Join(gaps, "、")), "filings + void_numbers")
	return nil
}

func timeOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

// usabilityItems checks that the content parses and yields text, and
// returns that text ("" if none).
func (s *Store) usabilityItems(ctx context.Context, rep *FourPropReport, r *Record) string {
	cctx, cancel := s.callCtx(ctx)
	data, err := s.getObject(cctx, s.bucket, r.ContentKey, r.ContentVersion)
	cancel()
	rep.add(GroupUsability, "usability.metadata", "元数据可读", clauseMetaRead, true, "清单为规范 JSON，目录行可读", r.ManifestVersion)
	if err != nil {
		for _, x := range [][2]string{{"usability.format", "内容格式可解析"}, {"usability.text", "文本可提取"}} {
			rep.addUnavailable(GroupUsability, x[0], x[1], clauseReadable, "正文无法读取")
		}
		return ""
	}
	var text string
	switch {
	case strings.HasPrefix(r.MediaType, "text/plain"):
		ok := utf8.Valid(data)
		rep.add(GroupUsability, "usability.format", "内容格式可解析", clauseReadable, ok, "UTF-8 纯文本", r.MediaType)
		text = string(data)
	default:
		t, perr := docgen.ExtractText(data)
		reason := "OOXML（.docx）解析成功"
		if perr != nil {
			reason = "不是有效的 OOXML 文档：" + perr.Error()
		}
		rep.add(GroupUsability, "usability.format", "内容格式可解析", clauseReadable, perr == nil, reason, r.MediaType)
		text = t
	}
	n := utf8.RuneCountInString(strings.TrimSpace(text))
	rep.add(GroupUsability, "usability.text", "文本可提取", clauseReadable, n > 0, fmt.Sprintf("提取文本 %d 字", n), "")
	return text
}

func (s *Store) securityItems(ctx context.Context, rep *FourPropReport, r *Record, checks map[string]Check, text string) error {
	if c := checks[CheckRetention]; c.Status == VerifyUnavailable {
		rep.addUnavailable(GroupSecurity, "security.retention_lock", "COMPLIANCE 锁定至保管期限", clauseStorage, c.Detail)
	} else {
		rep.add(GroupSecurity, "security.retention_lock", "COMPLIANCE 锁定至保管期限", clauseStorage, c.OK, c.Detail, "verify:"+CheckRetention)
	}
	h, err := s.holdInForce(ctx, r.ID)
	if err != nil {
		return err
	}
	vs, verr := s.recordObjectVersions(ctx, r)
	var held []objectVersion
	if verr == nil {
		held, verr = s.bucketHolds(ctx, vs)
	}
	switch {
	case verr != nil:
		rep.addUnavailable(GroupSecurity, "security.legal_hold", "法律保全状态一致", clauseStorage, "存储无法访问")
	case h != nil:
		rep.add(GroupSecurity, "security.legal_hold", "法律保全状态一致", clauseStorage, len(held) == len(vs),
			fmt.Sprintf("保全中（%s，%s）；%d/%d 个对象版本已设保全", h.PlacedBy.Name, h.Reason, len(held), len(vs)), "legal_holds")
	default:
		rep.add(GroupSecurity, "security.legal_hold", "法律保全状态一致", clauseStorage, len(held) == 0,
			fmt.Sprintf("无保全；%d 个对象版本设有保全", len(held)), "legal_holds")
	}
	rep.add(classItem(r, text))
	events, err := s.ListAudit(ctx, identity.Operator("四性检测"), r.ID)
	if err != nil {
		return err
	}
	filed := false
	for _, e := range events {
		filed = filed || e.Action == "record.file" || e.Action == "record.import"
	}
	rep.add(GroupSecurity, "security.audit", "操作留痕（审计记录）", clauseAudit, filed,
		fmt.Sprintf("%d 条审计事件，含归档事件：%v", len(events), filed), "audit_events")
	return nil
}

// classItem: the manifest's 密级 equals the document's classification
// field, and a 秘密/机密 document prints its mark (公开/内部 print none).
func classItem(r *Record, text string) (group, code, title, clause string, ok bool, reason, evidence string) {
	group, code, title, clause = GroupSecurity, "security.classification", "密级标识一致", clauseClass
	if f, has := r.Fields["classification"].(string); has && f != "" && f != r.Classification {
		return group, code, title, clause, false, "清单密级 " + r.Classification + "，文档字段为 " + f, r.Classification
	}
	marked := strings.Contains(text, identity.ClearanceSecret+"★") || strings.Contains(text, identity.ClearanceConfidential+"★")
	switch r.Classification {
	case identity.ClearanceSecret, identity.ClearanceConfidential:
		if text != "" && !strings.Contains(text, r.Classification) {
			return group, code, title, clause, false, "密级为 " + r.Classification + "，正文未见密级标识", r.Classification
		}
	default:
		if marked {
			return group, code, title, clause, false, "密级为 " + r.Classification + "，正文却有涉密标识", r.Classification
		}
	}
	return group, code, title, clause, true, "密级 " + r.Classification + "，标识一致", r.Classification
}

// sequenceGaps lists the 件号 of the record's class (全宗, 年度, 保管期限,
// 机构) and the 文号 of its 机关代字 and year that were never handed out to a
// filing: a void filing (作废) explains its numbers, so only a number
// missing from the filings table is a gap.
func (s *Store) sequenceGaps(ctx context.Context, fonds string, year int, retention, org, docNumber string) ([]string, error) {
	var gaps []string
	items, err := s.intColumn(ctx, `SELECT item_no FROM filings WHERE fonds = ? AND year = ? AND retention = ? AND org = ? ORDER BY item_no`,
		fonds, year, retention, org)
	if err != nil {
		return nil, err
	}
	for _, n := range missingInts(items) {
		gaps = append(gaps, fmt.Sprintf("件号 %04d", n))
	}
	if docNumber == "" {
		return gaps, nil
	}
	var agency string
	err = s.cat.Reader().QueryRowContext(ctx, `SELECT COALESCE(doc_agency, '') FROM filings WHERE doc_number = ?`, docNumber).Scan(&agency)
	if err != nil || agency == "" {
		return gaps, nil // an imported 文号 is not ours to count
	}
	seqs, err := s.intColumn(ctx, `SELECT doc_seq FROM filings WHERE doc_agency = ? AND year = ? AND doc_seq IS NOT NULL ORDER BY doc_seq`, agency, year)
	if err != nil {
		return nil, err
	}
	for _, n := range missingInts(seqs) {
		gaps = append(gaps, fmt.Sprintf("%s〔%d〕%d号", agency, year, n))
	}
	return gaps, nil
}

func (s *Store) intColumn(ctx context.Context, q string, args ...any) ([]int, error) {
	rows, err := s.cat.Reader().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, internal("four properties", err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			return nil, internal("four properties", err)
		}
		out = append(out, n)
	}
	return out, internal("four properties", rows.Err())
}

// missingInts returns the numbers of 1…max(sorted) absent from sorted.
func missingInts(sorted []int) []int {
	var out []int
	next := 1
	for _, n := range sorted {
		for ; next < n && len(out) < 100; next++ {
			out = append(out, next)
		}
		if n >= next {
			next = n + 1
		}
	}
	return out
}

// maxBatchRecords bounds a batch report.
const maxBatchRecords = 2000

// BatchFourProperties builds the report of a unit's year (全称 and 年度):
// the data total and one report per record the caller can read.
func (s *Store) BatchFourProperties(ctx context.Context, u *identity.User, unit string, year int) (*FourPropReport, error) {
	if err := identity.RequireRole(u, identity.RoleArchivist, identity.RoleAuditor); err != nil {
		return nil, err
	}
	if strings.TrimSpace(unit) == "" {
		return nil, problem.Invalid("bad_unit", "unit", "须填写单位全称")
	}
	if year < 1949 || year > 9999 {
		return nil, problem.Invalid("bad_year", "year", "年度无效")
	}
	recs, err := s.queryRecords(ctx, `SELECT `+recordCols+` FROM records WHERE unit_name = ? AND year = ? AND disposed_at IS NULL
		ORDER BY archive_code LIMIT ?`, unit, year, maxBatchRecords+1)
	if err != nil {
		return nil, internal("four properties", err)
	}
	if len(recs) > maxBatchRecords {
		return nil, problem.Invalid("batch_too_large", "year", fmt.Sprintf("一次最多检测 %d 件", maxBatchRecords))
	}
	rep := &FourPropReport{Scope: "batch", Unit: unit, Year: year, Stage: "长期保存", CheckedAt: s.now(), CheckedBy: u.Name}
	var bytes int64
	for _, r := range recs {
		if !identity.CanRead(u, r.UnitID, r.Classification) {
			continue
		}
		sub, err := s.RecordFourProperties(ctx, u, r.ID)
		if err != nil {
			return nil, err
		}
		rep.Records = append(rep.Records, *sub)
		bytes += r.ContentSize
	}
	rep.add(GroupIntegrity, "integrity.total", "数据总量", clauseTotal, len(rep.Records) > 0,
		fmt.Sprintf("%d 件，正文共 %d 字节", len(rep.Records), bytes), fmt.Sprintf("%s %d 年度", unit, year))
	return rep.finish(), nil
}
