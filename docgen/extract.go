package docgen

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrNotDocx is returned by ExtractText for bytes that are not a Word
// package: not a zip, no word/document.xml, a part that does not inflate
// to what its header says, or a document part that is not XML.
var ErrNotDocx = errors.New("docgen: not a .docx package")

// ErrTooLarge is returned (wrapped in a *LimitError that says which limit)
// by ExtractText for a package that breaks one of its Limits: a zip bomb or
// a document too big to index.
var ErrTooLarge = errors.New("docgen: package too large to extract")

// Limit names one of the Limits. The names are stable: callers map them
// to error codes.
type Limit string

// Limits a package can break.
const (
	LimitEntries   Limit = "entries"    // Limits.MaxEntries
	LimitTotalSize Limit = "total_size" // Limits.MaxTotalSize
	LimitPartSize  Limit = "part_size"  // Limits.MaxDocumentXML
	LimitRatio     Limit = "ratio"      // Limits.MaxRatio
	LimitTextChars Limit = "text_chars" // Limits.MaxTextChars
	LimitDepth     Limit = "depth"      // Limits.MaxDepth
)

// LimitError says which limit a package broke, in which part, and by how
// much. errors.Is(err, ErrTooLarge) holds for it.
type LimitError struct {
	Limit Limit
	Part  string // the zip entry; "" when the package as a whole broke it
	Value int64  // what was found (reading stops soon after the limit)
	Max   int64
}

func (e *LimitError) Error() string {
	where := "package"
	if e.Part != "" {
		where = e.Part
	}
	return fmt.Sprintf("docgen: %s: %s %d exceeds the limit of %d", where, e.Limit, e.Value, e.Max)
}

// Is makes errors.Is(err, ErrTooLarge) true.
func (e *LimitError) Is(target error) bool { return target == ErrTooLarge }

// Limits bound what text extraction reads from a package that came from
// outside (an import), so that a zip bomb is refused before it is
// inflated and extraction runs in memory bounded by the limits. A field
// that is zero (or negative) takes its value from DefaultLimits.
type Limits struct {
	// MaxEntries is the most zip entries a package may hold.
	MaxEntries int
	// MaxTotalSize is the most the declared uncompressed sizes of all
	// entries may add up to.
	MaxTotalSize int64
	// MaxDocumentXML is the most word/document.xml may inflate to, by its
	// declared size and by what it actually inflates to.
	MaxDocumentXML int64
	// MaxRatio is the highest uncompressed:compressed ratio allowed to an
	// entry larger than RatioFloor, declared or actual.
	MaxRatio int64
	// RatioFloor is the size up to which an entry is not held to
	// MaxRatio (small XML parts compress well).
	RatioFloor int64
	// MaxTextChars is the most characters the text may hold. A longer
	// document is refused, never truncated.
	MaxTextChars int
	// MaxDepth is the deepest element nesting allowed in the document
	// part.
	MaxDepth int
}

