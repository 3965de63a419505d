package docgen

import (
	"bytes"
	"strconv"
	"strings"
)

// pp holds the paragraph properties docgen uses, written in the order
// CT_PPr requires.
type pp struct {
	style     string
	keepNext  bool
	keepLines bool
	frame     string // raw w:framePr attributes
	border    string // raw w:pBdr content
	tabs      string // raw w:tabs content
	noSnap    bool   // w:snapToGrid w:val="0"
	spacing   bool
	before    int
	after     int
	line      int
	lineRule  string
	ind       bool
	left      int
	right     int
	firstLine int
	hanging   int
	jc        string
	outline   int // 0 = none, else level 1..9
}

// rp holds run properties, in CT_RPr order.
type rp struct {
	east    string // eastAsia font; "" inherits
	latin   string // ascii/hAnsi font; "" uses Fonts.Latin when east is set
	color   string
	spacing int
	setSp   bool
	size    int // half-points; 0 inherits
}

type writer struct {
	buf   bytes.Buffer
	fonts Fonts
}

func (w *writer) s(s string) { w.buf.WriteString(s) }

func (w *writer) attr(name string, v int) {
	w.buf.WriteByte(' ')
	w.buf.WriteString(name)
	w.buf.WriteString(`="`)
	w.buf.WriteString(strconv.Itoa(v))
	w.buf.WriteByte('"')
}

func (w *writer) pPr(p pp) {
	w.s("<w:pPr>")
	if p.style != "" {
		w.s(`<w:pStyle w:val="`)
		w.s(p.style)
		w.s(`"/>`)
	}
	if p.keepNext {
		w.s("<w:keepNext/>")
	}
	if p.keepLines {
		w.s("<w:keepLines/>")
	}
	if p.frame != "" {
		w.s("<w:framePr ")
		w.s(p.frame)
		w.s("/>")
	}
	if p.border != "" {
		w.s("<w:pBdr>")
		w.s(p.border)
		w.s("</w:pBdr>")
	}
	if p.tabs != "" {
		w.s("<w:tabs>")
		w.s(p.tabs)
		w.s("</w:tabs>")
	}
	if p.noSnap {
		w.s(`<w:snapToGrid w:val="0"/>`)
	}
	if p.spacing {
		w.s("<w:spacing")
		w.attr("w:before", p.before)
		w.attr("w:after", p.after)
		if p.line > 0 {
			w.attr("w:line", p.line)
			w.s(` w:lineRule="`)
			w.s(p.lineRule)
			w.s(`"`)
		}
		w.s("/>")
	}
	if p.ind {
		w.s("<w:ind")
		w.attr("w:left", p.left)
		w.attr("w:right", p.right)
		if p.hanging > 0 {
			w.attr("w:hanging", p.hanging)
		} else {
			w.attr("w:firstLine", p.firstLine)
		}
		w.s("/>")
	}
	if p.jc != "" {
		w.s(`<w:jc w:val="`)
		w.s(p.jc)
		w.s(`"/>`)
	}
	if p.outline > 0 {
		w.s("<w:outlineLvl")
		w.attr("w:val", p.outline-1)
		w.s("/>")
	}
	w.s("</w:pPr>")
}

func (w *writer) rPr(r rp) {
	if r == (rp{}) {
		return
	}
	w.s("<w:rPr>")
	if r.east != "" || r.latin != "" {
		latin := r.latin
		if latin == "" {
			latin = w.fonts.Latin
		}
		w.s(`<w:rFonts w:ascii="`)
		escapeTo(&w.buf, latin)
		w.s(`" w:hAnsi="`)
		escapeTo(&w.buf, latin)
		if r.east != "" {
			w.s(`" w:eastAsia="`)
			escapeTo(&w.buf, r.east)
		}
		w.s(`" w:cs="`)
		escapeTo(&w.buf, latin)
		w.s(`"/>`)
	}
	if r.color != "" {
		w.s(`<w:color w:val="`)
		w.s(r.color)
		w.s(`"/>`)
	}
	if r.setSp {
		w.s("<w:spacing")
		w.attr("w:val", r.spacing)
		w.s("/>")
	}
	if r.size > 0 {
		w.s("<w:sz")
		w.attr("w:val", r.size)
		w.s("/><w:szCs")
		w.attr("w:val", r.size)
		w.s("/>")
	}
	w.s("</w:rPr>")
}

