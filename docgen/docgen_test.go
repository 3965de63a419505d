package docgen

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"wenshu/internal/gbcheck"
)

func sampleDoc(layout Layout) *Document {
	d := &Document{
		Layout:         layout,
		CopyNumber:     "000001",
		Classification: "秘密★1年",
		Urgency:        "特急",
		IssuerMark:     "中共某某省纪委监委驻省财政厅纪检监察组",
		DocNumber:      "驻财纪〔2026〕6号",
		Title:          "关于张三同志有关问题的函询通知书。",
		Recipients:     "张三同志",
		Body: []Block{
			Heading{Level: 1, Text: "一、基本情况"},
			Paragraph{Text: "我组收到反映你有关问题的信访举报。"},
			Heading{Level: 2, Text: "（一）主要问题"},
			Heading{Level: 3, Text: "1.资金分配"},
			Heading{Level: 4, Text: "（1）程序"},
			Table{Columns: []Column{{Title: "序号", Width: 1}, {Title: "姓名", Width: 2}, {Title: "结论", Width: 5}},
				Rows: [][]string{{"1", "张三", "未发现影响提拔任用的问题"}, {"2", "李四", "建议暂缓"}}},
		},
		Attachment:  []string{"送达回执", "函询回复表。"},
		Signature:   "驻省财政厅纪检监察组",
		Date:        FormatDate(time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)),
		Note:        "联系人：李四，电话：010-12345678",
		CC:          []string{"省财政厅党组书记王五同志", "省纪委监委第三监督检查室。"},
		PrintedBy:   "驻省财政厅纪检监察组综合室",
		PrintedDate: "2026年3月5日",
	}
	if layout == LayoutDocument {
		d.MarkSuffix = "文件"
	}
	return d
}

func render(t testing.TB, d *Document) *pkg {
	t.Helper()
	b, err := Render(d)
	if err != nil {
		t.Fatal(err)
	}
	return unzip(t, b)
}

// TestPageSetup checks GB/T 9704 §5 as OOXML (formats.md §1.1) for every
// layout: A4, margins 37/28/26/35 mm, a lines-only grid of pitch 579 and
// no linesAndChars/charSpace recipe.
func TestPageSetup(t *testing.T) {
	for _, layout := range []Layout{LayoutDocument, LayoutLetter, LayoutPlain} {
		t.Run(string(layout), func(t *testing.T) {
			p := render(t, sampleDoc(layout))
			doc := p.xml(t, "word/document.xml")
			sect := doc.First("sectPr")
			if sect == nil {
				t.Fatal("no sectPr")
			}
			sz := sect.Child("pgSz")
			if sz.Num("w") != 11906 || sz.Num("h") != 16838 {
				t.Errorf("pgSz = %v, want A4 11906×16838", sz.Attr)
			}
			m := sect.Child("pgMar")
			for k, want := range map[string]int{"top": 2098, "left": 1588, "right": 1474, "bottom": 1984} {
				if m.Num(k) != want {
					t.Errorf("pgMar %s = %d, want %d", k, m.Num(k), want)
				}
			}
			if w := 11906 - m.Num("left") - m.Num("right"); w != 8844 {
				t.Errorf("版心 width %d twips, want 8844 (156 mm)", w)
			}
			if h := 16838 - m.Num("top") - m.Num("bottom"); h != 12756 {
				t.Errorf("版心 height %d twips, want 12756 (225 mm)", h)
			}
			g := sect.Child("docGrid")
			if g.Get("type") != "lines" || g.Num("linePitch") != 579 || g.Get("charSpace") != "" {
				t.Errorf("docGrid = %v, want type=lines linePitch=579 and no charSpace", g.Attr)
			}
			if 22*579 > 12756 {
				t.Error("22 lines of 579 twips do not fit the 版心")
			}
		})
	}
}

