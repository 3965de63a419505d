package templates

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"text/template"

	"wenshu/docgen"
)

// FieldType is the type of a template field.
type FieldType string

// Field types.
const (
	TypeString FieldType = "string" // one line of text
	TypeText   FieldType = "text"   // several lines; each line is a paragraph
	TypeDate   FieldType = "date"   // YYYY-MM-DD, printed 2026年3月5日
	TypeEnum   FieldType = "enum"   // one of Enum
	TypeList   FieldType = "list"   // a list of one-line strings
	TypeTable  FieldType = "table"  // rows of Columns
	TypePerson FieldType = "person" // a person: name and optional particulars
)

// Formats a string field may require.
const (
	FormatDocNumber  = "doc_number"  // 发文字号: 机关代字〔YYYY〕N号
	FormatCopyNumber = "copy_number" // 份号: six digits
	FormatRecordID   = "record_id"   // a filed record's id
)

// Default limits for fields that set none.
const (
	DefaultStringMax = 200
	DefaultTextMax   = 5000
	DefaultListItems = 50
	DefaultTableRows = 100
)

// Field is one field of a template's schema.
type Field struct {
	Name      string    `json:"name"`
	Label     string    `json:"label"` // Chinese label
	Type      FieldType `json:"type"`
	Required  bool      `json:"required,omitempty"`
	MaxLength int       `json:"max_length,omitempty"` // in characters, per string or list item
	Pattern   string    `json:"pattern,omitempty"`
	Format    string    `json:"format,omitempty"`
	Enum      []string  `json:"enum,omitempty"`
	Default   string    `json:"default,omitempty"`
	MinItems  int       `json:"min_items,omitempty"`
	MaxItems  int       `json:"max_items,omitempty"`
	Columns   []Field   `json:"columns,omitempty"` // table columns
	Help      string    `json:"help,omitempty"`
	// Cites is, on a record_id field, the id of the template whose filed
	// record the field must name (talk-plan for a letter's plan), so that a
	// form can offer those records and the archive can check the kind.
	Cites string `json:"cites,omitempty"`

	re *regexp.Regexp
}

// PersonFields are the particulars a person field may carry; only name is
// required.
var PersonFields = []Field{
	{Name: "name", Label: "姓名", Type: TypeString, Required: true, MaxLength: 30},
	{Name: "gender", Label: "性别", Type: TypeEnum, Enum: []string{"男", "女"}, MaxLength: 2},
	{Name: "birth", Label: "出生年月", Type: TypeString, MaxLength: 20},
	{Name: "ethnicity", Label: "民族", Type: TypeString, MaxLength: 20},
	{Name: "political", Label: "政治面貌", Type: TypeString, MaxLength: 40},
	{Name: "unit", Label: "工作单位", Type: TypeString, MaxLength: 100},
	{Name: "position", Label: "职务", Type: TypeString, MaxLength: 100},
	{Name: "rank", Label: "职级", Type: TypeString, MaxLength: 40},
}

// Approval says who may sign off (签发) a template's documents.
type Approval string

// Approvals.
const (
	// ApprovalAny: any approver of the unit (the default).
	ApprovalAny Approval = "any"
	// ApprovalHead: only the unit's 主要负责人 (派驻机构主要负责人), as the
	// seeds reserve the 谈话方案, the 函询通知书 and the 建议书 to that person
	// (spec/inquiry-loop.md, "Who signs what").
	ApprovalHead Approval = "head"
)

// Manifest is a template's manifest.json.
type Manifest struct {
	ID          string        `json:"id"`
	Name        string        `json:"name"` // Chinese name
	Kind        string        `json:"kind"` // 文种
	Layout      docgen.Layout `json:"layout"`
	Description string        `json:"description,omitempty"`
	// Approval is "head" or "any"; a manifest without it means "any".
	Approval Approval `json:"approval,omitempty"`
	// DocSeries is the 文号 series (系列) of the template's numbers, e.g. 函:
	// 机关代字 + series + 〔年〕N号 (驻财纪函〔2026〕1号), with a sequence of its
	// own. Empty: the unit's main series. Only a template with a doc_number
	// field may declare one.
	DocSeries string  `json:"doc_series,omitempty"`
	Fields    []Field `json:"fields"`
}

// Template is a loaded template: its manifest, parsed body and example.
type Template struct {
	Manifest
	body    *template.Template
	example map[string]any
	byName  map[string]*Field
}

// Field returns the field called name.
func (t *Template) Field(name string) (*Field, bool) {
	f, ok := t.byName[name]
	return f, ok
}