// run writes one text run.
func (w *writer) run(r rp, text string) {
	if text == "" {
		return
	}
	w.s("<w:r>")
	w.rPr(r)
	w.s(`<w:t xml:space="preserve">`)
	escapeTo(&w.buf, text)
	w.s("</w:t></w:r>")
}

func (w *writer) tab(r rp) {
	w.s("<w:r>")
	w.rPr(r)
	w.s("<w:tab/></w:r>")
}

// para writes a paragraph with a single run.
func (w *writer) para(p pp, r rp, text string) {
	w.s("<w:p>")
	w.pPr(p)
	w.run(r, text)
	w.s("</w:p>")
}

// gridLine is the exact spacing of a line on the 22-line grid.
func gridLine(p pp) pp {
	p.spacing = true
	p.line = LinePitch
	p.lineRule = "exact"
	return p
}

// textUnits measures s in half-character units: a CJK or full-width
// character counts 2, an ASCII or other narrow character 1.
func textUnits(s string) int {
	n := 0
	for _, r := range s {
		if r < 0x1100 || (r >= 0xFF61 && r <= 0xFFDC) {
			n++
		} else {
			n += 2
		}
	}
	return n
}

// markSize chooses the 发文机关标志 size: 小初 (36 pt) or smaller so that the
// whole mark fits one line of the 版心 (or the letter rule).
func markSize(text string, width int) int {
	units := textUnits(text)
	if units == 0 {
		return 72
	}
	// A character of size s half-points is s*10 twips wide; keep 5 % spare.
	size := width * 95 / 100 * 2 / units / 10
	if size > 72 {
		size = 72
	}
	if size < 32 {
		size = 32
	}
	return size
}

// writeDocumentXML writes word/document.xml for d.
func (w *writer) writeDocumentXML(d *Document) {
	w.s(xmlHeader)
	w.s(`<w:document ` + nsMain + `><w:body>`)
	switch d.Layout {
	case LayoutLetter:
		w.letterHead(d)
	case LayoutDocument:
		w.documentHead(d)
	case LayoutPlain:
		if w.stackedMarks(d) > 0 {
			w.para(gridLine(pp{}), rp{}, "")
		}
	}
	w.title(d)
	w.recipients(d)
	w.body(d.Body)
	w.attachments(d)
	w.signature(d)
	w.note(d)
	w.colophon(d)
	w.sectPr(d)
	w.s(`</w:body></w:document>`)
}

// documentHead writes the 文件格式 版头: 份号, 密级, 紧急程度 on lines 1–3,
// the red 标志 35 mm below the 版心 top, the 发文字号 two lines below it and
// the red rule 4 mm below the number.
func (w *writer) documentHead(d *Document) {
	lines := w.stackedMarks(d)
	mark := d.IssuerMark + d.MarkSuffix
	size := markSize(mark, TextWidth)
	before := MarkFromTop - lines*LinePitch
	if before < 0 {
		before = 0
	}
	w.para(pp{noSnap: true, spacing: true, before: before, line: size * 10, lineRule: "exact",
		ind: true, jc: "center"},
		rp{east: w.fonts.Title, latin: w.fonts.Title, color: colorRed, setSp: true, size: size}, mark)
	border := `<w:bottom w:val="single" w:sz="10" w:space="` + strconv.Itoa(RedRuleSpace) + `" w:color="` + colorRed + `"/>`
	w.para(gridLine(pp{spacing: true, before: 2 * LinePitch, ind: true, jc: "center", border: border}),
		rp{}, d.DocNumber)
}

