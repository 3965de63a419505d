package server

import (
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"wenshu/archive"
	"wenshu/templates"
)

// The draft form is generated from a template's field schema. Input names
// follow the field paths that validation errors use, prefixed by "f.":
//
//	f.phone                    a string, text, date or enum field
//	f.reported_issues[0]       item 0 of a list
//	f.interviewers[1].position a cell of a table row
//	f.person.name              a particular of a person
//
// so an error for "interviewers[1].position" is shown beside the input
// named "f.interviewers[1].position". Rows may be added and removed in the
// browser, leaving gaps in the indexes; parsing keeps their order and
// closes the gaps, and drops rows left entirely blank.

const fieldPrefix = "f."

// hiddenFields are set by the server, never typed: the issuing organ is
// the author's unit and the 文号 is allocated on filing.
var hiddenFields = map[string]bool{templates.FieldIssuer: true, templates.FieldDocNumber: true}

// formPath is a parsed input name.
type formPath struct {
	name  string
	index int    // -1 without [i]
	sub   string // after the dot
}

func parseFormPath(key string) (formPath, bool) {
	p := formPath{index: -1}
	rest := key
	i := strings.IndexAny(rest, "[.")
	if i < 0 {
		p.name = rest
		return p, p.name != ""
	}
	p.name, rest = rest[:i], rest[i:]
	if strings.HasPrefix(rest, "[") {
		j := strings.IndexByte(rest, ']')
		if j < 0 {
			return p, false
		}
		n, err := strconv.Atoi(rest[1:j])
		if err != nil || n < 0 || n > 10000 {
			return p, false
		}
		p.index, rest = n, rest[j+1:]
	}
	if rest != "" {
		if !strings.HasPrefix(rest, ".") || len(rest) < 2 || strings.ContainsAny(rest[1:], "[].") {
			return p, false
		}
		p.sub = rest[1:]
	}
	return p, p.name != ""
}

// cleanValue trims a posted value; text keeps its inner lines.
func cleanValue(v string, t templates.FieldType) string {
	if t == templates.TypeText {
		v = strings.ReplaceAll(v, "\r\n", "\n")
		v = strings.ReplaceAll(v, "\r", "\n")
		lines := strings.Split(v, "\n")
		for i, l := range lines {
			lines[i] = strings.TrimRight(l, " \t")
		}
		return strings.Trim(strings.Join(lines, "\n"), "\n")
	}
	return strings.TrimSpace(v)
}

// parseDraftForm turns posted "f.…" inputs into the fields map that
// templates validate, shaped like the JSON API's: strings, lists as []any,
// table rows and persons as map[string]any. Empty inputs are left out, so
// a required field left blank is reported as missing. Inputs that match no
// field of the schema, and the hidden fields, are ignored.
func parseDraftForm(schema []templates.Field, form url.Values) map[string]any {
	byName := map[string]*templates.Field{}
	for i := range schema {
		byName[schema[i].Name] = &schema[i]
	}
	in := draftFormInputs{
		scalars: map[string]string{},
		lists:   map[string]map[int]string{},
		tables:  map[string]map[int]map[string]string{},
		persons: map[string]map[string]string{},
	}
	for key, vals := range form {
		if !strings.HasPrefix(key, fieldPrefix) || len(vals) == 0 {
			continue
		}
		p, ok := parseFormPath(strings.TrimPrefix(key, fieldPrefix))
		if !ok {
			continue
		}
		if f := byName[p.name]; f != nil && !hiddenFields[f.Name] {
			in.add(f, p, vals[0])
		}
	}
	return in.fields()
}

// draftFormInputs are the posted inputs of a draft form by the shape of
// their field, cleaned but with blanks and index gaps still in.
type draftFormInputs struct {
	scalars map[string]string                    // field → value
	lists   map[string]map[int]string            // field → index → item
	tables  map[string]map[int]map[string]string // field → row index → column → cell
	persons map[string]map[string]string         // field → particular → value
}