// TestBodyStyle checks the body text recipe: 3号仿宋_GB2312 with Times New
// Roman for Latin, −0.3 pt spacing so that 28 characters fit, exact line
// spacing on the grid, first-line indent of two characters.
func TestBodyStyle(t *testing.T) {
	p := render(t, sampleDoc(LayoutDocument))
	styles := p.xml(t, "word/styles.xml")
	var normal *gbcheck.Node
	for _, s := range styles.All("style") {
		if s.Get("styleId") == "Normal" {
			normal = s
		}
	}
	if normal == nil || normal.Path("name").Get("val") != "Normal" {
		t.Fatal("no Normal style named Normal")
	}
	f := normal.Path("rPr", "rFonts")
	if f.Get("eastAsia") != "仿宋_GB2312" || f.Get("ascii") != "Times New Roman" || f.Get("hAnsi") != "Times New Roman" {
		t.Errorf("Normal fonts = %v", f.Attr)
	}
	if normal.Path("rPr", "sz").Num("val") != 32 {
		t.Error("Normal size is not 3号 (sz 32)")
	}
	sp := normal.Path("rPr", "spacing").Num("val")
	if sp > -5 || sp < -15 {
		t.Errorf("Normal character spacing %d, want −5…−15 twips", sp)
	}
	if 28*(320+sp) > 8844 || 29*(320+sp) <= 8844 {
		t.Errorf("with spacing %d a line does not hold exactly 28 characters", sp)
	}
	ls := normal.Path("pPr", "spacing")
	if ls.Num("line") != 579 || ls.Get("lineRule") != "exact" {
		t.Errorf("Normal line spacing = %v, want 579 exact", ls.Attr)
	}
	doc := p.xml(t, "word/document.xml")
	body := findP(doc, "我组收到反映")
	if body.Path("pPr", "ind").Num("firstLine") != 640 {
		t.Errorf("body first-line indent = %v, want 640", body.Path("pPr", "ind").Attr)
	}
	for _, r := range doc.All("r") {
		if r.Path("rPr", "b") != nil {
			t.Errorf("a run is bold: fonts carry their weight")
		}
	}
}

// TestHeadings checks 一、黑体 / （一）楷体 / 1. 仿宋 / （1）仿宋, all 3号, no
// bold, indented two characters.
func TestHeadings(t *testing.T) {
	p := render(t, sampleDoc(LayoutDocument))
	styles := p.xml(t, "word/styles.xml")
	want := map[string]string{"Heading1": "黑体", "Heading2": "楷体_GB2312", "Heading3": "仿宋_GB2312", "Heading4": "仿宋_GB2312"}
	found := 0
	for _, s := range styles.All("style") {
		font, ok := want[s.Get("styleId")]
		if !ok {
			continue
		}
		found++
		if got := s.Path("rPr", "rFonts").Get("eastAsia"); got != font {
			t.Errorf("%s font %s, want %s", s.Get("styleId"), got, font)
		}
		if s.Path("rPr", "b") != nil {
			t.Errorf("%s is bold", s.Get("styleId"))
		}
		if s.Path("rPr", "sz").Num("val") != 32 {
			t.Errorf("%s is not 3号", s.Get("styleId"))
		}
		if s.Path("pPr", "ind").Num("firstLine") != 640 {
			t.Errorf("%s not indented two characters", s.Get("styleId"))
		}
	}
	if found != 4 {
		t.Fatalf("found %d heading styles, want 4", found)
	}
	doc := p.xml(t, "word/document.xml")
	for text, style := range map[string]string{"一、基本情况": "Heading1", "（一）主要问题": "Heading2", "1.资金分配": "Heading3", "（1）程序": "Heading4"} {
		if got := findP(doc, text).Path("pPr", "pStyle").Get("val"); got != style {
			t.Errorf("%s has style %q, want %s", text, got, style)
		}
	}
}

