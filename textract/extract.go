package textract

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
	"unicode/utf8"

	"wenshu/docgen"
)

// Options are the limits of an Extractor. A zero field takes the default
// in brackets.
type Options struct {
	MaxInputBytes  int64 // bytes of one file [50 MiB]
	MaxTextBytes   int64 // bytes of text from one file, and from one tool run [16 MiB]
	MaxImagePixels int64 // width × height of an image or a rasterised page [40 000 000]
	MaxOCRPages    int   // pages of one PDF sent to OCR [50]
	// MaxDocxXMLBytes bounds the inflated size of a .docx's
	// word/document.xml, as its zip entry declares it (archive/zip fails a
	// read past the declared size), before docgen parses it [20 MiB].
	MaxDocxXMLBytes int64

	PDFTextTimeout time.Duration // one pdftotext run [30 s]
	RasterTimeout  time.Duration // one pdftoppm page [30 s]
	OCRPageTimeout time.Duration // one tesseract page [60 s]
	FileTimeout    time.Duration // everything for one file [5 min]

	// MemoryLimit is each tool's address-space limit (prlimit --as)
	// [1 GiB]; tesseract needs about 200 MB of it for an A4 page.
	MemoryLimit int64
	// MaxFileBytes bounds each file a tool writes (prlimit --fsize), i.e.
	// one rasterised page [256 MiB].
	MaxFileBytes int64

	// OCRLanguages is tesseract's -l [chi_sim]. chi_sim reads digits well;
	// chi_sim+eng was measured worse on 公文 (BENCH.md).
	OCRLanguages string
	// OCRPageSegMode is tesseract's --psm [3, automatic layout]; see BENCH.md.
	OCRPageSegMode int
	// RasterDPI is pdftoppm's -r for scanned PDFs [200]; at 300 dpi the
	// 3号 (16 pt) body text of a 公文 is read worse (BENCH.md).
	RasterDPI int
	// MinPageRunes: a PDF page whose text layer has fewer non-space
	// characters is taken as scanned and sent to OCR [10].
	MinPageRunes int

	// TempDir is where the private per-file directories are made
	// [os.TempDir()].
	TempDir string
}

func (o Options) withDefaults() Options {
	def := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	defInt := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.MaxInputBytes, 50<<20)
	def(&o.MaxTextBytes, 16<<20)
	def(&o.MaxImagePixels, 40_000_000)
	def(&o.MaxDocxXMLBytes, 20<<20)
	def(&o.MemoryLimit, 1<<30)
	def(&o.MaxFileBytes, 256<<20)
	defInt(&o.MaxOCRPages, 50)
	defInt(&o.OCRPageSegMode, 3)
	defInt(&o.RasterDPI, 200)
	defInt(&o.MinPageRunes, 10)
	defDur(&o.PDFTextTimeout, 30*time.Second)
	defDur(&o.RasterTimeout, 30*time.Second)
	defDur(&o.OCRPageTimeout, 60*time.Second)
	defDur(&o.FileTimeout, 5*time.Minute)
	if o.OCRLanguages == "" {
		o.OCRLanguages = "chi_sim"
	}
	return o
}

// Extractor extracts text within its Options' limits. It is safe for
// concurrent use; each call runs its tools one after the other.
type Extractor struct{ opts Options }

// New returns an Extractor with opts, defaults filled in.
func New(opts Options) *Extractor { return &Extractor{opts: opts.withDefaults()} }

// Options returns the limits in effect, defaults filled in.
func (e *Extractor) Options() Options { return e.opts }

// Method says how the text was obtained.
type Method string

// Methods.
const (
	MethodDocx       Method = "docx"          // docgen.ExtractText
	MethodUTF8       Method = "utf8"          // the file is the text
	MethodPDFText    Method = "pdftotext"     // the PDF's text layer only
	MethodOCR        Method = "ocr"           // tesseract only (image, scanned PDF)
	MethodPDFTextOCR Method = "pdftotext+ocr" // text layer, OCR for the pages without one
)

// Result is the text of one file.
type Result struct {
	Text     string // normalised (see package doc)
	Kind     Kind   // detected from the content
	Method   Method
	Pages    int // pages of a PDF; 1 for an image; 0 otherwise
	OCRPages int // pages read by OCR
}

