package docgen

import (
	"bytes"
	"strconv"
)

const (
	xmlHeader = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"
	nsMain    = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`
)

func contentTypesXML(letter bool) string {
	s := xmlHeader + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>` +
		`<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>` +
		`<Override PartName="/word/settings.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/>` +
		`<Override PartName="/word/fontTable.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.fontTable+xml"/>` +
		`<Override PartName="/word/footer1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/>` +
		`<Override PartName="/word/footer2.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/>`
	if letter {
		s += `<Override PartName="/word/footer3.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/>` +
			`<Override PartName="/word/header1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"/>`
	}
	s += `<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>` +
		`<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>` +
		`</Types>`
	return s
}

const rootRelsXML = xmlHeader + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
	`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>` +
	`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>` +
	`<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>` +
	`</Relationships>`

func documentRelsXML(letter bool) string {
	s := xmlHeader + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rIdStyles" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>` +
		`<Relationship Id="rIdSettings" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings" Target="settings.xml"/>` +
		`<Relationship Id="rIdFonts" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/fontTable" Target="fontTable.xml"/>` +
		`<Relationship Id="rIdFooterOdd" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer" Target="footer1.xml"/>` +
		`<Relationship Id="rIdFooterEven" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer" Target="footer2.xml"/>`
	if letter {
		s += `<Relationship Id="rIdFooterFirst" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer" Target="footer3.xml"/>` +
			`<Relationship Id="rIdHeaderFirst" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Target="header1.xml"/>`
	}
	return s + `</Relationships>`
}

// settingsXML: odd and even footers differ (GB/T 9704 §7.5); punctuation
// is not compressed so a line keeps 28 full-width cells.
const settingsXML = xmlHeader + `<w:settings ` + nsMain + `>` +
	`<w:zoom w:percent="100"/><w:evenAndOddHeaders/><w:defaultTabStop w:val="420"/>` +
	`<w:characterSpacingControl w:val="doNotCompress"/>` +
	`<w:compat><w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word" w:val="15"/></w:compat>` +
	`<w:themeFontLang w:val="en-US" w:eastAsia="zh-CN"/>` +
	`</w:settings>`

func appXML() string {
	return xmlHeader + `<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>wenshu</Application></Properties>`
}

func coreXML(title string) string {
	var b bytes.Buffer
	b.WriteString(xmlHeader)
	b.WriteString(`<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>`)
	escapeTo(&b, title)
	b.WriteString(`</dc:title><dc:language>zh-CN</dc:language></cp:coreProperties>`)
	return b.String()
}