func TestDocumentHead(t *testing.T) {
	p := render(t, sampleDoc(LayoutDocument))
	doc := p.xml(t, "word/document.xml")
	ps := doc.First("body").Children
	texts := []string{ps[0].Text(), ps[1].Text(), ps[2].Text()}
	if texts[0] != "000001" || texts[1] != "秘密★1年" || texts[2] != "特急" {
		t.Fatalf("版头 lines 1–3 = %q, want 份号, 密级, 紧急程度", texts)
	}
	for _, i := range []int{0, 1, 2} {
		if jc := ps[i].Path("pPr", "jc").Get("val"); jc != "left" {
			t.Errorf("line %d not flush left (%s)", i+1, jc)
		}
	}
	for _, i := range []int{1, 2} {
		if f := ps[i].First("rFonts").Get("eastAsia"); f != "黑体" {
			t.Errorf("line %d font %s, want 黑体", i+1, f)
		}
	}
	mark := findP(doc, "纪检监察组文件")
	if mark == nil {
		t.Fatal("no 发文机关标志 with 文件")
	}
	if mark.First("color").Get("val") != "FF0000" {
		t.Error("标志 not red")
	}
	if mark.Path("pPr", "jc").Get("val") != "center" {
		t.Error("标志 not centred")
	}
	// Three lines of 579 above it, then spacing to 35 mm (1984 twips) below
	// the 版心 top.
	if before := mark.Path("pPr", "spacing").Num("before"); 3*579+before != 1984 {
		t.Errorf("标志 top at %d twips below the 版心 top, want 1984 (35 mm)", 3*579+before)
	}
	if mark.Path("pPr", "snapToGrid").Get("val") != "0" {
		t.Error("标志 snaps to the grid; its position would drift")
	}
	num := findP(doc, "驻财纪〔2026〕6号")
	if num.Path("pPr", "jc").Get("val") != "center" {
		t.Error("发文字号 not centred")
	}
	if num.Path("pPr", "spacing").Num("before") != 2*579 {
		t.Error("发文字号 not two blank lines below the 标志")
	}
	rule := num.Path("pPr", "pBdr", "bottom")
	if rule == nil || rule.Get("color") != "FF0000" || rule.Get("val") != "single" {
		t.Fatalf("no red rule under the 发文字号: %v", rule)
	}
	if sp := rule.Num("space"); sp != 11 {
		t.Errorf("red rule %d pt below the number, want 11 pt (4 mm)", sp)
	}
	if ind := num.Path("pPr", "ind"); ind.Num("left") != 0 || ind.Num("right") != 0 {
		t.Error("red rule not as wide as the 版心")
	}
}

func TestTitleAndRecipients(t *testing.T) {
	p := render(t, sampleDoc(LayoutDocument))
	doc := p.xml(t, "word/document.xml")
	title := findP(doc, "函询通知书")
	if title.Text() != "关于张三同志有关问题的函询通知书" {
		t.Errorf("title %q keeps its final punctuation", title.Text())
	}
	if title.Path("pPr", "pStyle").Get("val") != "Title" || title.Path("pPr", "jc").Get("val") != "center" {
		t.Error("title not centred in the Title style")
	}
	if title.Path("pPr", "spacing").Num("before") != 2*579 {
		t.Error("title not two blank lines below the red rule")
	}
	styles := p.xml(t, "word/styles.xml")
	for _, s := range styles.All("style") {
		if s.Get("styleId") == "Title" {
			if s.Path("rPr", "rFonts").Get("eastAsia") != "方正小标宋简体" || s.Path("rPr", "sz").Num("val") != 44 {
				t.Error("Title style is not 2号方正小标宋简体")
			}
			if s.Path("pPr", "ind").Num("firstLine") != 0 {
				t.Error("Title inherits the body indent")
			}
		}
	}
	to := findP(doc, "张三同志：")
	if to == nil || to.Text() != "张三同志：" {
		t.Fatal("主送 does not end with a full-width colon")
	}
	if to.Path("pPr", "spacing").Num("before") != 579 || to.Path("pPr", "ind").Num("firstLine") != 0 {
		t.Error("主送 not flush left one blank line below the title")
	}
}

func TestTitleLines(t *testing.T) {
	cases := []string{
		"关于加强省级专项资金分配管理的纪检监察建议",
		"关于某某省财政厅党组落实全面从严治党主体责任情况的专项监督检查报告",
		"关于张三同志有关问题的函询通知书",
	}
	for _, title := range cases {
		lines := titleLines(title, 20)
		if strings.Join(lines, "") != title {
			t.Errorf("%s: lines %q lose text", title, lines)
		}
		for _, l := range lines {
			if utf8.RuneCountInString(l) > 20 {
				t.Errorf("%s: line %q longer than 20", title, l)
			}
		}
		if n := utf8.RuneCountInString(title); n <= 20 && len(lines) != 1 {
			t.Errorf("%s fits one line but was broken: %q", title, lines)
		}
		for i := 1; i < len(lines); i++ {
			if utf8.RuneCountInString(lines[i]) > utf8.RuneCountInString(lines[i-1]) {
				t.Errorf("%s: line %d longer than the one above (%q): not a trapezoid", title, i+1, lines)
			}
		}
	}
	if got := titleLines(cases[0], 20); got[0] != "关于加强省级专项资金分配管理的" {
		t.Errorf("break not after 的: %q", got)
	}
}