// add files the input at path p of field f; a path that does not fit the
// field's shape (an index on a string, no column in a table …) is ignored.
func (in *draftFormInputs) add(f *templates.Field, p formPath, v string) {
	switch f.Type {
	case templates.TypeList:
		if p.index >= 0 && p.sub == "" {
			inner(in.lists, f.Name)[p.index] = cleanValue(v, f.Type)
		}
	case templates.TypeTable:
		col := column(f, p.sub)
		if p.index < 0 || col == nil {
			return
		}
		rows := inner(in.tables, f.Name)
		if rows[p.index] == nil {
			rows[p.index] = map[string]string{}
		}
		rows[p.index][p.sub] = cleanValue(v, col.Type)
	case templates.TypePerson:
		if p.index < 0 && p.sub != "" {
			inner(in.persons, f.Name)[p.sub] = cleanValue(v, templates.TypeString)
		}
	default:
		if p.index < 0 && p.sub == "" {
			in.scalars[f.Name] = cleanValue(v, f.Type)
		}
	}
}

// fields drops blank values, empty rows and empty groups, and closes the
// gaps in list and table indexes, keeping their order.
func (in *draftFormInputs) fields() map[string]any {
	out := map[string]any{}
	for name, v := range in.scalars {
		if v != "" {
			out[name] = v
		}
	}
	for name, items := range in.lists {
		var list []any
		for _, i := range sortedKeys(items) {
			if items[i] != "" {
				list = append(list, items[i])
			}
		}
		if len(list) > 0 {
			out[name] = list
		}
	}
	for name, rows := range in.tables {
		var list []any
		for _, i := range sortedKeys(rows) {
			if row := nonBlank(rows[i]); len(row) > 0 {
				list = append(list, row)
			}
		}
		if len(list) > 0 {
			out[name] = list
		}
	}
	for name, subs := range in.persons {
		if obj := nonBlank(subs); len(obj) > 0 {
			out[name] = obj
		}
	}
	return out
}

// inner returns m[name], made if missing.
func inner[K comparable, V any](m map[string]map[K]V, name string) map[K]V {
	if m[name] == nil {
		m[name] = map[K]V{}
	}
	return m[name]
}

// column returns the column of table f named name, or nil.
func column(f *templates.Field, name string) *templates.Field {
	for i := range f.Columns {
		if f.Columns[i].Name == name {
			return &f.Columns[i]
		}
	}
	return nil
}

// nonBlank keeps the values that are not "".
func nonBlank(m map[string]string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

// splitPersons splits a list of people (涉及人员) typed into one input —
// the web form's persons and the import form's — by archive.SplitPersons,
// the one rule the CLI's --persons follows too.
func splitPersons(s string) []string { return archive.SplitPersons(s) }

func sortedKeys[V any](m map[int]V) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	return keys
}

// postedForm copies the posted form (urlencoded or multipart) into
// url.Values, bounded in size.
func postedForm(c *fiber.Ctx) (url.Values, error) {
	form := url.Values{}
	n := 0
	var tooMany bool
	c.Request().PostArgs().VisitAll(func(k, v []byte) {
		if n++; n > maxWebFormFields {
			tooMany = true
			return
		}
		form.Add(string(k), string(v))
	})
	if mf, err := c.MultipartForm(); err == nil {
		for k, vs := range mf.Value {
			for _, v := range vs {
				if n++; n > maxWebFormFields {
					tooMany = true
					break
				}
				form.Add(k, v)
			}
		}
	}
	if tooMany {
		return nil, apiErr(fiber.StatusRequestEntityTooLarge, "too_many_fields", "", "表单字段过多")
	}
	return form, nil
}

// --- the form model the template renders ---

// formField is one input, or a group of inputs, of the draft form; it is
// also used to show a draft's or record's fields read-only.
type formField struct {
	Path      string // error path: phone, reported_issues[0], person.name
	Name      string // input name: f. + Path
	ID        string // element id
	Label     string
	Help      string
	Type      string
	Required  bool
	MaxLength int
	Enum      []string
	Format    string
	Cites     string // on a record_id field: the template of the records it may name
	Value     string
	MinItems  int
	MaxItems  int
	Items     []formField   // list items
	Columns   []formField   // table column headings (and the new-row prototype with Path "name[__i__].col")
	Rows      [][]formField // table cells
	Subs      []formField   // person particulars
	Errors    []string
	NextIndex int // first free index for a row added in the browser
}