// letterHead writes what the 信函格式 needs in the body: the row under the
// upper double line (份号 or 密级 at the left, 发文字号 flush right, 14 pt
// below the line). The 标志 and the double lines live in the first-page
// header and footer (see header.go).
func (w *writer) letterHead(d *Document) {
	w.letterLowerRule()
	first := true
	row := func(r rp, text string, withNumber bool) {
		p := gridLine(pp{ind: true, jc: "left"})
		if first {
			p.before = LetterGap
		}
		if withNumber {
			p.tabs = `<w:tab w:val="right" w:pos="` + strconv.Itoa(TextWidth) + `"/>`
		}
		w.s("<w:p>")
		w.pPr(p)
		w.run(r, text)
		if withNumber {
			w.tab(rp{})
			w.run(rp{}, d.DocNumber)
		}
		w.s("</w:p>")
		first = false
	}
	hei := rp{east: w.fonts.Hei}
	items := []struct {
		r    rp
		text string
	}{{rp{}, d.CopyNumber}, {hei, d.Classification}, {hei, d.Urgency}}
	numberDone := d.DocNumber == ""
	for _, it := range items {
		if it.text == "" {
			continue
		}
		row(it.r, it.text, !numberDone)
		numberDone = true
	}
	if !numberDone {
		row(rp{}, "", true)
	}
	if first {
		// Nothing under the rule: keep the 14 pt gap for the title's count.
		w.para(gridLine(pp{before: LetterGap}), rp{}, "")
	}
}

// letterLowerRule draws the lower red double line of 信函格式 — thin over
// thick, 170 mm, 20 mm above the paper bottom — as a frame anchored to
// page 1. (A frame in the first-page footer would do, but LibreOffice keeps
// footer frames inside the footer area, 6 mm too high.)
func (w *writer) letterLowerRule() {
	h := 60
	frame := `w:w="` + strconv.Itoa(LetterRule) + `" w:h="` + strconv.Itoa(h) + `" w:hRule="exact" w:wrap="around" w:vAnchor="page" w:hAnchor="margin" w:xAlign="center" w:y="` +
		strconv.Itoa(LetterBottom-h) + `"`
	border := `<w:bottom w:val="thinThickSmallGap" w:sz="18" w:space="0" w:color="` + colorRed + `"/>`
	w.para(pp{frame: frame, border: border, noSnap: true, spacing: true, line: h, lineRule: "exact",
		ind: true}, rp{size: 2}, "")
}

// stackedMarks writes 份号, 密级和保密期限 and 紧急程度 flush left, one per
// line, and returns how many lines it used.
func (w *writer) stackedMarks(d *Document) int {
	n := 0
	if d.CopyNumber != "" {
		w.para(gridLine(pp{ind: true, jc: "left"}), rp{}, d.CopyNumber)
		n++
	}
	hei := rp{east: w.fonts.Hei}
	for _, s := range []string{d.Classification, d.Urgency} {
		if s != "" {
			w.para(gridLine(pp{ind: true, jc: "left"}), hei, s)
			n++
		}
	}
	return n
}

// title writes the 标题: 2号小标宋, centred, two blank lines below what is
// above it (none at the top of a plain page).
func (w *writer) title(d *Document) {
	t := cleanTitle(d.Title)
	if t == "" {
		return
	}
	before := 2 * LinePitch
	if d.Layout == LayoutPlain {
		before = 0
	}
	w.s("<w:p>")
	w.pPr(gridLine(pp{style: "Title", keepNext: true, before: before, ind: true, jc: "center"}))
	for i, line := range titleLines(t, TextWidth/(SizeTitle*10)) {
		if i > 0 {
			w.s(`<w:r><w:br/></w:r>`)
		}
		w.run(rp{}, line)
	}
	w.s("</w:p>")
}

// titleLines breaks a title that does not fit one line into lines of
// near-equal length, longest first (a trapezoid, GB/T 9704 §7.3.3),
// preferring to break after a particle such as 的 or 关于 so that words
// stay whole. perLine is the capacity of a line in full-width characters.
func titleLines(title string, perLine int) []string {
	rs := []rune(title)
	units := textUnits(title)
	if perLine <= 0 || units <= 2*perLine {
		return []string{title}
	}
	n := (units + 2*perLine - 1) / (2 * perLine)
	var lines []string
	for n > 1 && len(rs) > 0 {
		remaining := textUnits(string(rs))
		target := (remaining + n - 1) / n // units on this line, rounded up
		if target%2 == 1 {
			target++ // whole full-width characters
		}
		// Rune index where the line reaches target units.
		cut, acc := 0, 0
		for cut < len(rs) && acc+textUnits(string(rs[cut])) <= target {
			acc += textUnits(string(rs[cut]))
			cut++
		}
		// Prefer a break after a particle at or after the even split, as
		// long as the line still fits: the upper line is never shorter than
		// the lower (a trapezoid), and words around 的 or 关于 stay whole.
		best := cut
		for i := cut; i < len(rs) && textUnits(string(rs[:i])) <= 2*perLine; i++ {
			if i > 0 && breakAfter(rs[i-1], rs[i]) {
				best = i
				break
			}
		}
		if best == 0 {
			best = 1
		}
		lines = append(lines, string(rs[:best]))
		rs = rs[best:]
		n--
	}
	if len(rs) > 0 {
		lines = append(lines, string(rs))
	}
	return lines
}

