package templates

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"wenshu/docgen"
	"wenshu/textrule"
)

// FieldError is one invalid field: Field is its path (issues[2],
// persons[0].name), Code a stable snake_case code, Message Chinese.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// FieldErrors lists every invalid field of one request. It is returned as
// an error; the server maps it to HTTP 422.
type FieldErrors []FieldError

func (e FieldErrors) Error() string {
	parts := make([]string, 0, len(e))
	for _, fe := range e {
		parts = append(parts, fe.Field+": "+fe.Code)
	}
	return "templates: invalid fields: " + strings.Join(parts, ", ")
}

// Error codes.
const (
	CodeRequired       = "required"
	CodeTooLong        = "too_long"
	CodeBadType        = "bad_type"
	CodeBadDate        = "bad_date"
	CodeBadEnum        = "bad_enum"
	CodeBadPattern     = "bad_pattern"
	CodeBadDocNumber   = "bad_doc_number"
	CodeBadDocSeries   = "bad_doc_series"
	CodeBadCopyNumber  = "bad_copy_number"
	CodeBadRecordID    = "bad_record_id"
	CodeControlChar    = textrule.CodeControlChar
	CodeInvalidChar    = textrule.CodeInvalidChar
	CodeTooFewItems    = "too_few_items"
	CodeTooManyItems   = "too_many_items"
	CodeUnknownField   = "unknown_field"
	CodeHolidayMissing = "holiday_table_missing"
	CodeTitlePunct     = "title_punctuation"
)

// Date is a validated date value. It prints as a GB/T 9704 date
// (2026年3月5日) and remembers its field, so that a deadline computed from it
// can name the field when it fails.
type Date struct {
	time.Time
	Field string
}

// String writes the date as 2026年3月5日; the zero Date prints nothing.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return docgen.FormatDate(d.Time)
}

// ISO writes the date as 2026-03-05.
func (d Date) ISO() string {
	if d.IsZero() {
		return ""
	}
	return d.Format("2006-01-02")
}

// MarshalJSON writes the ISO form, so validated values round-trip.
func (d Date) MarshalJSON() ([]byte, error) { return json.Marshal(d.ISO()) }

var (
	docNumberRe  = regexp.MustCompile(`^[^〔〕\[\]【】()（）\s]+〔\d{4}〕[1-9]\d*号$`)
	copyNumberRe = regexp.MustCompile(`^\d{6}$`)
	recordIDRe   = regexp.MustCompile(`^[A-Za-z0-9_-]{6,64}$`)
)

// ValidDocNumber reports whether s is a 发文字号 in GB/T 9704 form:
// 机关代字〔YYYY〕N号, a four-digit year in 六角括号, no leading zeros, no 第.
func ValidDocNumber(s string) bool {
	return docNumberRe.MatchString(s) && !strings.Contains(s, "第")
}

// ValidSeriesDocNumber reports whether s is a valid 发文字号 of the given
// series: its 机关代字 ends with the series (驻财纪函〔2026〕6号 for 函). An
// empty series accepts any valid number.
func ValidSeriesDocNumber(s, series string) bool {
	if !ValidDocNumber(s) {
		return false
	}
	prefix, _, _ := strings.Cut(s, "〔")
	return series == "" || (strings.HasSuffix(prefix, series) && len(prefix) > len(series))
}

type validator struct {
	errs   FieldErrors
	series string // the template's 文号 series, checked on doc_number
}

func (v *validator) add(field, code, msg string) {
	v.errs = append(v.errs, FieldError{Field: field, Code: code, Message: msg})
}