// stylesXML writes the styles: 3号仿宋 body on the 579-twip grid condensed
// by 0.3 pt, headings of four levels (黑体, 楷体, 仿宋, 仿宋; no bold, as the
// fonts carry their weight), the 2号小标宋 title, table text and footers.
// Every style that must not inherit the body indent sets it to zero.
func stylesXML(f Fonts) string {
	var b bytes.Buffer
	esc := func(s string) string {
		var x bytes.Buffer
		escapeTo(&x, s)
		return x.String()
	}
	fonts := func(east, latin string) string {
		return `<w:rFonts w:ascii="` + esc(latin) + `" w:hAnsi="` + esc(latin) + `" w:eastAsia="` + esc(east) + `" w:cs="` + esc(latin) + `"/>`
	}
	grid := `<w:spacing w:before="0" w:after="0" w:line="` + strconv.Itoa(LinePitch) + `" w:lineRule="exact"/>`
	b.WriteString(xmlHeader)
	b.WriteString(`<w:styles ` + nsMain + `>`)
	b.WriteString(`<w:docDefaults><w:rPrDefault><w:rPr>` + fonts(f.Body, f.Latin) +
		`<w:kern w:val="0"/><w:sz w:val="32"/><w:szCs w:val="32"/><w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/></w:rPr></w:rPrDefault>` +
		`<w:pPrDefault><w:pPr>` + grid + `<w:ind w:left="0" w:right="0" w:firstLine="0"/></w:pPr></w:pPrDefault></w:docDefaults>`)
	// Normal: the body text.
	b.WriteString(`<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/>` +
		`<w:pPr><w:widowControl/>` + grid + `<w:jc w:val="both"/></w:pPr>` +
		`<w:rPr>` + fonts(f.Body, f.Latin) + `<w:spacing w:val="` + strconv.Itoa(CharSpacing) + `"/><w:sz w:val="32"/><w:szCs w:val="32"/></w:rPr></w:style>`)
	heads := []string{f.Hei, f.Kai, f.Body, f.Body}
	for i, east := range heads {
		n := strconv.Itoa(i + 1)
		b.WriteString(`<w:style w:type="paragraph" w:styleId="Heading` + n + `"><w:name w:val="heading ` + n + `"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/>` +
			`<w:pPr><w:keepNext/>` + grid + `<w:ind w:left="0" w:right="0" w:firstLine="` + strconv.Itoa(IndentBody) + `"/><w:jc w:val="both"/><w:outlineLvl w:val="` + strconv.Itoa(i) + `"/></w:pPr>` +
			`<w:rPr>` + fonts(east, f.Latin) + `<w:sz w:val="32"/><w:szCs w:val="32"/></w:rPr></w:style>`)
	}
	b.WriteString(`<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/>` +
		`<w:pPr><w:keepNext/>` + grid + `<w:ind w:left="0" w:right="0" w:firstLine="0"/><w:jc w:val="center"/><w:outlineLvl w:val="0"/></w:pPr>` +
		`<w:rPr>` + fonts(f.Title, f.Title) + `<w:spacing w:val="0"/><w:sz w:val="44"/><w:szCs w:val="44"/></w:rPr></w:style>`)
	b.WriteString(`<w:style w:type="paragraph" w:styleId="TableText"><w:name w:val="Table Text"/><w:basedOn w:val="Normal"/><w:qFormat/>` +
		`<w:pPr><w:snapToGrid w:val="0"/><w:spacing w:before="40" w:after="40" w:line="240" w:lineRule="auto"/><w:ind w:left="0" w:right="0" w:firstLine="0"/></w:pPr>` +
		`<w:rPr><w:spacing w:val="0"/><w:sz w:val="28"/><w:szCs w:val="28"/></w:rPr></w:style>`)
	b.WriteString(`<w:style w:type="paragraph" w:styleId="Footer"><w:name w:val="footer"/><w:basedOn w:val="Normal"/>` +
		`<w:pPr><w:snapToGrid w:val="0"/><w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/><w:ind w:left="0" w:right="0" w:firstLine="0"/></w:pPr>` +
		`<w:rPr>` + fonts(f.Song, f.Song) + `<w:spacing w:val="0"/><w:sz w:val="28"/><w:szCs w:val="28"/></w:rPr></w:style>`)
	b.WriteString(`<w:style w:type="paragraph" w:styleId="Header"><w:name w:val="header"/><w:basedOn w:val="Normal"/>` +
		`<w:pPr><w:snapToGrid w:val="0"/><w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/><w:ind w:left="0" w:right="0" w:firstLine="0"/></w:pPr><w:rPr><w:spacing w:val="0"/></w:rPr></w:style>`)
	b.WriteString(`<w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/><w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="57" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/><w:right w:w="57" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>`)
	b.WriteString(`<w:style w:type="table" w:styleId="TableGrid"><w:name w:val="Table Grid"/><w:basedOn w:val="TableNormal"/><w:tblPr><w:tblBorders>` +
		`<w:top w:val="single" w:sz="4" w:space="0" w:color="000000"/><w:left w:val="single" w:sz="4" w:space="0" w:color="000000"/>` +
		`<w:bottom w:val="single" w:sz="4" w:space="0" w:color="000000"/><w:right w:val="single" w:sz="4" w:space="0" w:color="000000"/>` +
		`<w:insideH w:val="single" w:sz="4" w:space="0" w:color="000000"/><w:insideV w:val="single" w:sz="4" w:space="0" w:color="000000"/>` +
		`</w:tblBorders></w:tblPr></w:style>`)
	b.WriteString(`</w:styles>`)
	return b.String()
}