func TestAttachmentsSignatureNote(t *testing.T) {
	p := render(t, sampleDoc(LayoutDocument))
	doc := p.xml(t, "word/document.xml")
	a1 := findP(doc, "附件：1.送达回执")
	if a1 == nil {
		t.Fatal("no 附件说明 \"附件：1.送达回执\"")
	}
	ind := a1.Path("pPr", "ind")
	if ind.Num("left")-ind.Num("hanging") != 640 {
		t.Errorf("附件说明 not indented two characters: %v", ind.Attr)
	}
	if a1.Path("pPr", "spacing").Num("before") != 579 {
		t.Error("附件说明 not one blank line below the body")
	}
	a2 := findP(doc, "2.函询回复表")
	if a2 == nil || a2.Text() != "2.函询回复表" {
		t.Fatalf("second attachment %q: want no final punctuation", a2.Text())
	}
	if a2.Path("pPr", "ind").Num("left") != ind.Num("left") {
		t.Error("second attachment name not aligned under the first")
	}
	date := findP(doc, "2026年3月5日")
	if !regexp.MustCompile(`^\d{4}年([1-9]|1[0-2])月([1-9]|[12]\d|3[01])日$`).MatchString(date.Text()) {
		t.Errorf("成文日期 %q not in Arabic numerals without zero padding", date.Text())
	}
	if date.Path("pPr", "jc").Get("val") != "right" || date.Path("pPr", "ind").Num("right") != 1280 {
		t.Errorf("成文日期 not right-indented four characters: %v", date.Path("pPr", "ind").Attr)
	}
	sign := findExact(doc, "驻省财政厅纪检监察组")
	// 署名 centred on the date: both centres at the same x.
	nameW := textUnits(sign.Text()) * 160
	dateW := textUnits(date.Text()) * 160
	nameCentre := sign.Path("pPr", "ind").Num("right") + nameW/2
	dateCentre := 1280 + dateW/2
	if d := nameCentre - dateCentre; d < -160 || d > 160 {
		t.Errorf("署名 centre %d vs date centre %d (twips from the right edge)", nameCentre, dateCentre)
	}
	note := findP(doc, "联系人")
	if note.Text() != "（联系人：李四，电话：010-12345678）" || note.Path("pPr", "ind").Num("firstLine") != 640 {
		t.Errorf("附注 %q not in （） indented two characters", note.Text())
	}
}

func TestLongSignatureStaysInside(t *testing.T) {
	d := sampleDoc(LayoutDocument)
	d.Signature = "中共某某省纪律检查委员会某某省监察委员会驻省财政厅纪检监察组"
	doc := render(t, d).xml(t, "word/document.xml")
	sign := findExact(doc, d.Signature)
	if r := sign.Path("pPr", "ind").Num("right"); r < 0 {
		t.Errorf("署名 right indent %d: outside the 版心", r)
	}
}

