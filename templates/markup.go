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
	var (
		para    []string
		table   *docgen.Table
		counter [5]int
		item    int
	)
	flushPara := func() {
		if len(para) > 0 {
			text := strings.Join(para, "")
			if strings.TrimSpace(text) != "" {
				d.Body = append(d.Body, docgen.Paragraph{Text: text})
			}
			para = nil
		}
	}
	flushTable := func() {
		if table != nil {
			d.Body = append(d.Body, *table)
			table = nil
		}
	}
	for n, raw := range strings.Split(src, "\n") {
		line := strings.TrimSpace(raw)
		if !strings.HasPrefix(line, "|") {
			flushTable()
		}
		if line == "" {
			flushPara()
			continue
		}
		switch {
		case line[0] == '@':
			flushPara()
			name, value, _ := strings.Cut(line[1:], " ")
			value = strings.TrimSpace(unescape(value))
			if err := directive(d, name, value); err != nil {
				return &markupError{n + 1, err.Error()}
			}
		case line[0] == '#':
			flushPara()
			level := len(line) - len(strings.TrimLeft(line, "#"))
			if level > 4 {
				return &markupError{n + 1, "heading deeper than ####"}
			}
			text := strings.TrimSpace(unescape(line[level:]))
			if text == "" {
				continue
			}
			counter[level]++
			for l := level + 1; l < len(counter); l++ {
				counter[l] = 0
			}
			item = 0
			d.Body = append(d.Body, docgen.Heading{Level: level, Text: docgen.HeadingNumber(level, counter[level]) + text})
		case line[0] == '+':
			flushPara()
			text := strings.TrimSpace(unescape(line[1:]))
			if text == "" {
				continue
			}
			item++
			d.Body = append(d.Body, docgen.Paragraph{Text: strconv.Itoa(item) + "." + text})
		case line[0] == '=':
			flushPara()
			if text := strings.TrimSpace(unescape(line[1:])); text != "" {
				counter = [5]int{}
				item = 0
				d.Body = append(d.Body, docgen.Subtitle{Text: text})
			}
		case line[0] == '>':
			flushPara()
			item = 0
			if text := strings.TrimSpace(unescape(line[1:])); text != "" {
				d.Body = append(d.Body, docgen.Paragraph{Text: text, NoIndent: true})
			}
		case line[0] == '|':
			flushPara()
			cells := splitCells(line)
			if table == nil {
				table = &docgen.Table{}
				for _, c := range cells {
					title, width := c, 1
					if i := strings.LastIndex(c, ":"); i > 0 {
						if w, err := strconv.Atoi(c[i+1:]); err == nil && w > 0 {
							title, width = c[:i], w
						}
					}
					table.Columns = append(table.Columns, docgen.Column{Title: title, Width: width})
				}
				continue
			}
			table.Rows = append(table.Rows, cells)
		case line == "---":
			flushPara()
			d.Body = append(d.Body, docgen.PageBreak{})
		default:
			item = 0
			para = append(para, unescape(line))
		}
	}
	flushPara()
	flushTable()
	return nil
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