// Validate checks values against the template's schema and returns them
// normalised (strings trimmed, dates as Date, lists as []string, tables as
// []map[string]any, persons as map[string]string), with every declared
// field present. It returns FieldErrors naming every bad field at once.
func (t *Template) Validate(values map[string]any) (map[string]any, error) {
	v := &validator{series: t.DocSeries}
	out := make(map[string]any, len(t.Fields))
	names := make([]string, 0, len(values))
	for name := range values {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if _, ok := t.byName[name]; !ok {
			v.add(name, CodeUnknownField, fmt.Sprintf("模板「%s」没有字段 %s", t.Name, name))
		}
	}
	for i := range t.Fields {
		f := &t.Fields[i]
		raw, present := values[f.Name]
		if (!present || raw == nil) && f.Default != "" {
			raw, present = f.Default, true
		}
		out[f.Name] = v.field(f, f.Name, raw, present)
	}
	if len(v.errs) > 0 {
		return nil, v.errs
	}
	return out, nil
}

// zero returns the empty value of a field's type.
func zero(f *Field) any {
	switch f.Type {
	case TypeDate:
		return Date{Field: f.Name}
	case TypeList:
		return []string{}
	case TypeTable:
		return []map[string]any{}
	case TypePerson:
		m := map[string]string{}
		for _, p := range PersonFields {
			m[p.Name] = ""
		}
		return m
	}
	return ""
}

func (v *validator) field(f *Field, path string, raw any, present bool) any {
	if !present || raw == nil {
		if f.Required {
			v.add(path, CodeRequired, fmt.Sprintf("「%s」为必填项", f.Label))
		}
		return zero(f)
	}
	switch f.Type {
	case TypeString, TypeText, TypeEnum, TypeDate:
		s, ok := raw.(string)
		if !ok {
			v.add(path, CodeBadType, fmt.Sprintf("「%s」应为文本", f.Label))
			return zero(f)
		}
		return v.scalar(f, path, s)
	case TypeList:
		items, ok := raw.([]any)
		if !ok {
			v.add(path, CodeBadType, fmt.Sprintf("「%s」应为列表", f.Label))
			return zero(f)
		}
		out := make([]string, 0, len(items))
		if !v.count(f, path, len(items)) {
			return out
		}
		item := *f
		item.Type = TypeString
		item.Required = true
		for i, it := range items {
			p := fmt.Sprintf("%s[%d]", path, i)
			s, ok := it.(string)
			if !ok {
				v.add(p, CodeBadType, fmt.Sprintf("「%s」第%d项应为文本", f.Label, i+1))
				continue
			}
			if got, _ := v.scalar(&item, p, s).(string); got != "" {
				out = append(out, got)
			}
		}
		return out
	case TypeTable:
		rows, ok := raw.([]any)
		if !ok {
			v.add(path, CodeBadType, fmt.Sprintf("「%s」应为表格（对象数组）", f.Label))
			return zero(f)
		}
		out := make([]map[string]any, 0, len(rows))
		if !v.count(f, path, len(rows)) {
			return out
		}
		for i, r := range rows {
			p := fmt.Sprintf("%s[%d]", path, i)
			obj, ok := r.(map[string]any)
			if !ok {
				v.add(p, CodeBadType, fmt.Sprintf("「%s」第%d行应为对象", f.Label, i+1))
				continue
			}
			out = append(out, v.object(f.Columns, p, obj))
		}
		return out
	case TypePerson:
		obj, ok := raw.(map[string]any)
		if !ok {
			v.add(path, CodeBadType, fmt.Sprintf("「%s」应为人员对象（含姓名）", f.Label))
			return zero(f)
		}
		row := v.object(PersonFields, path, obj)
		m := make(map[string]string, len(row))
		for k, val := range row {
			m[k] = fmt.Sprint(val)
		}
		return m
	}
	return zero(f)
}

// object validates one table row or person against its columns.
func (v *validator) object(cols []Field, path string, obj map[string]any) map[string]any {
	out := make(map[string]any, len(cols))
	known := make(map[string]bool, len(cols))
	for i := range cols {
		c := &cols[i]
		known[c.Name] = true
		raw, present := obj[c.Name]
		if (!present || raw == nil) && c.Default != "" {
			raw, present = c.Default, true
		}
		val := v.field(c, path+"."+c.Name, raw, present)
		if d, ok := val.(Date); ok {
			val = d.String()
		}
		out[c.Name] = val
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !known[k] {
			v.add(path+"."+k, CodeUnknownField, fmt.Sprintf("未知字段 %s", k))
		}
	}
	return out
}