// DefaultLimits are the limits of ExtractText: far above any real 公文
// (a 50-page document is about 10 KB zipped, 160 KB of XML and 28,000
// characters) and far below what would strain the server.
func DefaultLimits() Limits {
	return Limits{
		MaxEntries:     1000,
		MaxTotalSize:   128 << 20,
		MaxDocumentXML: 20 << 20,
		MaxRatio:       100,
		RatioFloor:     1 << 20,
		MaxTextChars:   2_000_000,
		MaxDepth:       256,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxEntries > 0 {
		d.MaxEntries = l.MaxEntries
	}
	if l.MaxTotalSize > 0 {
		d.MaxTotalSize = l.MaxTotalSize
	}
	if l.MaxDocumentXML > 0 {
		d.MaxDocumentXML = l.MaxDocumentXML
	}
	if l.MaxRatio > 0 {
		d.MaxRatio = l.MaxRatio
	}
	if l.RatioFloor > 0 {
		d.RatioFloor = l.RatioFloor
	}
	if l.MaxTextChars > 0 {
		d.MaxTextChars = l.MaxTextChars
	}
	if l.MaxDepth > 0 {
		d.MaxDepth = l.MaxDepth
	}
	return d
}

// ExtractText returns the text of a .docx's main document part, one
// paragraph a line, within DefaultLimits. It is used to index imported
// records. Errors match ErrNotDocx or ErrTooLarge.
func ExtractText(docx []byte) (string, error) {
	return ExtractTextLimits(docx, Limits{})
}

// ExtractTextLimits is ExtractText within the given limits.
func ExtractTextLimits(docx []byte, lim Limits) (string, error) {
	return ExtractTextFrom(bytes.NewReader(docx), int64(len(docx)), lim)
}

// ExtractTextFrom is ExtractTextLimits for a package read through r (for
// example a temporary file), size bytes long.
func ExtractTextFrom(r io.ReaderAt, size int64, lim Limits) (string, error) {
	lim = lim.withDefaults()
	doc, err := openDocumentPart(r, size, lim)
	if err != nil {
		return "", err
	}
	rc, err := doc.Open()
	if err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrNotDocx, doc.Name, err)
	}
	defer rc.Close()
	in := &inflateGuard{r: rc, part: doc.Name, compressed: doc.CompressedSize64, lim: lim}
	text, err := documentText(xml.NewDecoder(in), lim)
	if err != nil {
		var le *LimitError
		if errors.As(err, &le) {
			return "", le
		}
		if errors.Is(err, zip.ErrFormat) {
			return "", fmt.Errorf("%w: %s inflates past its declared size of %d bytes", ErrNotDocx, doc.Name, doc.UncompressedSize64)
		}
		return "", fmt.Errorf("%w: %s: %v", ErrNotDocx, doc.Name, err)
	}
	return text, nil
}

// openDocumentPart checks the package's zip directory against lim, before
// anything is inflated, and returns its word/document.xml entry.
func openDocumentPart(r io.ReaderAt, size int64, lim Limits) (*zip.File, error) {
	// zip.NewReader holds every directory record in memory, and reads
	// past the count the directory's end record gives (it checks that
	// count only modulo 65536); count the records' signatures first.
	if n, err := countDirectoryRecords(r, size, lim.MaxEntries); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotDocx, err)
	} else if n > lim.MaxEntries {
		return nil, &LimitError{Limit: LimitEntries, Value: int64(n), Max: int64(lim.MaxEntries)}
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotDocx, err)
	}
	if len(zr.File) > lim.MaxEntries {
		return nil, &LimitError{Limit: LimitEntries, Value: int64(len(zr.File)), Max: int64(lim.MaxEntries)}
	}
	var doc *zip.File
	var total uint64
	for _, f := range zr.File {
		if f.Name == "word/document.xml" && doc == nil {
			doc = f
			if f.UncompressedSize64 > uint64(lim.MaxDocumentXML) {
				return nil, &LimitError{Limit: LimitPartSize, Part: f.Name, Value: clampInt64(f.UncompressedSize64), Max: lim.MaxDocumentXML}
			}
		}
		if f.UncompressedSize64 > uint64(lim.RatioFloor) {
			if ratio := f.UncompressedSize64 / max(f.CompressedSize64, 1); ratio > uint64(lim.MaxRatio) {
				return nil, &LimitError{Limit: LimitRatio, Part: f.Name, Value: clampInt64(ratio), Max: lim.MaxRatio}
			}
		}
		if total += f.UncompressedSize64; total > uint64(lim.MaxTotalSize) || total < f.UncompressedSize64 {
			return nil, &LimitError{Limit: LimitTotalSize, Value: clampInt64(total), Max: lim.MaxTotalSize}
		}
	}
	if doc == nil {
		return nil, fmt.Errorf("%w: no word/document.xml", ErrNotDocx)
	}
	return doc, nil
}

// directorySignature starts every central directory record of a zip.
var directorySignature = []byte("PK\x01\x02")