// breakAfter reports whether a title line may end between a and b.
func breakAfter(a, b rune) bool {
	switch a {
	case '的', '于', '和', '与', '及', '对', '在', '、', '，':
		return true
	}
	return b == '关'
}

// recipients writes the 主送机关 one blank line below the title, flush left,
// ending with a full-width colon.
func (w *writer) recipients(d *Document) {
	r := recipientsText(d)
	if r == "" {
		return
	}
	w.para(gridLine(pp{before: LinePitch, ind: true, jc: "both"}), rp{}, r)
}

func (w *writer) body(blocks []Block) {
	for _, b := range blocks {
		switch b := b.(type) {
		case Paragraph:
			p := gridLine(pp{ind: true, firstLine: IndentBody, jc: "both"})
			if b.NoIndent {
				p.firstLine = 0
			}
			switch b.Align {
			case "center", "left", "right":
				p.jc = b.Align
				if b.Align != "left" {
					p.firstLine = 0
				}
			}
			w.para(p, rp{}, b.Text)
		case Heading:
			lvl := b.Level
			if lvl < 1 {
				lvl = 1
			}
			if lvl > 4 {
				lvl = 4
			}
			w.para(pp{style: "Heading" + strconv.Itoa(lvl)}, rp{}, b.Text)
		case Table:
			w.table(b)
		case PageBreak:
			w.s(`<w:p><w:r><w:br w:type="page"/></w:r></w:p>`)
		case Subtitle:
			w.para(gridLine(pp{style: "Title", keepNext: true, after: LinePitch, ind: true, jc: "center"}),
				rp{}, cleanTitle(b.Text))
		}
	}
}

// table writes a bordered table of 4号 text with a repeated header row.
func (w *writer) table(t Table) {
	if len(t.Columns) == 0 {
		return
	}
	total := 0
	for _, c := range t.Columns {
		total += colWeight(c)
	}
	widths := make([]int, len(t.Columns))
	used := 0
	for i, c := range t.Columns {
		widths[i] = TextWidth * colWeight(c) / total
		used += widths[i]
	}
	widths[len(widths)-1] += TextWidth - used

	w.s(`<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="`)
	w.s(strconv.Itoa(TextWidth))
	w.s(`" w:type="dxa"/><w:jc w:val="center"/><w:tblLayout w:type="fixed"/></w:tblPr><w:tblGrid>`)
	for _, wd := range widths {
		w.s(`<w:gridCol w:w="` + strconv.Itoa(wd) + `"/>`)
	}
	w.s(`</w:tblGrid>`)
	cell := func(width int, text string, header bool) {
		w.s(`<w:tc><w:tcPr><w:tcW w:w="` + strconv.Itoa(width) + `" w:type="dxa"/><w:vAlign w:val="center"/></w:tcPr>`)
		r := rp{}
		jc := "left"
		if header {
			r.east = w.fonts.Hei
			jc = "center"
		}
		w.para(pp{style: "TableText", jc: jc}, r, text)
		w.s(`</w:tc>`)
	}
	w.s(`<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>`)
	for i, c := range t.Columns {
		cell(widths[i], c.Title, true)
	}
	w.s(`</w:tr>`)
	for _, row := range t.Rows {
		w.s(`<w:tr><w:trPr><w:cantSplit/></w:trPr>`)
		for i := range t.Columns {
			v := ""
			if i < len(row) {
				v = row[i]
			}
			cell(widths[i], v, false)
		}
		w.s(`</w:tr>`)
	}
	w.s(`</w:tbl>`)
}

func colWeight(c Column) int {
	if c.Width <= 0 {
		return 1
	}
	return c.Width
}

