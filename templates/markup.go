package templates

import (
	"fmt"
	"strconv"
	"strings"

	"wenshu/docgen"
)

// The body markup, after text/template has filled it, is read line by line:
//
//	@directive value   document parts: @mark @suffix @number @copy @secret
//	                   @urgency @title @to @attach @sign @date @note @cc
//	                   @printer @printdate (empty values are ignored;
//	                   @attach and @cc repeat)
//	# text … #### text headings of levels 1–4, numbered 一、（一）1.（1）
//	+ text             a numbered item (1.text, 2.text …)
//	> text             a paragraph without first-line indent
//	= text             a second title (restarts heading numbers)
//	| a | b:3 |        a table row; the first row of a table is its header,
//	                   where ":N" gives a column's relative width
//	---                a page break
//	other text         a paragraph; consecutive lines join, a blank line
//	                   ends it
//
// A backslash makes the next character literal. Field values are escaped
// before they are filled in, so no value can add markup.

// escapeMarkup escapes a field value for the markup. In a text value each
// line becomes its own paragraph.
func escapeMarkup(s string, multiline bool) string {
	if !strings.ContainsAny(s, "\\|#@+>=-\n") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	lineStart := true
	for _, r := range s {
		if r == '\n' {
			if multiline {
				b.WriteString("\n\n")
			} else {
				b.WriteByte(' ')
			}
			lineStart = true
			continue
		}
		switch {
		case r == '\\' || r == '|':
			b.WriteByte('\\')
		case lineStart && strings.ContainsRune("#@+>=-", r):
			b.WriteByte('\\')
		}
		b.WriteRune(r)
		lineStart = false
	}
	return b.String()
}