// Extract reads the file called name (its extension must agree with its
// content; name may be empty) from r and returns its text. At most
// MaxInputBytes are read; the bytes go to a private temporary directory,
// not to memory (a .docx and a .txt are then read back whole, within the
// limit). Refusals and failures are *Error values (see the Err…
// sentinels); a cancelled ctx returns its error.
func (e *Extractor) Extract(ctx context.Context, name string, r io.Reader) (*Result, error) {
	ctx, cancel := context.WithTimeout(ctx, e.opts.FileTimeout)
	defer cancel()
	dir, err := os.MkdirTemp(e.opts.TempDir, "textract-*") // mode 0700
	if err != nil {
		return nil, fmt.Errorf("textract: temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	f, size, err := e.spool(dir, r)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	kind, err := Detect(name, f, size)
	if err != nil {
		return nil, err
	}
	res, err := e.extractKind(ctx, dir, kind, f)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) && !errors.Is(err, ErrTimeout) {
			return nil, refuse(ErrTimeout, "", fmt.Sprintf("file after %s", e.opts.FileTimeout), err)
		}
		return nil, err
	}
	res.Kind = kind
	res.Text = normalize(res.Text, res.Method != MethodDocx && res.Method != MethodUTF8)
	return res, nil
}

func (e *Extractor) extractKind(ctx context.Context, dir string, kind Kind, f *os.File) (*Result, error) {
	switch kind {
	case KindDocx:
		return e.extractDocx(f)
	case KindText:
		return e.extractUTF8(f)
	case KindPDF:
		return e.extractPDF(ctx, dir, f.Name())
	default: // KindPNG, KindJPEG
		return e.extractImage(ctx, dir, f)
	}
}

// spool copies at most MaxInputBytes of r into dir/input and returns the
// file, rewound, and its size.
func (e *Extractor) spool(dir string, r io.Reader) (*os.File, int64, error) {
	f, err := os.OpenFile(filepath.Join(dir, "input"), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, 0, fmt.Errorf("textract: spool: %w", err)
	}
	n, err := io.Copy(f, io.LimitReader(r, e.opts.MaxInputBytes+1))
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("textract: spool: %w", err)
	}
	if n > e.opts.MaxInputBytes {
		f.Close()
		return nil, 0, refuse(ErrTooLarge, fmt.Sprintf("文件超过 %d 字节", e.opts.MaxInputBytes),
			fmt.Sprintf("input over %d bytes", e.opts.MaxInputBytes), nil)
	}
	return f, n, nil
}

// readAll reads the spooled file back (it is at most MaxInputBytes).
func readAll(f *os.File) ([]byte, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("textract: rewind: %w", err)
	}
	return io.ReadAll(f)
}

func (e *Extractor) extractDocx(f *os.File) (*Result, error) {
	data, err := readAll(f)
	if err != nil {
		return nil, err
	}
	if err := e.checkDocumentXML(data); err != nil {
		return nil, err
	}
	text, err := docgen.ExtractText(data)
	if err != nil {
		return nil, refuse(ErrFailed, "", "docx", err)
	}
	if err := e.checkTextSize(len(text)); err != nil {
		return nil, err
	}
	return &Result{Text: text, Method: MethodDocx}, nil
}

func (e *Extractor) extractUTF8(f *os.File) (*Result, error) {
	data, err := readAll(f)
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(data) {
		return nil, refuse(ErrInvalidText, "", fmt.Sprintf("invalid UTF-8 at byte %d", firstInvalid(data)), nil)
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return nil, refuse(ErrInvalidText, "含有二进制内容", fmt.Sprintf("NUL byte at %d", i), nil)
	}
	if err := e.checkTextSize(len(data)); err != nil {
		return nil, err
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	return &Result{Text: string(data), Method: MethodUTF8}, nil
}

// checkDocumentXML refuses a .docx whose main part declares more than
// MaxDocxXMLBytes inflated (a zip bomb), before anything inflates it.
func (e *Extractor) checkDocumentXML(data []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return refuse(ErrFailed, "", "docx zip", err)
	}
	for _, f := range zr.File {
		if f.Name == "word/document.xml" && f.UncompressedSize64 > uint64(e.opts.MaxDocxXMLBytes) {
			return refuse(ErrTooLarge, fmt.Sprintf("正文部件解压后超过 %d 字节", e.opts.MaxDocxXMLBytes),
				fmt.Sprintf("word/document.xml declares %d bytes, limit %d", f.UncompressedSize64, e.opts.MaxDocxXMLBytes), nil)
		}
	}
	return nil
}

func (e *Extractor) checkTextSize(n int) error {
	if int64(n) > e.opts.MaxTextBytes {
		return refuse(ErrTooLarge, fmt.Sprintf("文字内容超过 %d 字节", e.opts.MaxTextBytes),
			fmt.Sprintf("text of %d bytes over %d", n, e.opts.MaxTextBytes), nil)
	}
	return nil
}

// firstInvalid returns the offset of the first byte that is not valid UTF-8.
func firstInvalid(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}