// attachments writes the 附件说明 one blank line below the body, indented two
// characters; with several attachments they are numbered and the names
// align under the first one.
func (w *writer) attachments(d *Document) {
	if len(d.Attachment) == 0 {
		return
	}
	label := "附件："
	labelW := 3 * CharBody
	for i, name := range d.Attachment {
		name = strings.TrimRight(strings.TrimSpace(name), finalPunct)
		text := name
		if len(d.Attachment) > 1 {
			text = strconv.Itoa(i+1) + "." + name
		}
		p := gridLine(pp{ind: true, left: IndentBody + labelW, jc: "both"})
		if i == 0 {
			p.before = LinePitch
			p.hanging = labelW
			text = label + text
		}
		w.para(p, rp{}, text)
	}
}

// signature writes the 发文机关署名 and 成文日期 in the sealed layout: the date
// right-indented four characters, the name centred on the date on the line
// above, one blank line below the body.
func (w *writer) signature(d *Document) {
	if d.Signature == "" && d.Date == "" {
		return
	}
	nameW := textUnits(d.Signature) * CharBody / 2
	dateW := textUnits(d.Date) * CharBody / 2
	dateRight := IndentSign
	nameRight := IndentSign + (dateW-nameW)/2
	if nameRight < 0 {
		// A long name: keep it inside the 版心 and move the date so the two
		// stay centred on each other.
		dateRight += -nameRight
		nameRight = 0
	}
	if d.Signature != "" {
		w.para(gridLine(pp{keepNext: true, before: LinePitch, ind: true, right: nameRight, jc: "right"}), rp{}, d.Signature)
	}
	if d.Date != "" {
		p := gridLine(pp{ind: true, right: dateRight, jc: "right"})
		if d.Signature == "" {
			p.before = LinePitch
		}
		w.para(p, rp{}, d.Date)
	}
}

// note writes the 附注 on the line after the date, indented two characters,
// in full-width brackets.
func (w *writer) note(d *Document) {
	n := noteText(d)
	if n == "" {
		return
	}
	w.para(gridLine(pp{ind: true, firstLine: IndentBody, jc: "both"}), rp{}, n)
}

// recipientsText is the 主送 line as printed, ending with a full-width colon.
func recipientsText(d *Document) string {
	r := strings.TrimSpace(d.Recipients)
	if r == "" {
		return ""
	}
	return strings.TrimRight(r, "：:") + "："
}

// noteText is the 附注 as printed, in full-width brackets.
func noteText(d *Document) string {
	n := strings.TrimSpace(d.Note)
	if n == "" {
		return ""
	}
	return "（" + strings.TrimSuffix(strings.TrimPrefix(n, "（"), "）") + "）"
}

