package deadline

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"wenshu/calendar"
)

//go:embed rules.json
var builtinRules []byte

// Unit is the unit of a period.
type Unit string

// Units of a period.
const (
	WorkingDays Unit = "working_days" // 工作日, per the holiday table
	Days        Unit = "days"         // 日 (calendar days)
	Months      Unit = "months"       // 月: the same day N months later, clamped to the month's end
)

// Event is what starts a period (起算事件).
type Event string

// Events a rule may start from.
const (
	EventService     Event = "service"     // 送达
	EventReceipt     Event = "receipt"     // 收件
	EventApproval    Event = "approval"    // 批准
	EventAcceptance  Event = "acceptance"  // 受理
	EventResult      Event = "result"      // 结果形成
	EventOpening     Event = "opening"     // 启动（立项）
	EventAppointment Event = "appointment" // 任职
	EventReport      Event = "report"      // 报告
	EventTransfer    Event = "transfer"    // 移交
	EventFeedback    Event = "feedback"    // 反馈
)

// events maps each Event to its Chinese name.
var events = map[Event]string{
	EventService: "送达", EventReceipt: "收件", EventApproval: "批准", EventAcceptance: "受理",
	EventResult: "结果形成", EventOpening: "启动", EventAppointment: "任职", EventReport: "报告",
	EventTransfer: "移交", EventFeedback: "反馈",
}

// Name returns the event's Chinese name, or "" for an unknown event.
func (e Event) Name() string { return events[e] }

// Period is a rule's length.
type Period struct {
	N    int  `json:"n"`
	Unit Unit `json:"unit"`
}

// String writes the period in Chinese: 15个工作日, 30日, 3个月.
func (p Period) String() string {
	switch p.Unit {
	case WorkingDays:
		return fmt.Sprintf("%d个工作日", p.N)
	case Days:
		return fmt.Sprintf("%d日", p.N)
	case Months:
		return fmt.Sprintf("%d个月", p.N)
	}
	return fmt.Sprintf("%d %s", p.N, p.Unit)
}

// Rule is one time limit (期限规则).
type Rule struct {
	ID     string `json:"id"`     // stable, e.g. "reply"; the deadline's kind
	Name   string `json:"name"`   // Chinese name, e.g. 函询回复期限
	Starts Event  `json:"starts"` // the event whose date starts the period
	Period Period `json:"period"`
	// StartDayCounts says whether the start day is day 1. The rules served
	// here say no: the period runs from the day after.
	StartDayCounts bool `json:"start_day_counts"`
	// RollToWorkday moves a due date of a days or months period that falls
	// on a day off to the next working day.
	RollToWorkday bool   `json:"roll_to_workday,omitempty"`
	Basis         string `json:"basis"`  // the rule's text or its gist, Chinese
	Source        string `json:"source"` // where it is written
	Note          string `json:"note,omitempty"`
}

// Citation is the basis followed by its source, as shown beside a
// deadline: 审理工作“自受理之日起30日内完成”。（某区《派驻机构履职细则》第十七条）
func (r Rule) Citation() string { return r.Basis + "（" + r.Source + "）" }

// MaxPeriod bounds N in a period of any unit.
const MaxPeriod = 1000

// Codes of rule-file faults, beside calendar's bad_json, bad_type,
// unknown_field and required.
const (
	CodeBadID       = "bad_id"
	CodeDuplicateID = "duplicate_id"
	CodeBadEvent    = "bad_event"
	CodeBadUnit     = "bad_unit"
	CodeBadPeriod   = "bad_period"
	CodeBadRoll     = "bad_roll"
	CodeTooLong     = "too_long"
)

var ruleIDPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{1,40}$`)

var ruleKeys = map[string]bool{"id": true, "name": true, "starts": true, "period": true, "start_day_counts": true,
	"roll_to_workday": true, "basis": true, "source": true, "note": true}

// ParseRules reads a rules file, {"_about": "…", "rules": [{…}, …]}, and
// checks every rule, returning all faults at once as calendar.FieldErrors
// with paths such as rules[2].period.unit.
func ParseRules(data []byte) ([]Rule, error) {
	var errs calendar.FieldErrors
	add := func(field, code, msg string) {
		errs = append(errs, calendar.FieldError{Field: field, Code: code, Message: msg})
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil || top == nil {
		add("rules", calendar.CodeBadJSON, "规则文件应为 JSON 对象，如 {\"rules\": [{\"id\": …}]}")
		return nil, errs
	}
	topKeys := make([]string, 0, len(top))
	for k := range top {
		topKeys = append(topKeys, k)
	}
	sort.Strings(topKeys)
	for _, k := range topKeys {
		if k != "rules" && !strings.HasPrefix(k, "_") {
			add(k, calendar.CodeUnknownField, fmt.Sprintf("未知字段 %s（只能是 rules，或以 _ 开头的说明）", k))
		}
	}
	var list []json.RawMessage
	if err := json.Unmarshal(top["rules"], &list); err != nil || len(list) == 0 {
		add("rules", calendar.CodeRequired, "规则文件缺少 rules 列表或列表为空")
		return nil, errs
	}
	rules := make([]Rule, 0, len(list))
	seen := map[string]string{}
	for i, msg := range list {
		path := fmt.Sprintf("rules[%d]", i)
		r, ok := parseRule(path, msg, &errs)
		if !ok {
			continue
		}
		if first, dup := seen[r.ID]; dup {
			add(path+".id", CodeDuplicateID, fmt.Sprintf("规则 %s 已在 %s 中定义", r.ID, first))
			continue
		}
		seen[r.ID] = path
		rules = append(rules, r)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return rules, nil
}

// parseRule decodes and checks one rule.
func parseRule(path string, msg json.RawMessage, errs *calendar.FieldErrors) (Rule, bool) {
	add := func(field, code, m string) {
		*errs = append(*errs, calendar.FieldError{Field: path + field, Code: code, Message: m})
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(msg, &keys); err != nil || keys == nil {
		add("", calendar.CodeBadType, "每条规则应为对象")
		return Rule{}, false
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !ruleKeys[k] {
			add("."+k, calendar.CodeUnknownField, fmt.Sprintf("规则没有字段 %s", k))
		}
	}
	var r Rule
	dec := json.NewDecoder(bytes.NewReader(msg))
	if err := dec.Decode(&r); err != nil {
		var te *json.UnmarshalTypeError
		field := ""
		if errors.As(err, &te) && te.Field != "" {
			field = "." + te.Field
		}
		add(field, calendar.CodeBadType, "字段类型不正确："+strings.TrimPrefix(err.Error(), "json: "))
		return Rule{}, false
	}
	before := len(*errs)
	for _, fe := range r.check() {
		add(fe.Field, fe.Code, fe.Message)
	}
	return r, len(*errs) == before
}

// check returns the faults of one rule, with field paths relative to it
// (".period.unit").
func (r Rule) check() calendar.FieldErrors {
	var errs calendar.FieldErrors
	add := func(field, code, msg string) {
		errs = append(errs, calendar.FieldError{Field: field, Code: code, Message: msg})
	}
	if !ruleIDPattern.MatchString(r.ID) {
		add(".id", CodeBadID, fmt.Sprintf("规则编号「%s」应为小写字母开头的小写字母、数字和连字符（2至41个字符）", r.ID))
	}
	for _, f := range []struct{ name, label, v string }{{"name", "名称", r.Name}, {"basis", "依据", r.Basis}, {"source", "出处", r.Source}} {
		switch n := utf8.RuneCountInString(f.v); {
		case strings.TrimSpace(f.v) == "":
			add("."+f.name, calendar.CodeRequired, fmt.Sprintf("规则的%s为必填项", f.label))
		case n > 500:
			add("."+f.name, CodeTooLong, fmt.Sprintf("规则的%s不能超过500个字符（现有%d个）", f.label, n))
		}
	}
	if _, ok := events[r.Starts]; !ok {
		add(".starts", CodeBadEvent, fmt.Sprintf("起算事件「%s」无效，只能是：%s", r.Starts, eventList()))
	}
	switch r.Period.Unit {
	case WorkingDays, Days, Months:
	default:
		add(".period.unit", CodeBadUnit, fmt.Sprintf("期限单位「%s」无效，只能是 working_days（工作日）、days（日）或 months（月）", r.Period.Unit))
	}
	if r.Period.N < 1 || r.Period.N > MaxPeriod {
		add(".period.n", CodeBadPeriod, fmt.Sprintf("期限长度应为1至%d之间的整数", MaxPeriod))
	}
	if r.RollToWorkday && r.Period.Unit == WorkingDays {
		add(".roll_to_workday", CodeBadRoll, "按工作日计算的期限本身落在工作日，不能设置顺延")
	}
	return errs
}

func eventList() string {
	names := make([]string, 0, len(events))
	for e, zh := range events {
		names = append(names, string(e)+"（"+zh+"）")
	}
	sort.Strings(names)
	return strings.Join(names, "、")
}

// Rules is the loaded set of rules, by id. It is read-only once loaded.
type Rules struct {
	byID map[string]Rule
	ids  []string
	from map[string]string // rule id → "builtin" or the file that set it
}

// ErrUnknownRule is returned for a rule id that is not loaded.
var ErrUnknownRule = errors.New("deadline: unknown rule")

// Builtin returns the shipped rules (rules.json).
func Builtin() (*Rules, error) { return Load("") }

// Load reads the shipped rules, then every *.json file of dir (in name
// order; a missing or empty dir adds nothing). A rule of dir whose id is
// shipped replaces the shipped one; a new id is added; the same id in two
// files of dir is an error naming both.
func Load(dir string) (*Rules, error) {
	rs := &Rules{byID: map[string]Rule{}, from: map[string]string{}}
	if err := rs.add(builtinRules, "builtin"); err != nil {
		return nil, err
	}
	if dir != "" {
		entries, err := os.ReadDir(dir)
		if err != nil && !os.IsNotExist(err) {
			return nil, fmt.Errorf("deadline: rules dir: %w", err)
		}
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
				continue
			}
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				return nil, fmt.Errorf("deadline: rules: %w", err)
			}
			if err := rs.add(data, e.Name()); err != nil {
				return nil, err
			}
		}
	}
	sort.Strings(rs.ids)
	return rs, nil
}

// add adds or overrides the rules of one file.
func (rs *Rules) add(data []byte, from string) error {
	rules, err := ParseRules(data)
	if err != nil {
		return fmt.Errorf("deadline: rules %s: %w", from, err)
	}
	for _, r := range rules {
		prev, exists := rs.from[r.ID]
		switch {
		case exists && prev != "builtin":
			return fmt.Errorf("deadline: rules %s: rule %q already set by %s", from, r.ID, prev)
		case !exists:
			rs.ids = append(rs.ids, r.ID)
		}
		rs.byID[r.ID] = r
		rs.from[r.ID] = from
	}
	return nil
}

// Get returns the rule with the given id.
func (rs *Rules) Get(id string) (Rule, error) {
	r, ok := rs.byID[id]
	if !ok {
		return Rule{}, fmt.Errorf("%w: %q", ErrUnknownRule, id)
	}
	return r, nil
}

// All returns every rule, sorted by id.
func (rs *Rules) All() []Rule {
	out := make([]Rule, 0, len(rs.ids))
	for _, id := range rs.ids {
		out = append(out, rs.byID[id])
	}
	return out
}

// From tells where rule id came from: "builtin" or the name of the file
// of the rules folder that set or overrode it.
func (rs *Rules) From(id string) string { return rs.from[id] }