// TestColophon checks the 版记: at the bottom of the 版心, 抄送 and 印发 in
// 4号, black rules thick/thin/thick.
func TestColophon(t *testing.T) {
	doc := render(t, sampleDoc(LayoutDocument)).xml(t, "word/document.xml")
	cc := findP(doc, "抄送：")
	if cc == nil {
		t.Fatal("no 抄送")
	}
	if got := cc.Text(); got != "抄送：省财政厅党组书记王五同志、省纪委监委第三监督检查室。" {
		t.Errorf("抄送 = %q, want names joined by 、 ending with 。", got)
	}
	if cc.First("sz").Num("val") != 28 {
		t.Error("抄送 not 4号")
	}
	ind := cc.Path("pPr", "ind")
	if ind.Num("left")-ind.Num("hanging") != 280 || ind.Num("right") != 280 {
		t.Errorf("抄送 not indented one character each side: %v", ind.Attr)
	}
	pr := findP(doc, "印发")
	if !strings.HasSuffix(pr.Text(), "2026年3月5日印发") || !strings.HasPrefix(pr.Text(), "驻省财政厅纪检监察组综合室\t") {
		t.Errorf("印发 line %q", pr.Text())
	}
	bottom := 16838 - 1984
	for name, p := range map[string]*gbcheck.Node{"抄送": cc, "印发": pr} {
		fr := p.Path("pPr", "framePr")
		if fr == nil || fr.Get("vAnchor") != "page" {
			t.Fatalf("%s not in a page-anchored frame", name)
		}
		if name == "印发" && fr.Num("y")+fr.Num("h") != bottom {
			t.Errorf("版记 last rule at %d, want the 版心 bottom %d", fr.Num("y")+fr.Num("h"), bottom)
		}
		if name == "抄送" && fr.Num("y")+fr.Num("h") != pr.Path("pPr", "framePr").Num("y") {
			t.Error("抄送 frame does not sit on the 印发 frame")
		}
		if fr.Num("w") != 8844 {
			t.Errorf("%s frame %d wide, want the 版心 8844", name, fr.Num("w"))
		}
	}
	top := cc.Path("pPr", "pBdr", "top")
	mid := pr.Path("pPr", "pBdr", "top")
	last := pr.Path("pPr", "pBdr", "bottom")
	for name, b := range map[string]*gbcheck.Node{"first": top, "middle": mid, "last": last} {
		if b == nil || b.Get("color") != "000000" {
			t.Fatalf("%s 版记 rule missing or not black: %v", name, b)
		}
	}
	if top.Num("sz") <= mid.Num("sz") || last.Num("sz") <= mid.Num("sz") {
		t.Errorf("rules %d/%d/%d, want thick/thin/thick", top.Num("sz"), mid.Num("sz"), last.Num("sz"))
	}
	if top.Num("sz") != 8 || mid.Num("sz") != 6 {
		t.Errorf("rule widths %d/%d eighths of a point, want 8 (0.35 mm) and 6 (0.25 mm)", top.Num("sz"), mid.Num("sz"))
	}
}

func TestPageNumbers(t *testing.T) {
	for _, layout := range []Layout{LayoutDocument, LayoutLetter} {
		t.Run(string(layout), func(t *testing.T) {
			p := render(t, sampleDoc(layout))
			if p.xml(t, "word/settings.xml").First("evenAndOddHeaders") == nil {
				t.Error("settings lack evenAndOddHeaders")
			}
			doc := p.xml(t, "word/document.xml")
			rels := p.xml(t, "word/_rels/document.xml.rels")
			target := map[string]string{}
			for _, r := range rels.All("Relationship") {
				target[r.Get("Id")] = "word/" + r.Get("Target")
			}
			refs := map[string]string{}
			for _, ref := range doc.First("sectPr").All("footerReference") {
				refs[ref.Get("type")] = target[ref.Get("id")]
			}
			for kind, want := range map[string]struct{ jc, side string }{"default": {"right", "right"}, "even": {"left", "left"}} {
				ftr := p.xml(t, refs[kind])
				para := ftr.First("p")
				if para.Path("pPr", "jc").Get("val") != want.jc {
					t.Errorf("%s footer aligned %s, want %s", kind, para.Path("pPr", "jc").Get("val"), want.jc)
				}
				ind := para.Path("pPr", "ind")
				if ind.Num(want.side) != 280 || ind.Num("firstLine") != 0 {
					t.Errorf("%s footer indent %v, want one character on the %s and no first-line indent", kind, ind.Attr, want.side)
				}
				if !strings.Contains(para.First("instrText").Text(), "PAGE") {
					t.Errorf("%s footer has no PAGE field", kind)
				}
				if got := para.Text(); got != "— 1 —" {
					t.Errorf("%s footer text %q, want \"— 1 —\" with U+2014", kind, got)
				}
			}
			styles := p.xml(t, "word/styles.xml")
			for _, s := range styles.All("style") {
				if s.Get("styleId") == "Footer" {
					if s.Path("rPr", "sz").Num("val") != 28 || s.Path("rPr", "rFonts").Get("eastAsia") != "宋体" || s.Path("rPr", "rFonts").Get("ascii") != "宋体" {
						t.Error("page numbers are not 4号宋体")
					}
				}
			}
			_, hasFirst := refs["first"]
			if layout == LayoutLetter {
				if !hasFirst || doc.First("sectPr").Child("titlePg") == nil {
					t.Fatal("letter lacks a first-page footer")
				}
				if f := p.xml(t, refs["first"]); f.First("instrText") != nil {
					t.Error("letter page 1 shows a page number")
				}
			} else if hasFirst {
				t.Error("document layout has a first-page footer")
			}
		})
	}
}

