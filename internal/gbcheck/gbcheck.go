// Package gbcheck checks a .docx against the GB/T 9704-2012 items of
// shared/spec/formats.md §1 that can be read from the XML: page and grid,
// body and heading styles, 版头 of both layouts, 标题, 成文日期, 版记 and page
// numbers. It is a test helper shared by docgen, templates, server and
// cmd/wenshu tests, so that every rendered document — not only docgen's own
// samples — is held to the same rules.
//
// Test-only: only _test.go files import it, never production code
// (internal/testenv's TestInternalHelpersStayTestOnly checks this).
package gbcheck

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// Layout names the layout a document was found to have.
type Layout string

// Layouts as detected.
const (
	Document Layout = "document" // red 标志 and rule in the body
	Letter   Layout = "letter"   // red 标志 in the first-page header
	Plain    Layout = "plain"    // no 版头
)

// Report is what Check found.
type Report struct {
	Layout   Layout
	Title    string
	Problems []string
}

// OK reports whether no problem was found.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

func (r *Report) fail(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

// Check reads docx and reports every GB/T 9704 item it breaks. An error
// means the package could not be read at all (not a zip, invalid XML).
func Check(docx []byte) (*Report, error) {
	parts, err := unzip(docx)
	if err != nil {
		return nil, err
	}
	trees := map[string]*Node{}
	for name, data := range parts {
		if !strings.HasSuffix(name, ".xml") && !strings.HasSuffix(name, ".rels") {
			continue
		}
		n, err := Parse(data)
		if err != nil {
			return nil, fmt.Errorf("gbcheck: %s: %w", name, err)
		}
		trees[name] = n
	}
	for _, need := range []string{"[Content_Types].xml", "_rels/.rels", "word/document.xml", "word/styles.xml", "word/settings.xml", "word/_rels/document.xml.rels"} {
		if trees[need] == nil {
			return nil, fmt.Errorf("gbcheck: part %s missing", need)
		}
	}
	r := &Report{}
	doc := trees["word/document.xml"]
	styles := trees["word/styles.xml"]
	rels := map[string]string{}
	for _, rel := range trees["word/_rels/document.xml.rels"].All("Relationship") {
		rels[rel.Get("Id")] = "word/" + rel.Get("Target")
	}
	sect := doc.First("sectPr")
	if sect == nil {
		return nil, fmt.Errorf("gbcheck: no sectPr")
	}
	headers := map[string]*Node{}
	for _, h := range sect.Children {
		if h.Name == "headerReference" || h.Name == "footerReference" {
			headers[h.Name+":"+h.Get("type")] = trees[rels[h.Get("id")]]
		}
	}
	switch {
	case headers["headerReference:first"] != nil:
		r.Layout = Letter
	case redParagraph(doc) != nil:
		r.Layout = Document
	default:
		r.Layout = Plain
	}
	checkPage(r, sect)
	checkStyles(r, styles)
	checkRuns(r, doc)
	checkTitle(r, doc)
	checkDates(r, doc)
	checkColophon(r, doc, r.Layout)
	checkFooters(r, trees["word/settings.xml"], headers, r.Layout, sect)
	switch r.Layout {
	case Document:
		checkDocumentHead(r, doc)
	case Letter:
		checkLetterHead(r, doc, headers["headerReference:first"])
	}
	return r, nil
}

func checkPage(r *Report, sect *Node) {
	sz := sect.Child("pgSz")
	if sz.Num("w") != 11906 || sz.Num("h") != 16838 {
		r.fail("page size %v, want A4 11906×16838", sz.Attr)
	}
	m := sect.Child("pgMar")
	for k, want := range map[string]int{"top": 2098, "left": 1588, "right": 1474, "bottom": 1984} {
		if m.Num(k) != want {
			r.fail("margin %s %d, want %d", k, m.Num(k), want)
		}
	}
	g := sect.Child("docGrid")
	if g.Get("type") != "lines" || g.Num("linePitch") != 579 || g.Get("charSpace") != "" {
		r.fail("docGrid %v, want type=lines linePitch=579 without charSpace", g.Attr)
	}
}

func style(styles *Node, id string) *Node {
	for _, s := range styles.All("style") {
		if s.Get("styleId") == id {
			return s
		}
	}
	return nil
}

func checkStyles(r *Report, styles *Node) {
	n := style(styles, "Normal")
	if n == nil {
		r.fail("no Normal style")
		return
	}
	if f := n.Path("rPr", "rFonts"); f.Get("eastAsia") == "" || f.Get("ascii") == "" {
		r.fail("Normal fonts %v: want eastAsia 仿宋 and a Latin font", f.Attr)
	}
	if n.Path("rPr", "sz").Num("val") != 32 {
		r.fail("body not 3号 (sz 32)")
	}
	sp := n.Path("rPr", "spacing").Num("val")
	if 28*(320+sp) > 8844 || 29*(320+sp) <= 8844 {
		r.fail("body character spacing %d does not give 28 characters a line", sp)
	}
	if ls := n.Path("pPr", "spacing"); ls.Num("line") != 579 || ls.Get("lineRule") != "exact" {
		r.fail("body line spacing %v, want 579 exact", ls.Attr)
	}
	faces := []string{"黑体", "楷体", "仿宋", "仿宋"}
	for i, face := range faces {
		h := style(styles, "Heading"+strconv.Itoa(i+1))
		if h == nil {
			r.fail("no Heading%d style", i+1)
			continue
		}
		if f := h.Path("rPr", "rFonts").Get("eastAsia"); !strings.Contains(f, face) && !(face == "黑体" && f == "SimHei") {
			r.fail("heading %d font %s, want %s", i+1, f, face)
		}
		if h.Path("rPr", "b") != nil {
			r.fail("heading %d bold", i+1)
		}
		if h.Path("pPr", "ind").Num("firstLine") != 640 {
			r.fail("heading %d not indented two characters", i+1)
		}
	}
	if t := style(styles, "Title"); t == nil || t.Path("rPr", "sz").Num("val") != 44 || t.Path("pPr", "jc").Get("val") != "center" {
		r.fail("Title style not 2号 centred")
	}
}

// checkRuns: no bold, and only black or red ink.
func checkRuns(r *Report, doc *Node) {
	for _, run := range doc.All("r") {
		if run.Path("rPr", "b") != nil {
			r.fail("bold run %q", run.Text())
		}
		if c := run.Path("rPr", "color").Get("val"); c != "" && c != "FF0000" && c != "000000" {
			r.fail("run colour %s", c)
		}
	}
	for _, p := range doc.All("p") {
		if ind := p.Path("pPr", "ind"); ind != nil && ind.Get("firstLine") != "" && ind.Num("firstLine") != 0 && ind.Num("firstLine") != 640 {
			r.fail("paragraph %q first-line indent %s, want 0 or 640", trim(p.Text()), ind.Get("firstLine"))
		}
	}
}

func checkTitle(r *Report, doc *Node) {
	for _, p := range doc.All("p") {
		if p.Path("pPr", "pStyle").Get("val") != "Title" {
			continue
		}
		t := strings.ReplaceAll(p.Text(), "\n", "")
		if r.Title == "" {
			r.Title = t
		}
		if strings.ContainsAny(lastRune(t), "。，、；：！？,.;:!?") {
			r.fail("title %q ends with punctuation", t)
		}
	}
	if r.Title == "" {
		r.fail("no title")
	}
}

var (
	dateRe    = regexp.MustCompile(`^\d{4}年\d{1,2}月\d{1,2}日$`)
	gbDateRe  = regexp.MustCompile(`^\d{4}年([1-9]|1[0-2])月([1-9]|[12]\d|3[01])日$`)
	docNumRe  = regexp.MustCompile(`[^〔〕\[\]【】\s]+〔\d{4}〕([1-9]\d*|　)号`)
	numBadRe  = regexp.MustCompile(`[\[【(（]\d{4}[\]】)）]\d+号|〔\d{2}〕|〔\d{4}〕0\d*号|第\d+号`)
	dashPageR = regexp.MustCompile(`^— \d+ —$`)
)

// checkDates: a paragraph that is only a date is the 成文日期: Arabic
// numerals without zero padding, right-indented four characters.
func checkDates(r *Report, doc *Node) {
	found := false
	for _, p := range doc.All("p") {
		t := p.Text()
		if !dateRe.MatchString(t) {
			continue
		}
		found = true
		if !gbDateRe.MatchString(t) {
			r.fail("成文日期 %q pads with zeros", t)
		}
		if p.Path("pPr", "jc").Get("val") != "right" || p.Path("pPr", "ind").Num("right") < 1280 {
			r.fail("成文日期 %q not right-indented four characters", t)
		}
	}
	if !found {
		r.fail("no 成文日期")
	}
	for _, p := range doc.All("p") {
		if t := p.Text(); numBadRe.MatchString(t) {
			r.fail("发文字号 in %q not in the form 代字〔YYYY〕N号", trim(t))
		}
	}
}

func checkColophon(r *Report, doc *Node, layout Layout) {
	var cc, printed *Node
	for _, p := range doc.All("p") {
		t := p.Text()
		if strings.HasPrefix(t, "抄送：") {
			cc = p
		}
		if strings.HasSuffix(t, "印发") && strings.Contains(t, "\t") {
			printed = p
		}
	}
	if cc != nil {
		if !strings.HasSuffix(cc.Text(), "。") {
			r.fail("抄送 does not end with 。")
		}
		if cc.First("sz").Num("val") != 28 {
			r.fail("抄送 not 4号")
		}
		if cc.Path("pPr", "framePr").Get("vAnchor") != "page" {
			r.fail("抄送 not placed at the page bottom")
		}
	}
	if layout == Letter && printed != nil {
		r.fail("letter has a 印发 line")
	}
	last := printed
	if last == nil {
		last = cc
	}
	if last != nil {
		fr := last.Path("pPr", "framePr")
		if fr.Num("y")+fr.Num("h") != 16838-1984 {
			r.fail("版记 ends at %d twips, want the 版心 bottom 14854", fr.Num("y")+fr.Num("h"))
		}
	}
	for _, p := range []*Node{cc, printed} {
		if p == nil {
			continue
		}
		for _, b := range p.All("pBdr") {
			for _, side := range b.Children {
				if layout == Letter {
					r.fail("letter 版记 has rules")
				} else if side.Get("color") != "000000" {
					r.fail("版记 rule colour %s, want black", side.Get("color"))
				}
			}
		}
	}
}

func checkFooters(r *Report, settings *Node, headers map[string]*Node, layout Layout, sect *Node) {
	if settings.First("evenAndOddHeaders") == nil {
		r.fail("no evenAndOddHeaders")
	}
	for kind, want := range map[string]string{"footerReference:default": "right", "footerReference:even": "left"} {
		f := headers[kind]
		if f == nil {
			r.fail("no %s", kind)
			continue
		}
		p := f.First("p")
		if p.Path("pPr", "jc").Get("val") != want || p.Path("pPr", "ind").Num(want) != 280 || p.Path("pPr", "ind").Num("firstLine") != 0 {
			r.fail("%s page number not %s, indented one character", kind, want)
		}
		if !strings.Contains(p.First("instrText").Text(), "PAGE") || !dashPageR.MatchString(p.Text()) {
			r.fail("%s page number %q, want — N — with a PAGE field", kind, p.Text())
		}
	}
	if layout == Letter {
		f := headers["footerReference:first"]
		if f == nil || sect.Child("titlePg") == nil {
			r.fail("letter page 1 footer missing")
		} else if f.First("instrText") != nil {
			r.fail("letter page 1 has a page number")
		}
	}
}

func redParagraph(doc *Node) *Node {
	for _, p := range doc.All("p") {
		if c := p.First("color"); c != nil && c.Get("val") == "FF0000" && p.Text() != "" {
			return p
		}
	}
	return nil
}

func checkDocumentHead(r *Report, doc *Node) {
	mark := redParagraph(doc)
	lines := 0
	for _, p := range doc.First("body").Children {
		if p == mark {
			break
		}
		lines++
	}
	if lines > 3 {
		r.fail("%d lines above the 标志, want at most 3 (份号, 密级, 紧急程度)", lines)
	}
	if before := mark.Path("pPr", "spacing").Num("before"); lines*579+before != 1984 {
		r.fail("标志 at %d twips below the 版心 top, want 1984 (35 mm)", lines*579+before)
	}
	if mark.Path("pPr", "jc").Get("val") != "center" {
		r.fail("标志 not centred")
	}
	var rule *Node
	for _, p := range doc.All("p") {
		if b := p.Path("pPr", "pBdr", "bottom"); b != nil && b.Get("color") == "FF0000" {
			rule = p
			break
		}
	}
	if rule == nil {
		r.fail("no red rule under the 发文字号")
		return
	}
	if !docNumRe.MatchString(rule.Text()) {
		r.fail("发文字号 %q not 代字〔YYYY〕N号", rule.Text())
	}
	if rule.Path("pPr", "pBdr", "bottom").Num("space") != 11 {
		r.fail("red rule not 4 mm below the number")
	}
	if rule.Path("pPr", "spacing").Num("before") != 2*579 {
		r.fail("发文字号 not two lines below the 标志")
	}
}

func checkLetterHead(r *Report, doc, hdr *Node) {
	if hdr == nil {
		r.fail("no first-page header")
		return
	}
	mark := hdr.First("p")
	if mark.First("color").Get("val") != "FF0000" {
		r.fail("letter 标志 not red")
	}
	if strings.HasSuffix(mark.Text(), "文件") {
		r.fail("letter 标志 ends with 文件")
	}
	up := mark.Path("pPr", "pBdr", "bottom")
	if up.Get("val") != "thickThinSmallGap" || up.Get("color") != "FF0000" {
		r.fail("upper double line %v, want red thick over thin", up.Attr)
	}
	if w := 8844 - mark.Path("pPr", "ind").Num("left") - mark.Path("pPr", "ind").Num("right"); w != 9638 {
		r.fail("upper double line %d twips, want 170 mm", w)
	}
	var lower *Node
	for _, p := range doc.All("p") {
		if b := p.Path("pPr", "pBdr", "bottom"); b != nil && b.Get("val") == "thinThickSmallGap" && b.Get("color") == "FF0000" {
			lower = p
		}
	}
	if lower == nil {
		r.fail("no lower double line")
		return
	}
	fr := lower.Path("pPr", "framePr")
	if fr.Num("w") != 9638 || fr.Num("y")+fr.Num("h") != 16838-1134 {
		r.fail("lower double line not 170 mm, 20 mm above the paper bottom")
	}
}

func lastRune(s string) string {
	rs := []rune(s)
	if len(rs) == 0 {
		return ""
	}
	return string(rs[len(rs)-1])
}

func trim(s string) string {
	rs := []rune(s)
	if len(rs) > 20 {
		return string(rs[:20]) + "…"
	}
	return s
}

func unzip(docx []byte) (map[string][]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(docx), int64(len(docx)))
	if err != nil {
		return nil, fmt.Errorf("gbcheck: not a zip: %w", err)
	}
	parts := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("gbcheck: %s: %w", f.Name, err)
		}
		b, err := io.ReadAll(io.LimitReader(rc, 64<<20))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("gbcheck: %s: %w", f.Name, err)
		}
		parts[f.Name] = b
	}
	return parts, nil
}