// countDirectoryRecords returns an upper bound of the number of central
// directory records in the zip: the occurrences of their signature. It
// stops counting past limit.
func countDirectoryRecords(r io.ReaderAt, size int64, limit int) (int, error) {
	buf := make([]byte, 8<<10)
	keep := len(directorySignature) - 1
	n, carry := 0, 0
	for off := int64(0); off < size && n <= limit; {
		m, err := r.ReadAt(buf[carry:min(int64(len(buf)), int64(carry)+size-off)], off)
		if m == 0 && err != nil {
			return 0, fmt.Errorf("read package: %w", err)
		}
		off += int64(m)
		chunk := buf[:carry+m]
		n += bytes.Count(chunk, directorySignature)
		// The signature cannot overlap itself, so carrying the last
		// len-1 bytes counts one split across chunks exactly once.
		carry = copy(buf, chunk[max(len(chunk)-keep, 0):])
	}
	return n, nil
}

func clampInt64(v uint64) int64 {
	if v > 1<<63-1 {
		return 1<<63 - 1
	}
	return int64(v)
}

// inflateGuard counts what a part actually inflates to and fails past
// lim.MaxDocumentXML, or past lim.MaxRatio times its compressed size once
// it is larger than lim.RatioFloor: the declared size may lie.
type inflateGuard struct {
	r          io.Reader
	part       string
	compressed uint64
	lim        Limits
	n          int64
}

func (g *inflateGuard) Read(p []byte) (int, error) {
	if room := g.lim.MaxDocumentXML - g.n + 1; int64(len(p)) > room {
		p = p[:room] // read at most one byte past the limit
	}
	m, err := g.r.Read(p)
	g.n += int64(m)
	if g.n > g.lim.MaxDocumentXML {
		return 0, &LimitError{Limit: LimitPartSize, Part: g.part, Value: g.n, Max: g.lim.MaxDocumentXML}
	}
	if g.n > g.lim.RatioFloor && uint64(g.n)/max(g.compressed, 1) > uint64(g.lim.MaxRatio) {
		return 0, &LimitError{Limit: LimitRatio, Part: g.part, Value: int64(uint64(g.n) / max(g.compressed, 1)), Max: g.lim.MaxRatio}
	}
	return m, err
}

// documentText streams the document part token by token into its text:
// w:t runs, w:tab as a tab (not inside w:tabs, where it is a tab stop),
// w:br and w:cr as a line break, a new line after every paragraph.
func documentText(dec *xml.Decoder, lim Limits) (string, error) {
	text := textBuilder{max: lim.MaxTextChars}
	depth := 0
	inText, inTabs := false, false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return text.b.String(), nil
		}
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth++; depth > lim.MaxDepth {
				return "", &LimitError{Limit: LimitDepth, Part: "word/document.xml", Value: int64(depth), Max: int64(lim.MaxDepth)}
			}
			switch t.Name.Local {
			case "t":
				inText = true
			case "tabs":
				inTabs = true
			case "tab":
				if !inTabs {
					err = text.writeByte('\t')
				}
			case "br", "cr":
				err = text.writeByte('\n')
			}
		case xml.EndElement:
			depth--
			switch t.Name.Local {
			case "t":
				inText = false
			case "tabs":
				inTabs = false
			case "p":
				err = text.writeByte('\n')
			}
		case xml.CharData:
			if inText {
				err = text.write(t)
			}
		}
		if err != nil {
			return "", err
		}
	}
}

// textBuilder collects extracted text up to max characters; past them it
// refuses the document rather than cut its text.
type textBuilder struct {
	b     strings.Builder
	chars int
	max   int
}

func (t *textBuilder) write(p []byte) error {
	n := 0
	for _, c := range p { // runes are the bytes that start one (the decoder checked UTF-8)
		if c&0xC0 != 0x80 {
			n++
		}
	}
	if t.chars+n > t.max {
		return &LimitError{Limit: LimitTextChars, Part: "word/document.xml", Value: int64(t.chars + n), Max: int64(t.max)}
	}
	t.chars += n
	t.b.Write(p)
	return nil
}

func (t *textBuilder) writeByte(c byte) error {
	if t.chars+1 > t.max {
		return &LimitError{Limit: LimitTextChars, Part: "word/document.xml", Value: int64(t.chars + 1), Max: int64(t.max)}
	}
	t.chars++
	return t.b.WriteByte(c)
}