func (v *validator) count(f *Field, path string, n int) bool {
	if n == 0 {
		if f.Required || f.MinItems > 0 {
			v.add(path, CodeTooFewItems, fmt.Sprintf("「%s」不能为空", f.Label))
			return false
		}
		return true
	}
	if f.MinItems > 0 && n < f.MinItems {
		v.add(path, CodeTooFewItems, fmt.Sprintf("「%s」至少需要%d项", f.Label, f.MinItems))
		return false
	}
	if f.MaxItems > 0 && n > f.MaxItems {
		v.add(path, CodeTooManyItems, fmt.Sprintf("「%s」最多%d项，现有%d项", f.Label, f.MaxItems, n))
		return false
	}
	return true
}

// scalar validates one string of a string, text, enum or date field.
func (v *validator) scalar(f *Field, path, s string) any {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	if code, r := textrule.Problem(s, f.Type == TypeText); code != "" {
		v.add(path, code, textrule.Message(f.Label, code, r))
		return zero(f)
	}
	s = strings.TrimSpace(s)
	if s == "" {
		if f.Required {
			v.add(path, CodeRequired, fmt.Sprintf("「%s」为必填项", f.Label))
		}
		return zero(f)
	}
	if n := utf8.RuneCountInString(s); n > f.MaxLength {
		v.add(path, CodeTooLong, fmt.Sprintf("「%s」不能超过%d个字符（现有%d个）", f.Label, f.MaxLength, n))
		return zero(f)
	}
	switch f.Type {
	case TypeEnum:
		for _, e := range f.Enum {
			if s == e {
				return s
			}
		}
		v.add(path, CodeBadEnum, fmt.Sprintf("「%s」只能是：%s", f.Label, strings.Join(f.Enum, "、")))
		return zero(f)
	case TypeDate:
		t, err := time.Parse("2006-01-02", s)
		if err != nil {
			v.add(path, CodeBadDate, fmt.Sprintf("「%s」不是有效日期，应为 YYYY-MM-DD 格式（如 2026-03-05）", f.Label))
			return zero(f)
		}
		return Date{Time: t, Field: path}
	}
	switch f.Format {
	case FormatDocNumber:
		if !ValidDocNumber(s) {
			v.add(path, CodeBadDocNumber, fmt.Sprintf("「%s」格式应为“机关代字〔年份〕序号号”，如 驻财纪〔2026〕6号（六角括号，四位年份，序号不编虚位、不加“第”）", f.Label))
			return zero(f)
		}
		if path == FieldDocNumber && !ValidSeriesDocNumber(s, v.series) {
			v.add(path, CodeBadDocSeries, fmt.Sprintf("「%s」应为“%s”字号，如 驻财纪%s〔2026〕6号", f.Label, v.series, v.series))
			return zero(f)
		}
	case FormatCopyNumber:
		if !copyNumberRe.MatchString(s) {
			v.add(path, CodeBadCopyNumber, fmt.Sprintf("「%s」应为6位阿拉伯数字，如 000001", f.Label))
			return zero(f)
		}
	case FormatRecordID:
		if !recordIDRe.MatchString(s) {
			v.add(path, CodeBadRecordID, fmt.Sprintf("「%s」不是有效的档案记录编号", f.Label))
			return zero(f)
		}
	}
	if f.re != nil && !f.re.MatchString(s) {
		msg := fmt.Sprintf("「%s」格式不正确", f.Label)
		if f.Help != "" {
			msg += "：" + f.Help
		}
		v.add(path, CodeBadPattern, msg)
		return zero(f)
	}
	return s
}