// colophon writes the 版记 in a frame whose bottom sits on the bottom edge
// of the 版心 of the last page: 抄送 (4号, indented one character, ending
// with 。) and, in the document layout, 印发机关 and 印发日期, between black
// rules — thick, thin, thick. Letters carry 抄送 only, with no rules.
func (w *writer) colophon(d *Document) {
	cc := joinCC(d.CC)
	printed := d.Layout == LayoutDocument && (d.PrintedBy != "" || d.PrintedDate != "")
	if cc == "" && !printed {
		return
	}
	rules := d.Layout == LayoutDocument
	small := rp{size: SizeSmall, setSp: true}
	// Each part is a frame anchored to the page, its height computed from
	// the lines it holds, so that the last rule lies on the 版心 bottom.
	// (LibreOffice 7.4 ignores floating tables and frames aligned to the
	// margin's bottom, and drops a frame whose paragraphs differ in borders,
	// hence one frame per part.)
	const lineH = 560
	const ruleH = 40
	lw := 3 * CharSmall
	bottom := PageHeight - MarginBottom
	frame := func(h int) string {
		return `w:w="` + strconv.Itoa(TextWidth) + `" w:h="` + strconv.Itoa(h) + `" w:hRule="exact" w:wrap="around" w:vAnchor="page" w:hAnchor="page" w:x="` +
			strconv.Itoa(MarginLeft) + `" w:y="` + strconv.Itoa(bottom-h) + `"`
	}
	rule := func(side string, sz int) string {
		return `<w:` + side + ` w:val="single" w:sz="` + strconv.Itoa(sz) + `" w:space="0" w:color="` + colorBlack + `"/>`
	}
	line := func(p pp) pp {
		p.noSnap = true
		p.spacing = true
		p.line = lineH
		p.lineRule = "exact"
		p.ind = true
		return p
	}
	printedH := 0
	if printed {
		printedH = lineH + 2*ruleH
	}
	if cc != "" {
		n := wrappedLines(textUnits("抄送："+cc), TextWidth-2*CharSmall, TextWidth-2*CharSmall-lw, CharSmall)
		h := n*lineH + 2*ruleH
		bottom -= printedH
		p := line(pp{frame: frame(h), left: CharSmall + lw, right: CharSmall, hanging: lw, jc: "both"})
		bottom += printedH
		if rules {
			p.border = rule("top", 8)
			if !printed {
				p.border += rule("bottom", 8)
			}
		}
		w.para(p, small, "抄送："+cc)
	}
	if printed {
		p := line(pp{frame: frame(printedH), left: CharSmall, right: CharSmall,
			tabs: `<w:tab w:val="right" w:pos="` + strconv.Itoa(TextWidth-2*CharSmall) + `"/>`})
		if cc == "" {
			p.border = rule("top", 8)
		} else {
			p.border = rule("top", 6)
		}
		p.border += rule("bottom", 8)
		w.s("<w:p>")
		w.pPr(p)
		w.run(small, d.PrintedBy)
		w.tab(small)
		if d.PrintedDate != "" {
			w.run(small, d.PrintedDate+"印发")
		}
		w.s("</w:p>")
	}
	// A plain paragraph must follow the frame: LibreOffice turns framed
	// paragraphs into a frame only when a paragraph without the frame comes
	// after them. A hairline keeps it from ever taking a page of its own.
	w.s(`<w:p><w:pPr><w:snapToGrid w:val="0"/><w:spacing w:before="0" w:after="0" w:line="20" w:lineRule="exact"/><w:ind w:left="0" w:right="0" w:firstLine="0"/><w:rPr><w:sz w:val="2"/><w:szCs w:val="2"/></w:rPr></w:pPr></w:p>`)
}

// wrappedLines estimates how many lines text of the given half-character
// units takes: first line width, following lines' width, character width.
func wrappedLines(units, first, rest, char int) int {
	perFirst := first * 2 / char
	perRest := rest * 2 / char
	if units <= perFirst || perRest <= 0 {
		return 1
	}
	units -= perFirst
	return 1 + (units+perRest-1)/perRest
}

// joinCC joins 抄送 names with 、 and ends them with 。.
func joinCC(names []string) string {
	var parts []string
	for _, n := range names {
		n = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(n), "。，、；,;."))
		if n != "" {
			parts = append(parts, n)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, "、") + "。"
}

// sectPr writes the section: A4, GB/T 9704 margins, the 22-line grid and
// the footers (page numbers right on odd pages, left on even pages; a
// letter's first page carries its double lines and no number).
func (w *writer) sectPr(d *Document) {
	w.s(`<w:sectPr>`)
	if d.Layout == LayoutLetter {
		w.s(`<w:headerReference w:type="first" r:id="rIdHeaderFirst"/>`)
	}
	w.s(`<w:footerReference w:type="even" r:id="rIdFooterEven"/><w:footerReference w:type="default" r:id="rIdFooterOdd"/>`)
	if d.Layout == LayoutLetter {
		w.s(`<w:footerReference w:type="first" r:id="rIdFooterFirst"/>`)
	}
	w.s(`<w:pgSz w:w="11906" w:h="16838"/><w:pgMar`)
	w.attr("w:top", MarginTop)
	w.attr("w:right", MarginRight)
	w.attr("w:bottom", MarginBottom)
	w.attr("w:left", MarginLeft)
	w.attr("w:header", HeaderDist)
	w.attr("w:footer", FooterDist)
	w.attr("w:gutter", 0)
	w.s(`/><w:cols w:space="425"/>`)
	if d.Layout == LayoutLetter {
		w.s(`<w:titlePg/>`)
	}
	w.s(`<w:docGrid w:type="lines"`)
	w.attr("w:linePitch", LinePitch)
	w.s(`/></w:sectPr>`)
}
