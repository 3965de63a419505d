package docgen

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
	"sync"
	"time"
)

// zipTime is the fixed modification time of every part, so that the same
// document gives byte-identical packages.
var zipTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// part is one file of the package: data, raw bytes, or a part deflated
// in advance.
type part struct {
	name string
	data string
	raw  []byte
	pre  *compressed
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

// compressed is a part deflated once and written raw into every package.
type compressed struct {
	crc  uint32
	size uint64
	data []byte
}

func compress(s string) *compressed {
	var buf bytes.Buffer
	fw := flatePool.Get().(*flate.Writer)
	fw.Reset(&buf)
	_, _ = io.WriteString(fw, s)
	_ = fw.Close()
	flatePool.Put(fw)
	return &compressed{crc: crc32.ChecksumIEEE([]byte(s)), size: uint64(len(s)), data: buf.Bytes()}
}

// staticParts are the parts that depend only on the fonts (and on whether
// the document is a letter): built and deflated once per set of fonts, so
// a render deflates only what changes.
type staticParts struct {
	contentTypes map[bool]*compressed
	documentRels map[bool]*compressed
	rootRels     *compressed
	app          *compressed
	styles       *compressed
	settings     *compressed
	fontTable    *compressed
	footerOdd    *compressed
	footerEven   *compressed
	footerFirst  *compressed
}

var staticCache sync.Map // Fonts → *staticParts

func staticFor(f Fonts) *staticParts {
	if p, ok := staticCache.Load(f); ok {
		return p.(*staticParts)
	}
	p := &staticParts{
		contentTypes: map[bool]*compressed{false: compress(contentTypesXML(false)), true: compress(contentTypesXML(true))},
		documentRels: map[bool]*compressed{false: compress(documentRelsXML(false)), true: compress(documentRelsXML(true))},
		rootRels:     compress(rootRelsXML),
		app:          compress(appXML()),
		styles:       compress(stylesXML(f)),
		settings:     compress(settingsXML),
		fontTable:    compress(fontTableXML(f)),
		footerOdd:    compress(pageNumberFooter(true)),
		footerEven:   compress(pageNumberFooter(false)),
		footerFirst:  compress(letterFirstFooter()),
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
		{name: "[Content_Types].xml", pre: static.contentTypes[letter]},
		{name: "_rels/.rels", pre: static.rootRels},
		{name: "docProps/app.xml", pre: static.app},
		{name: "docProps/core.xml", data: coreXML(cleanTitle(d.Title))},
		{name: "word/document.xml", raw: body.buf.Bytes()},
		{name: "word/_rels/document.xml.rels", pre: static.documentRels[letter]},
		{name: "word/styles.xml", pre: static.styles},
		{name: "word/settings.xml", pre: static.settings},
		{name: "word/fontTable.xml", pre: static.fontTable},
		{name: "word/footer1.xml", pre: static.footerOdd},
		{name: "word/footer2.xml", pre: static.footerEven},
	}
	if letter {
		parts = append(parts,
			part{name: "word/footer3.xml", pre: static.footerFirst},
			part{name: "word/header1.xml", data: letterFirstHeader(d, fonts)})
	}

	zw := zip.NewWriter(out)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		fw := flatePool.Get().(*flate.Writer)
		fw.Reset(w)
		return pooledFlate{fw}, nil
	})
	for _, p := range parts {
		if p.pre != nil {
			fw, err := zw.CreateRaw(&zip.FileHeader{Name: p.name, Method: zip.Deflate, Modified: zipTime,
				CRC32: p.pre.crc, CompressedSize64: uint64(len(p.pre.data)), UncompressedSize64: p.pre.size})
			if err == nil {
				_, err = fw.Write(p.pre.data)
			}
			if err != nil {
				return fmt.Errorf("docgen: write %s: %w", p.name, err)
			}
			continue
		}
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
