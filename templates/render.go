package templates

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"time"

	"wenshu/docgen"
)

// Reserved field names the renderer fills from a RenderRequest. Templates
// declare them like any other field; the server and the archive set them
// from the caller's unit and the filing, never from client input.
const (
	FieldIssuer         = "issuer"         // 发文机关全称
	FieldDocNumber      = "doc_number"     // 发文字号
	FieldClassification = "classification" // 密级
	FieldDate           = "date"           // 成文日期
)

// Numbered reports whether template id prints a 发文字号, i.e. declares a
// doc_number field. Internal papers such as a 谈话方案 do not, and filing
// them must not use up a number of the unit's sequence.
func (r *Registry) Numbered(id string) bool {
	t, err := r.Get(id)
	if err != nil {
		return false
	}
	_, ok := t.Field(FieldDocNumber)
	return ok
}

// Approval returns who may sign off template id's documents. An unknown id
// gives ApprovalHead, the stricter answer, so that a typo never loosens a
// check.
func (r *Registry) Approval(id string) Approval {
	t, err := r.Get(id)
	if err != nil {
		return ApprovalHead
	}
	return t.Approval
}

// DocSeries returns the 文号 series of template id ("" for the unit's main
// series or an unknown id).
func (r *Registry) DocSeries(id string) string {
	t, err := r.Get(id)
	if err != nil {
		return ""
	}
	return t.DocSeries
}

// ComposeDocNumber writes a 发文字号: 机关代字 + series + 〔year〕n号, e.g.
// ComposeDocNumber("驻财纪", "函", 2026, 1) = 驻财纪函〔2026〕1号 and, with no
// series, 驻财纪〔2026〕1号. Each (代字 + series, year) has a sequence of its
// own, kept by the archive.
func ComposeDocNumber(agency, series string, year, n int) string {
	return agency + series + "〔" + strconv.Itoa(year) + "〕" + strconv.Itoa(n) + "号"
}

// Validate checks fields against template id's schema and dry-runs the
// template, so that every error a render would meet (a deadline in a year
// with no holiday table, say) is reported now. It returns FieldErrors or an
// error wrapping ErrUnknownTemplate.
func (r *Registry) Validate(id string, fields map[string]any) error {
	t, err := r.Get(id)
	if err != nil {
		return err
	}
	_, err = r.build(t, RenderRequest{TemplateID: id, Fields: fields})
	return err
}

// Render validates the request's fields, fills the template and writes the
// .docx. Invalid fields give FieldErrors; an unknown template an error
// wrapping ErrUnknownTemplate.
func (r *Registry) Render(req RenderRequest) (*Rendered, error) {
	t, err := r.Get(req.TemplateID)
	if err != nil {
		return nil, err
	}
	return r.render(t, req, true)
}

// Build validates and fills a template into a document model without
// writing it.
func (r *Registry) Build(req RenderRequest) (*docgen.Document, error) {
	t, err := r.Get(req.TemplateID)
	if err != nil {
		return nil, err
	}
	return r.build(t, req)
}

func (r *Registry) render(t *Template, req RenderRequest, write bool) (*Rendered, error) {
	d, err := r.build(t, req)
	if err != nil {
		return nil, err
	}
	out := &Rendered{Title: d.Title, Kind: t.Kind, Text: d.PlainText()}
	if write {
		out.Docx, err = docgen.Render(d)
		if err != nil {
			return nil, fmt.Errorf("templates: %s: %w", t.ID, err)
		}
	}
	return out, nil
}

func (r *Registry) build(t *Template, req RenderRequest) (*docgen.Document, error) {
	values, err := t.Validate(req.Fields)
	if err != nil {
		return nil, err
	}
	if req.IssuerName != "" {
		values[FieldIssuer] = req.IssuerName
	}
	if req.Classification != "" {
		values[FieldClassification] = req.Classification
	}
	date, _ := values[FieldDate].(Date)
	if !req.Date.IsZero() {
		date = Date{Time: req.Date, Field: FieldDate}
	}
	if date.IsZero() {
		now := r.now()
		date = Date{Time: time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC), Field: FieldDate}
	}
	values[FieldDate] = date
	switch {
	case req.DocNumber != "":
		values[FieldDocNumber] = req.DocNumber
	case req.Preview:
		values[FieldDocNumber] = req.UnitCode + t.DocSeries + "〔" + strconv.Itoa(date.Year()) + "〕　号"
	}
	if _, ok := values[FieldDocNumber]; !ok {
		values[FieldDocNumber] = ""
	}
	if _, ok := values[FieldIssuer]; !ok {
		values[FieldIssuer] = ""
	}
	if _, ok := values[FieldClassification]; !ok {
		values[FieldClassification] = ""
	}

	var buf bytes.Buffer
	if err := t.body.Execute(&buf, escapeValues(values)); err != nil {
		var fe FieldErrors
		if errors.As(err, &fe) {
			return nil, fe
		}
		return nil, fmt.Errorf("templates: %s: body: %w", t.ID, err)
	}
	d := &docgen.Document{Layout: t.Layout, Fonts: r.fonts}
	if err := parseMarkup(buf.String(), d); err != nil {
		return nil, fmt.Errorf("templates: %s: %w", t.ID, err)
	}
	if d.Title == "" {
		return nil, fmt.Errorf("templates: %s: body sets no @title", t.ID)
	}
	return d, nil
}

// escapeValues returns a copy of values with every string escaped for the
// markup.
func escapeValues(values map[string]any) map[string]any {
	out := make(map[string]any, len(values))
	for k, v := range values {
		out[k] = escapeValue(v)
	}
	return out
}

func escapeValue(v any) any {
	switch x := v.(type) {
	case string:
		return escapeMarkup(x, true)
	case []string:
		out := make([]string, len(x))
		for i, s := range x {
			out[i] = escapeMarkup(s, false)
		}
		return out
	case map[string]string:
		out := make(map[string]string, len(x))
		for k, s := range x {
			out[k] = escapeMarkup(s, false)
		}
		return out
	case []map[string]any:
		out := make([]map[string]any, len(x))
		for i, row := range x {
			out[i] = escapeValues(row)
		}
		return out
	case map[string]any:
		return escapeValues(x)
	}
	return v
}