// Example returns a copy of the template's example field values.
func (t *Template) Example() map[string]any {
	b, _ := json.Marshal(t.example)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

var (
	idPattern    = regexp.MustCompile(`^[a-z][a-z0-9-]{1,40}$`)
	fieldPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,40}$`)
)

// check validates a manifest and compiles its patterns.
func (m *Manifest) check() error {
	if !idPattern.MatchString(m.ID) {
		return fmt.Errorf("id %q: want lower-case letters, digits and hyphens", m.ID)
	}
	if strings.TrimSpace(m.Name) == "" {
		return fmt.Errorf("%s: name is empty", m.ID)
	}
	if !m.Layout.Valid() {
		return fmt.Errorf("%s: unknown layout %q", m.ID, m.Layout)
	}
	switch m.Approval {
	case "":
		m.Approval = ApprovalAny
	case ApprovalAny, ApprovalHead:
	default:
		return fmt.Errorf("%s: approval %q: want \"head\" or \"any\"", m.ID, m.Approval)
	}
	seen := map[string]bool{}
	for i := range m.Fields {
		f := &m.Fields[i]
		if seen[f.Name] {
			return fmt.Errorf("%s: field %q declared twice", m.ID, f.Name)
		}
		seen[f.Name] = true
		if err := f.check(true); err != nil {
			return fmt.Errorf("%s: %w", m.ID, err)
		}
	}
	if m.DocSeries != "" {
		if !seriesPattern.MatchString(m.DocSeries) {
			return fmt.Errorf("%s: doc_series %q: want one to four Chinese characters, such as 函", m.ID, m.DocSeries)
		}
		if !seen[FieldDocNumber] {
			return fmt.Errorf("%s: doc_series %q without a %s field", m.ID, m.DocSeries, FieldDocNumber)
		}
	}
	return nil
}

// seriesPattern is a 文号 series: one to four Chinese characters (函, 便函).
var seriesPattern = regexp.MustCompile(`^\p{Han}{1,4}$`)

func (f *Field) check(top bool) error {
	if !fieldPattern.MatchString(f.Name) {
		return fmt.Errorf("field name %q: want lower-case letters, digits and _", f.Name)
	}
	if f.Label == "" {
		return fmt.Errorf("field %s: label is empty", f.Name)
	}
	switch f.Type {
	case TypeString, TypeText, TypeDate:
	case TypeEnum:
		if len(f.Enum) == 0 {
			return fmt.Errorf("field %s: enum without values", f.Name)
		}
	case TypeList, TypePerson:
		if !top {
			return fmt.Errorf("field %s: %s not allowed in a table", f.Name, f.Type)
		}
	case TypeTable:
		if !top {
			return fmt.Errorf("field %s: nested table", f.Name)
		}
		if len(f.Columns) == 0 {
			return fmt.Errorf("field %s: table without columns", f.Name)
		}
		seen := map[string]bool{}
		for i := range f.Columns {
			c := &f.Columns[i]
			if seen[c.Name] {
				return fmt.Errorf("field %s: column %q declared twice", f.Name, c.Name)
			}
			seen[c.Name] = true
			if err := c.check(false); err != nil {
				return fmt.Errorf("field %s: %w", f.Name, err)
			}
		}
	default:
		return fmt.Errorf("field %s: unknown type %q", f.Name, f.Type)
	}
	switch f.Format {
	case "", FormatDocNumber, FormatCopyNumber, FormatRecordID:
	default:
		return fmt.Errorf("field %s: unknown format %q", f.Name, f.Format)
	}
	if f.Cites != "" && (f.Format != FormatRecordID || !idPattern.MatchString(f.Cites)) {
		return fmt.Errorf("field %s: cites %q: only a record_id field may cite, and it names a template id", f.Name, f.Cites)
	}
	if f.Pattern != "" {
		re, err := regexp.Compile(f.Pattern)
		if err != nil {
			return fmt.Errorf("field %s: pattern: %w", f.Name, err)
		}
		f.re = re
	}
	if f.MaxLength == 0 {
		switch f.Type {
		case TypeText:
			f.MaxLength = DefaultTextMax
		default:
			f.MaxLength = DefaultStringMax
		}
	}
	if (f.Type == TypeList || f.Type == TypeTable) && f.MaxItems == 0 {
		if f.Type == TypeList {
			f.MaxItems = DefaultListItems
		} else {
			f.MaxItems = DefaultTableRows
		}
	}
	return nil
}