// fontTableXML names every font used, with the next fallback as altName.
func fontTableXML(f Fonts) string {
	var b bytes.Buffer
	b.WriteString(xmlHeader)
	b.WriteString(`<w:fonts ` + nsMain + `>`)
	seen := map[string]bool{}
	for _, name := range []string{f.Body, f.Title, f.Hei, f.Kai, f.Song, f.Latin} {
		if seen[name] {
			continue
		}
		seen[name] = true
		b.WriteString(`<w:font w:name="`)
		escapeTo(&b, name)
		b.WriteString(`">`)
		if alt := altName(name); alt != "" {
			b.WriteString(`<w:altName w:val="`)
			escapeTo(&b, alt)
			b.WriteString(`"/>`)
		}
		if name == f.Latin {
			b.WriteString(`<w:charset w:val="00"/><w:family w:val="roman"/><w:pitch w:val="variable"/>`)
		} else {
			b.WriteString(`<w:charset w:val="86"/><w:family w:val="auto"/><w:pitch w:val="variable"/>`)
		}
		b.WriteString(`</w:font>`)
	}
	b.WriteString(`</w:fonts>`)
	return b.String()
}

// pageNumberFooter writes a footer with "— N —" in 4号宋体: odd pages flush
// right and even pages flush left, each indented one character.
func pageNumberFooter(odd bool) string {
	ind := `<w:ind w:left="` + strconv.Itoa(CharSmall) + `" w:right="0" w:firstLine="0"/><w:jc w:val="left"/>`
	if odd {
		ind = `<w:ind w:left="0" w:right="` + strconv.Itoa(CharSmall) + `" w:firstLine="0"/><w:jc w:val="right"/>`
	}
	return xmlHeader + `<w:ftr ` + nsMain + `><w:p><w:pPr><w:pStyle w:val="Footer"/>` + ind + `</w:pPr>` +
		`<w:r><w:t xml:space="preserve">— </w:t></w:r>` +
		`<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>` +
		`<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>` +
		`<w:r><w:t xml:space="preserve"> —</w:t></w:r></w:p></w:ftr>`
}

// letterFirstFooter is page 1's footer of a letter: empty, since page 1 of
// a 信函 carries no page number.
func letterFirstFooter() string {
	return xmlHeader + `<w:ftr ` + nsMain + `><w:p><w:pPr><w:pStyle w:val="Footer"/></w:pPr></w:p></w:ftr>`
}

// letterFirstHeader writes the 信函格式 标志 — red, centred, its top 30 mm
// from the paper top (the header distance) — with the upper double line,
// thick over thin, 170 mm wide, 4 mm below it. The body of page 1 starts
// below this header.
func letterFirstHeader(d *Document, f Fonts) string {
	w := &writer{fonts: f}
	w.s(xmlHeader + `<w:hdr ` + nsMain + `>`)
	out := (LetterRule - TextWidth) / 2
	size := markSize(d.IssuerMark, LetterRule)
	border := `<w:bottom w:val="thickThinSmallGap" w:sz="18" w:space="` + strconv.Itoa(RedRuleSpace) + `" w:color="` + colorRed + `"/>`
	w.s("<w:p>")
	w.pPr(pp{style: "Header", border: border, noSnap: true, spacing: true, line: size * 10, lineRule: "exact",
		ind: true, left: -out, right: -out, jc: "center"})
	w.run(rp{east: f.Title, latin: f.Title, color: colorRed, setSp: true, size: size}, d.IssuerMark)
	w.s("</w:p></w:hdr>")
	return w.buf.String()
}