func TestLetterHead(t *testing.T) {
	p := render(t, sampleDoc(LayoutLetter))
	doc := p.xml(t, "word/document.xml")
	if findP(doc, "文件") != nil {
		t.Error("letter carries 文件")
	}
	if findP(doc, "印发") != nil {
		t.Error("letter carries a 印发 line")
	}
	for _, b := range doc.All("pBdr") {
		for _, side := range b.Children {
			if side.Get("color") == "000000" {
				t.Error("letter 版记 has rules")
			}
		}
	}
	if findP(doc, "抄送：") == nil {
		t.Error("letter lost its 抄送")
	}
	hdr := p.xml(t, "word/header1.xml")
	mark := hdr.First("p")
	if mark.Text() != "中共某某省纪委监委驻省财政厅纪检监察组" || mark.First("color").Get("val") != "FF0000" {
		t.Fatalf("letter 标志 %q not red", mark.Text())
	}
	sect := doc.First("sectPr")
	if sect.Child("pgMar").Num("header") != 1701 {
		t.Error("letter 标志 not 30 mm (1701) from the paper top")
	}
	upper := mark.Path("pPr", "pBdr", "bottom")
	if upper.Get("val") != "thickThinSmallGap" || upper.Get("color") != "FF0000" {
		t.Errorf("upper double line %v, want red thick over thin", upper.Attr)
	}
	if w := 8844 - mark.Path("pPr", "ind").Num("left") - mark.Path("pPr", "ind").Num("right"); w != 9638 {
		t.Errorf("upper double line %d twips, want 170 mm (9638)", w)
	}
	var lower *gbcheck.Node
	for _, para := range doc.All("p") {
		if b := para.Path("pPr", "pBdr", "bottom"); b != nil && b.Get("val") == "thinThickSmallGap" {
			lower = para
		}
	}
	if lower == nil {
		t.Fatal("no lower double line (thin over thick)")
	}
	fr := lower.Path("pPr", "framePr")
	if fr.Num("w") != 9638 || fr.Get("vAnchor") != "page" || fr.Num("y")+fr.Num("h") != 16838-1134 {
		t.Errorf("lower double line frame %v, want 170 mm wide, 20 mm above the paper bottom", fr.Attr)
	}
	row := findP(doc, "000001")
	if got := row.Text(); got != "000001\t驻财纪〔2026〕6号" {
		t.Errorf("first row %q, want 份号 then the number flush right", got)
	}
	tab := row.Path("pPr", "tabs", "tab")
	if tab.Get("val") != "right" || tab.Num("pos") != 8844 {
		t.Error("发文字号 not flush right at the 版心 edge")
	}
	if row.Path("pPr", "spacing").Num("before") != 280 {
		t.Error("first row not 14 pt (280) below the double line")
	}
}

func TestTable(t *testing.T) {
	doc := render(t, sampleDoc(LayoutDocument)).xml(t, "word/document.xml")
	tbl := doc.First("tbl")
	sum := 0
	for _, c := range tbl.Path("tblGrid").Children {
		sum += c.Num("w")
	}
	if sum != 8844 {
		t.Errorf("table columns sum to %d, want the 版心 8844", sum)
	}
	rows := tbl.All("tr")
	if len(rows) != 3 || rows[0].Path("trPr", "tblHeader") == nil {
		t.Fatal("table header row not repeated")
	}
	if got := rows[1].Text(); got != "1张三未发现影响提拔任用的问题" {
		t.Errorf("row text %q", got)
	}
}