// HasValue reports whether a read-only view has anything to show.
func (f formField) HasValue() bool {
	return f.Value != "" || len(f.Items) > 0 || len(f.Rows) > 0 || len(f.Subs) > 0
}

func inputID(path string) string {
	r := strings.NewReplacer("[", "-", "]", "", ".", "-", "_", "-")
	return "f-" + r.Replace(path)
}

func valueString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		if x {
			return "是"
		}
		return "否"
	case interface{ String() string }:
		return x.String()
	}
	return ""
}

func scalarField(f *templates.Field, path string, v any, errs map[string][]string) formField {
	return formField{
		Path: path, Name: fieldPrefix + path, ID: inputID(path), Label: f.Label, Help: f.Help, Type: string(f.Type),
		Required: f.Required, MaxLength: f.MaxLength, Enum: f.Enum, Format: f.Format, Cites: f.Cites, Value: valueString(v), Errors: errs[path],
	}
}

// buildFormFields makes the form (or the read-only view) of a template's
// fields with values and errors (keyed by field path). New forms get the
// schema defaults and enough empty rows for min_items.
func buildFormFields(t *templates.Template, values map[string]any, errs map[string][]string, isNew bool) []formField {
	var out []formField
	for i := range t.Fields {
		f := &t.Fields[i]
		if hiddenFields[f.Name] {
			continue
		}
		v, present := values[f.Name]
		if !present && isNew && f.Default != "" {
			v = f.Default
		}
		ff := scalarField(f, f.Name, v, errs)
		ff.MinItems, ff.MaxItems = f.MinItems, f.MaxItems
		switch f.Type {
		case templates.TypeList:
			items, _ := v.([]any)
			for j, it := range items {
				p := f.Name + "[" + strconv.Itoa(j) + "]"
				ff.Items = append(ff.Items, formField{Path: p, Name: fieldPrefix + p, ID: inputID(p), Value: valueString(it),
					MaxLength: f.MaxLength, Label: f.Label + "第" + strconv.Itoa(j+1) + "项", Errors: errs[p]})
			}
			for len(ff.Items) < max(1, f.MinItems) && (isNew || len(ff.Items) == 0) {
				p := f.Name + "[" + strconv.Itoa(len(ff.Items)) + "]"
				ff.Items = append(ff.Items, formField{Path: p, Name: fieldPrefix + p, ID: inputID(p), MaxLength: f.MaxLength,
					Label: f.Label + "第" + strconv.Itoa(len(ff.Items)+1) + "项", Errors: errs[p]})
			}
			ff.NextIndex = len(ff.Items)
			ff.Value = ""
		case templates.TypeTable:
			for k := range f.Columns {
				col := &f.Columns[k]
				ff.Columns = append(ff.Columns, scalarField(col, f.Name+"[__i__]."+col.Name, nil, nil))
			}
			rows, _ := v.([]any)
			addRow := func(j int, row map[string]any) {
				var cells []formField
				for k := range f.Columns {
					col := &f.Columns[k]
					p := f.Name + "[" + strconv.Itoa(j) + "]." + col.Name
					cells = append(cells, scalarField(col, p, row[col.Name], errs))
				}
				ff.Rows = append(ff.Rows, cells)
			}
			for j, r := range rows {
				row, _ := r.(map[string]any)
				addRow(j, row)
			}
			for len(ff.Rows) < max(1, f.MinItems) && (isNew || len(ff.Rows) == 0) {
				addRow(len(ff.Rows), nil)
			}
			ff.NextIndex = len(ff.Rows)
			ff.Value = ""
		case templates.TypePerson:
			obj, _ := v.(map[string]any)
			for k := range templates.PersonFields {
				pf := &templates.PersonFields[k]
				ff.Subs = append(ff.Subs, scalarField(pf, f.Name+"."+pf.Name, obj[pf.Name], errs))
			}
			ff.Value = ""
		}
		out = append(out, ff)
	}
	return out
}