// Node is a parsed XML element: local names, attributes by local name.
type Node struct {
	Name     string
	Attr     map[string]string
	Children []*Node
	text     string
}

// Parse parses an XML part.
func Parse(data []byte) (*Node, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	root := &Node{Name: "#root", Attr: map[string]string{}}
	stack := []*Node{root}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch x := tok.(type) {
		case xml.StartElement:
			n := &Node{Name: x.Name.Local, Attr: map[string]string{}}
			for _, a := range x.Attr {
				n.Attr[a.Name.Local] = a.Value
			}
			top := stack[len(stack)-1]
			top.Children = append(top.Children, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			stack[len(stack)-1].text += string(x)
		}
	}
	return root, nil
}

// All returns every descendant named name, in document order.
func (n *Node) All(name string) []*Node {
	var out []*Node
	var walk func(*Node)
	walk = func(x *Node) {
		for _, c := range x.Children {
			if c.Name == name {
				out = append(out, c)
			}
			walk(c)
		}
	}
	if n != nil {
		walk(n)
	}
	return out
}

// First returns the first descendant named name, or nil.
func (n *Node) First(name string) *Node {
	if all := n.All(name); len(all) > 0 {
		return all[0]
	}
	return nil
}

// Child returns the direct child named name, or nil.
func (n *Node) Child(name string) *Node {
	if n == nil {
		return nil
	}
	for _, c := range n.Children {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Path follows direct children.
func (n *Node) Path(names ...string) *Node {
	cur := n
	for _, nm := range names {
		cur = cur.Child(nm)
	}
	return cur
}

// Get returns an attribute, "" on a nil node.
func (n *Node) Get(a string) string {
	if n == nil {
		return ""
	}
	return n.Attr[a]
}

// Num returns an integer attribute, a large negative number if absent.
func (n *Node) Num(a string) int {
	v, err := strconv.Atoi(n.Get(a))
	if err != nil {
		return -1 << 31
	}
	return v
}

// Text is a paragraph's text: w:t runs, tabs as \t, breaks as \n.
func (n *Node) Text() string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	var walk func(*Node)
	walk = func(x *Node) {
		for _, c := range x.Children {
			switch c.Name {
			case "t", "instrText":
				if c.Name == "t" {
					b.WriteString(c.text)
				}
			case "tab":
				if x.Name == "r" {
					b.WriteByte('\t')
				}
			case "br":
				b.WriteByte('\n')
			default:
				walk(c)
			}
		}
	}
	if n.Name == "instrText" || n.Name == "t" {
		return n.text
	}
	walk(n)
	return b.String()
}