func TestDeterministic(t *testing.T) {
	for _, layout := range []Layout{LayoutDocument, LayoutLetter, LayoutPlain} {
		a, err := Render(sampleDoc(layout))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Render(sampleDoc(layout))
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two renders differ", layout)
		}
	}
}

// TestHostileText: every user string is escaped, characters XML cannot
// carry are replaced, and every part stays well-formed XML.
func TestHostileText(t *testing.T) {
	evil := "<w:t>&amp;]]>\"'<script>alert(1)</script>\x00\x01\x1f\x7f\ufffe😀𠀀𪚥" + string([]byte{0xff, 0xfe})
	d := &Document{Layout: LayoutLetter, IssuerMark: evil, DocNumber: evil, Title: evil, Recipients: evil,
		Body:       []Block{Paragraph{Text: evil}, Heading{Level: 1, Text: evil}, Table{Columns: []Column{{Title: evil}}, Rows: [][]string{{evil}}}},
		Attachment: []string{evil}, Signature: evil, Date: evil, Note: evil, CC: []string{evil}, PrintedBy: evil, PrintedDate: evil,
		Fonts: Fonts{Body: evil}}
	for _, layout := range []Layout{LayoutLetter, LayoutDocument, LayoutPlain} {
		d.Layout = layout
		p := render(t, d)
		for _, name := range p.names {
			parseXML(t, p.parts[name])
		}
		doc := p.xml(t, "word/document.xml")
		got := findP(doc, "<script>")
		if got == nil || !strings.Contains(strings.ReplaceAll(got.Text(), "\n", ""), `<w:t>&amp;]]>"'<script>alert(1)</script>`) {
			t.Fatalf("%s: text not kept literally", layout)
		}
		if !strings.Contains(got.Text(), "😀𠀀𪚥") {
			t.Errorf("%s: emoji or Extension B characters lost", layout)
		}
		if strings.ContainsAny(got.Text(), "\x00\x01\x1f\ufffe") {
			t.Errorf("%s: control characters reached the XML", layout)
		}
	}
}

func TestExtractText(t *testing.T) {
	b, err := Render(sampleDoc(LayoutDocument))
	if err != nil {
		t.Fatal(err)
	}
	text, err := ExtractText(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"关于张三同志有关问题的函询通知书", "我组收到反映你有关问题的信访举报。", "未发现影响提拔任用的问题"} {
		if !strings.Contains(text, want) {
			t.Errorf("extracted text lacks %q", want)
		}
	}
	if _, err := ExtractText([]byte("PK not a zip")); err == nil {
		t.Error("garbage accepted as .docx")
	}
}

func TestUnknownLayout(t *testing.T) {
	if _, err := Render(&Document{Layout: "memo"}); err == nil {
		t.Error("unknown layout accepted")
	}
}

func TestChineseNumbers(t *testing.T) {
	for n, want := range map[int]string{1: "一", 10: "十", 11: "十一", 20: "二十", 21: "二十一", 99: "九十九"} {
		if got := ChineseNumber(n); got != want {
			t.Errorf("ChineseNumber(%d) = %s, want %s", n, got, want)
		}
	}
	for lvl, want := range map[int]string{1: "三、", 2: "（三）", 3: "3.", 4: "（3）"} {
		if got := HeadingNumber(lvl, 3); got != want {
			t.Errorf("HeadingNumber(%d, 3) = %s, want %s", lvl, got, want)
		}
	}
}

func TestResolveFonts(t *testing.T) {
	installed := map[string]bool{"FangSong": true, "SimHei": true}
	f, missing := ResolveFonts(func(n string) bool { return installed[n] })
	if f.Body != "FangSong" || f.Hei != "SimHei" {
		t.Errorf("resolved %+v", f)
	}
	if len(missing) != 4 {
		t.Errorf("missing %v, want title, kai, song, latin", missing)
	}
	if f.Title != "方正小标宋简体" {
		t.Error("a missing role must keep its standard font")
	}
}