// readOnlyFields is buildFormFields for display: no empty rows.
func readOnlyFields(t *templates.Template, values map[string]any) []formField {
	all := buildFormFields(t, values, nil, false)
	out := all[:0]
	for _, f := range all {
		switch f.Type {
		case string(templates.TypeList):
			items := f.Items[:0]
			for _, it := range f.Items {
				if it.Value != "" {
					items = append(items, it)
				}
			}
			f.Items = items
		case string(templates.TypeTable):
			rows := f.Rows[:0]
			for _, r := range f.Rows {
				for _, c := range r {
					if c.Value != "" {
						rows = append(rows, r)
						break
					}
				}
			}
			f.Rows = rows
		case string(templates.TypePerson):
			subs := f.Subs[:0]
			for _, sf := range f.Subs {
				if sf.Value != "" {
					subs = append(subs, sf)
				}
			}
			f.Subs = subs
		}
		if f.HasValue() {
			out = append(out, f)
		}
	}
	return out
}

// fieldErrorList is one error for the summary above the form.
type fieldErrorList struct {
	ID      string
	Label   string
	Message string
}

// shownInline reports whether err is the user's to act on, on the page
// that caused it (bad input, a refused action, a conflict), and its class.
// Anything else (not found, internal …) goes to the error page.
func shownInline(err error) (errorClass, bool) {
	class := classify(err)
	switch class.Status {
	case fiber.StatusBadRequest, fiber.StatusForbidden, fiber.StatusConflict, fiber.StatusUnprocessableEntity:
		return class, true
	}
	return class, false
}

// fieldList is the class's errors as a list with paths as the form uses
// them: fields of the template without "fields.", and the draft's own
// case_no, persons, classification, retention, template. An error of no
// field has Field "".
func (e errorClass) fieldList() []templates.FieldError {
	list := []templates.FieldError{{Field: e.Field, Code: e.Code, Message: e.Message}}
	if e.Fields != nil {
		list = append([]templates.FieldError(nil), e.Fields...)
	}
	for i := range list {
		list[i].Field = strings.TrimPrefix(list[i].Field, "fields.")
	}
	return list
}

// detail is the class's message for a one-line notice: the messages of
// its field errors, or its own message.
func (e errorClass) detail() string {
	if e.Fields == nil {
		return e.Message
	}
	msgs := make([]string, 0, len(e.Fields))
	for _, fe := range e.Fields {
		msgs = append(msgs, fe.Message)
	}
	return strings.Join(msgs, "；")
}

// collectErrors turns a failed save into errors by path and a list (see
// fieldList), with the class that decides the page's status, and reports
// whether err was such a user error at all.
func collectErrors(err error) (map[string][]string, []templates.FieldError, errorClass, bool) {
	class, ok := shownInline(err)
	if !ok {
		return nil, nil, class, false
	}
	list := class.fieldList()
	m := map[string][]string{}
	for _, e := range list {
		m[e.Field] = append(m[e.Field], e.Message)
	}
	return m, list, class, true
}

// errorSummary labels the errors for the list above the form.
func errorSummary(t *templates.Template, list []templates.FieldError) []fieldErrorList {
	meta := map[string]string{"case_no": "案件编号", "persons": "涉及人员", "classification": "档案密级",
		"retention": "保管期限", "template": "模板", "revision": "版本"}
	var out []fieldErrorList
	for _, e := range list {
		label := meta[e.Field]
		id := "m-" + strings.ReplaceAll(e.Field, "_", "-")
		if label == "" {
			p, _ := parseFormPath(e.Field)
			label = e.Field
			if f, ok := t.Field(p.name); ok {
				label = f.Label
				if p.index >= 0 {
					label += "第" + strconv.Itoa(p.index+1) + "项"
				}
				if p.sub != "" {
					for _, c := range append(append([]templates.Field{}, f.Columns...), templates.PersonFields...) {
						if c.Name == p.sub {
							label += "·" + c.Label
							break
						}
					}
				}
			}
			id = inputID(e.Field)
		}
		if e.Field == "" {
			label, id = "", ""
		}
		out = append(out, fieldErrorList{ID: id, Label: label, Message: e.Message})
	}
	return out
}
