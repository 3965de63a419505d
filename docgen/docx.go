package docgen

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// zipTime is the fixed modification time of every part, so that the same
// document gives byte-identical packages.
var zipTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// part is one file of the package: data, or raw when already bytes.
type part struct {
	name string
	data string
	raw  []byte
}

// flatePool reuses compressors: a flate.Writer allocates about 1 MB of
// tables, and a package has a dozen parts. Reset gives the same output as
// a new writer, so pooling keeps the bytes deterministic.
var flatePool = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(io.Discard, flate.BestSpeed)
	return w
}}

// pooledFlate returns its writer to the pool when the zip part closes.
type pooledFlate struct{ *flate.Writer }

func (p pooledFlate) Close() error {
	err := p.Writer.Close()
	flatePool.Put(p.Writer)
	return err
}

// staticParts are the parts that depend only on the fonts (and on whether
// the document is a letter), built once per set of fonts.
type staticParts struct {
	contentTypes map[bool]string
	documentRels map[bool]string
	styles       string
	fontTable    string
	footerOdd    string
	footerEven   string
	footerFirst  string
}

var staticCache sync.Map // Fonts → *staticParts

func staticFor(f Fonts) *staticParts {
	if p, ok := staticCache.Load(f); ok {
		return p.(*staticParts)
	}
	p := &staticParts{
		contentTypes: map[bool]string{false: contentTypesXML(false), true: contentTypesXML(true)},
		documentRels: map[bool]string{false: documentRelsXML(false), true: documentRelsXML(true)},
		styles:       stylesXML(f),
		fontTable:    fontTableXML(f),
		footerOdd:    pageNumberFooter(true),
		footerEven:   pageNumberFooter(false),
		footerFirst:  letterFirstFooter(),
	}
	actual, _ := staticCache.LoadOrStore(f, p)
	return actual.(*staticParts)
}

// Render writes d as a .docx package and returns its bytes.
func Render(d *Document) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(24 << 10)
	if err := Write(&buf, d); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Write writes d as a .docx package to out. The parts are written in a
// fixed order with fixed times.
func Write(out io.Writer, d *Document) error {
	if d == nil {
		return fmt.Errorf("docgen: nil document")
	}
	if !d.Layout.Valid() {
		return fmt.Errorf("docgen: unknown layout %q", d.Layout)
	}
	fonts := d.Fonts.withDefaults()
	letter := d.Layout == LayoutLetter

	body := &writer{fonts: fonts}
	body.buf.Grow(64 << 10)
	body.writeDocumentXML(d)
	static := staticFor(fonts)

	parts := []part{
		{name: "[Content_Types].xml", data: static.contentTypes[letter]},
		{name: "_rels/.rels", data: rootRelsXML},
		{name: "docProps/app.xml", data: appXML()},
		{name: "docProps/core.xml", data: coreXML(cleanTitle(d.Title))},
		{name: "word/document.xml", raw: body.buf.Bytes()},
		{name: "word/_rels/document.xml.rels", data: static.documentRels[letter]},
		{name: "word/styles.xml", data: static.styles},
		{name: "word/settings.xml", data: settingsXML},
		{name: "word/fontTable.xml", data: static.fontTable},
		{name: "word/footer1.xml", data: static.footerOdd},
		{name: "word/footer2.xml", data: static.footerEven},
	}
	if letter {
		parts = append(parts,
			part{name: "word/footer3.xml", data: static.footerFirst},
			part{name: "word/header1.xml", data: letterFirstHeader(d, fonts)})
	}

	zw := zip.NewWriter(out)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		fw := flatePool.Get().(*flate.Writer)
		fw.Reset(w)
		return pooledFlate{fw}, nil
	})
	for _, p := range parts {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: p.name, Method: zip.Deflate, Modified: zipTime})
		if err != nil {
			return fmt.Errorf("docgen: create %s: %w", p.name, err)
		}
		if p.raw != nil {
			_, err = fw.Write(p.raw)
		} else {
			_, err = io.WriteString(fw, p.data)
		}
		if err != nil {
			return fmt.Errorf("docgen: write %s: %w", p.name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("docgen: close package: %w", err)
	}
	return nil
}

// PlainText returns the document's text in reading order, one paragraph a
// line, for search indexing.
func (d *Document) PlainText() string {
	var b strings.Builder
	line := func(s string) {
		if s = strings.TrimSpace(s); s != "" {
			b.WriteString(s)
			b.WriteByte('\n')
		}
	}
	line(d.IssuerMark)
	line(d.DocNumber)
	line(cleanTitle(d.Title))
	line(recipientsText(d))
	for _, blk := range d.Body {
		switch x := blk.(type) {
		case Paragraph:
			line(x.Text)
		case Heading:
			line(x.Text)
		case Subtitle:
			line(x.Text)
		case Table:
			var cols []string
			for _, c := range x.Columns {
				cols = append(cols, c.Title)
			}
			line(strings.Join(cols, " "))
			for _, r := range x.Rows {
				line(strings.Join(r, " "))
			}
		}
	}
	for _, a := range d.Attachment {
		line(a)
	}
	line(d.Signature)
	line(d.Date)
	line(noteText(d))
	if cc := joinCC(d.CC); cc != "" {
		line("抄送：" + cc)
	}
	if d.Layout == LayoutDocument && (d.PrintedBy != "" || d.PrintedDate != "") {
		line(strings.TrimSpace(d.PrintedBy + " " + d.PrintedDate + "印发"))
	}
	return b.String()
}