// unescape resolves backslash escapes.
func unescape(s string) string {
	if !strings.Contains(s, "\\") {
		return s
	}
	var b strings.Builder
	esc := false
	for _, r := range s {
		if esc {
			b.WriteRune(r)
			esc = false
			continue
		}
		if r == '\\' {
			esc = true
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// splitCells splits a table row on unescaped bars.
func splitCells(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimPrefix(line, "|")
	var cells []string
	var cur strings.Builder
	esc := false
	for _, r := range line {
		switch {
		case esc:
			cur.WriteByte('\\')
			cur.WriteRune(r)
			esc = false
		case r == '\\':
			esc = true
		case r == '|':
			cells = append(cells, cur.String())
			cur.Reset()
		default:
			cur.WriteRune(r)
		}
	}
	if rest := strings.TrimSpace(cur.String()); rest != "" {
		cells = append(cells, cur.String())
	}
	for i := range cells {
		cells[i] = strings.TrimSpace(unescape(cells[i]))
	}
	return cells
}

// markupError is a fault in a template's markup (not in user data).
type markupError struct {
	line int
	msg  string
}

func (e *markupError) Error() string { return fmt.Sprintf("markup line %d: %s", e.line, e.msg) }

// parseMarkup lays filled markup out into d.
func parseMarkup(src string, d *docgen.Document) error {
	p := &markupParser{d: d}
	for n, raw := range strings.Split(src, "\n") {
		if err := p.line(strings.TrimSpace(raw)); err != nil {
			return &markupError{n + 1, err.Error()}
		}
	}
	p.flushParagraph()
	p.flushTable()
	return nil
}

// markupParser holds what a line of markup continues: the paragraph being
// joined, the table being filled, the heading counters (标题层次序数) and
// the number of the last numbered item.
type markupParser struct {
	d       *docgen.Document
	para    []string
	table   *docgen.Table
	counter [5]int
	item    int
}

// line reads one trimmed line of markup.
func (p *markupParser) line(line string) error {
	if !strings.HasPrefix(line, "|") {
		p.flushTable()
	}
	if line == "" {
		p.flushParagraph()
		return nil
	}
	if isParagraphLine(line) {
		p.item = 0
		p.para = append(p.para, unescape(line))
		return nil
	}
	p.flushParagraph()
	switch {
	case line[0] == '@':
		name, value, _ := strings.Cut(line[1:], " ")
		return directive(p.d, name, strings.TrimSpace(unescape(value)))
	case line[0] == '#':
		return p.heading(line)
	case line[0] == '+':
		p.numberedItem(strings.TrimSpace(unescape(line[1:])))
	case line[0] == '=':
		p.subtitle(strings.TrimSpace(unescape(line[1:])))
	case line[0] == '>':
		p.item = 0
		if text := strings.TrimSpace(unescape(line[1:])); text != "" {
			p.add(docgen.Paragraph{Text: text, NoIndent: true})
		}
	case line[0] == '|':
		p.tableRow(splitCells(line))
	default: // "---"
		p.add(docgen.PageBreak{})
	}
	return nil
}

// isParagraphLine reports whether a non-empty line is paragraph text (it
// starts with no markup character and is not a page break).
func isParagraphLine(line string) bool {
	return line != "---" && strings.IndexByte("@#+=>|", line[0]) < 0
}

func (p *markupParser) add(b docgen.Block) { p.d.Body = append(p.d.Body, b) }

// flushParagraph ends the paragraph being joined, if it holds any text.
func (p *markupParser) flushParagraph() {
	if len(p.para) > 0 {
		text := strings.Join(p.para, "")
		if strings.TrimSpace(text) != "" {
			p.add(docgen.Paragraph{Text: text})
		}
		p.para = nil
	}
}

// flushTable ends the table being filled.
func (p *markupParser) flushTable() {
	if p.table != nil {
		p.add(*p.table)
		p.table = nil
	}
}

// heading numbers a "#"…"####" line at its level and restarts the
// counters below it and the item numbers.
func (p *markupParser) heading(line string) error {
	level := len(line) - len(strings.TrimLeft(line, "#"))
	if level > 4 {
		return fmt.Errorf("heading deeper than ####")
	}
	text := strings.TrimSpace(unescape(line[level:]))
	if text == "" {
		return nil
	}
	p.counter[level]++
	for l := level + 1; l < len(p.counter); l++ {
		p.counter[l] = 0
	}
	p.item = 0
	p.add(docgen.Heading{Level: level, Text: docgen.HeadingNumber(level, p.counter[level]) + text})
	return nil
}

// numberedItem adds a "+" line as the next numbered item (1. 2. …).
func (p *markupParser) numberedItem(text string) {
	if text == "" {
		return
	}
	p.item++
	p.add(docgen.Paragraph{Text: strconv.Itoa(p.item) + "." + text})
}

// subtitle adds a "=" line as a second title; heading and item numbers
// start again under it.
func (p *markupParser) subtitle(text string) {
	if text == "" {
		return
	}
	p.counter = [5]int{}
	p.item = 0
	p.add(docgen.Subtitle{Text: text})
}

// tableRow adds a row to the table being filled; the first row starts a
// table and gives its columns.
func (p *markupParser) tableRow(cells []string) {
	if p.table != nil {
		p.table.Rows = append(p.table.Rows, cells)
		return
	}
	p.table = &docgen.Table{Columns: tableColumns(cells)}
}

// tableColumns reads a header row: "title:N" gives the column a relative
// width N.
func tableColumns(cells []string) []docgen.Column {
	var cols []docgen.Column
	for _, c := range cells {
		title, width := c, 1
		if i := strings.LastIndex(c, ":"); i > 0 {
			if w, err := strconv.Atoi(c[i+1:]); err == nil && w > 0 {
				title, width = c[:i], w
			}
		}
		cols = append(cols, docgen.Column{Title: title, Width: width})
	}
	return cols
}

func directive(d *docgen.Document, name, value string) error {
	if value == "" {
		switch name {
		case "mark", "suffix", "number", "copy", "secret", "urgency", "title", "to", "attach",
			"sign", "date", "note", "cc", "printer", "printdate":
			return nil
		}
	}
	switch name {
	case "mark":
		d.IssuerMark = value
	case "suffix":
		d.MarkSuffix = value
	case "number":
		d.DocNumber = value
	case "copy":
		d.CopyNumber = value
	case "secret":
		d.Classification = value
	case "urgency":
		d.Urgency = value
	case "title":
		d.Title = value
	case "to":
		d.Recipients = value
	case "attach":
		d.Attachment = append(d.Attachment, value)
	case "sign":
		d.Signature = value
	case "date":
		d.Date = value
	case "note":
		d.Note = value
	case "cc":
		d.CC = append(d.CC, value)
	case "printer":
		d.PrintedBy = value
	case "printdate":
		d.PrintedDate = value
	default:
		return fmt.Errorf("unknown directive @%s", name)
	}
	return nil
}
