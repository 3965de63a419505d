package textract

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
)

func extract(t *testing.T, x *Extractor, name string, data []byte) (*Result, error) {
	t.Helper()
	return x.Extract(context.Background(), name, bytes.NewReader(data))
}

func mustExtract(t *testing.T, x *Extractor, name string, data []byte) *Result {
	t.Helper()
	res, err := extract(t, x, name, data)
	if err != nil {
		t.Fatalf("Extract(%s): %v", name, err)
	}
	return res
}

func wantPhrases(t *testing.T, text string, phrases ...string) {
	t.Helper()
	for _, p := range phrases {
		if !strings.Contains(text, p) {
			t.Errorf("text lacks %q:\n%s", p, text)
		}
	}
}

func wantCode(t *testing.T, err error, want *Error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, want) {
		t.Fatalf("error = %v, want %s", err, want.Code)
	}
	if e.Message == "" || !strings.HasPrefix(e.Message, want.Message) {
		t.Errorf("message = %q, want it to start with %q", e.Message, want.Message)
	}
	return e
}

func TestDocxAndTextLayerGiveTheDocumentsParagraphs(t *testing.T) {
	s := loadSamples(t)
	x := New(Options{})
	for _, tc := range []struct {
		name   string
		data   []byte
		kind   Kind
		method Method
	}{
		{"回复.docx", s.docx, KindDocx, MethodDocx},
		{"回复.pdf", s.pdf, KindPDF, MethodPDFText},
	} {
		res := mustExtract(t, x, tc.name, tc.data)
		if res.Kind != tc.kind || res.Method != tc.method {
			t.Errorf("%s: kind %s method %s, want %s %s", tc.name, res.Kind, res.Method, tc.kind, tc.method)
		}
		// Every paragraph of the document comes back whole, on one line:
		// pdftotext's "15 个工作日" spaces are gone and its line wraps joined.
		lines := map[string]bool{}
		for _, l := range strings.Split(res.Text, "\n") {
			lines[l] = true
		}
		for _, p := range strings.Split(s.truth, "\n") {
			if p != "" && !lines[p] {
				t.Errorf("%s: paragraph %q not a line of:\n%s", tc.name, p, res.Text)
			}
		}
		wantPhrases(t, res.Text, "函询回复", "驻财纪函〔2026〕6号函询通知书", "15个工作日", "本人")
	}
}

// ocrPhrases are phrases of the sample that tesseract chi_sim reads right
// at 200 dpi (it misreads 函 in the 方正小标宋/仿宋 faces as 为 or 图 — see
// BENCH.md — so 函询回复 itself is not among them).
var ocrPhrases = []string{
	"中共某某省纪委监委驻省财政厅纪检监察组",
	"本人",
	"15个工作日",
	"关于违规收受礼金的问题",
	"以上情况属实",
}

func TestScansAreReadByOCR(t *testing.T) {
	s := loadSamples(t)
	x := New(Options{})
	for _, tc := range []struct {
		name           string
		data           []byte
		kind           Kind
		method         Method
		pages, ocrPage int
	}{
		{"回复.png", s.png, KindPNG, MethodOCR, 1, 1},
		{"回复.jpg", s.jpg, KindJPEG, MethodOCR, 1, 1},
		{"回复.pdf", s.scanPDF, KindPDF, MethodOCR, 1, 1},
		{"回复.pdf", s.mixedPDF, KindPDF, MethodPDFTextOCR, 2, 1},
	} {
		res := mustExtract(t, x, tc.name, tc.data)
		if res.Kind != tc.kind || res.Method != tc.method || res.Pages != tc.pages || res.OCRPages != tc.ocrPage {
			t.Errorf("%s: %s %s pages %d/%d, want %s %s %d/%d", tc.name, res.Kind, res.Method,
				res.OCRPages, res.Pages, tc.kind, tc.method, tc.ocrPage, tc.pages)
		}
		wantPhrases(t, res.Text, ocrPhrases...)
		acc := accuracy(s.truth, res.Text)
		if tc.pages == 2 {
			acc = accuracy(s.truth+s.truth, res.Text)
		}
		t.Logf("%s (%s): character accuracy %.1f %%", tc.name, tc.kind, 100*acc)
		if acc < 0.95 {
			t.Errorf("%s: character accuracy %.3f, want ≥ 0.95:\n%s", tc.name, acc, res.Text)
		}
	}
}

func TestUTF8Text(t *testing.T) {
	x := New(Options{})
	res := mustExtract(t, x, "回复.txt", []byte("\uFEFF函 询 回 复\r\n\r\n本人于2026年3月9日收到。\f第二页"))
	if res.Kind != KindText || res.Method != MethodUTF8 {
		t.Errorf("kind %s method %s", res.Kind, res.Method)
	}
	if want := "函询回复\n\n本人于2026年3月9日收到。\n\n第二页"; res.Text != want {
		t.Errorf("text = %q, want %q", res.Text, want)
	}
	for _, bad := range []string{"函询\xff回复", "GBK \xba\xaf\xd1\xaf", "函询\x00回复"} {
		_, err := extract(t, x, "回复.txt", []byte(bad))
		wantCode(t, err, ErrInvalidText)
	}
}

func TestDetectByContent(t *testing.T) {
	s := loadSamples(t)
	zipNotDocx := zipOf(t, "a.txt", "hello")
	gif := []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")
	for _, tc := range []struct {
		name string
		data []byte
		want *Error
	}{
		{"回复.pdf", s.png, ErrMismatch},         // a scan named .pdf
		{"回复.png", s.pdf, ErrMismatch},         // a PDF named .png
		{"回复.txt", s.jpg, ErrMismatch},         // a JPEG named .txt
		{"回复.docx", s.pdf, ErrMismatch},        // a PDF named .docx
		{"回复.pdf", s.docx, ErrMismatch},        // a Word file named .pdf
		{"回复.pdf", []byte("本人于"), ErrMismatch}, // text named .pdf
		{"回复.pdf", zipNotDocx, ErrUnsupported}, // a zip renamed .pdf
		{"回复.docx", zipNotDocx, ErrUnsupported},
		{"回复.png", gif, ErrUnsupported},
		{"回复.exe", []byte("MZ"), ErrUnsupported},
		{"回复.doc", []byte("text"), ErrUnsupported},
		{"回复", s.pdf, ErrUnsupported}, // a name without extension
	} {
		_, err := extract(t, New(Options{}), tc.name, tc.data)
		wantCode(t, err, tc.want)
	}
	// Without a name the content decides; upper-case extensions are fine.
	for _, tc := range []struct {
		name string
		data []byte
		want Kind
	}{
		{"", s.pdf, KindPDF}, {"", s.png, KindPNG}, {"", s.docx, KindDocx}, {"", []byte("文字"), KindText},
		{"SCAN.JPG", s.jpg, KindJPEG}, {"scan.jpeg", s.jpg, KindJPEG}, {"R.PDF", s.pdf, KindPDF},
	} {
		got, err := Detect(tc.name, bytes.NewReader(tc.data), int64(len(tc.data)))
		if err != nil || got != tc.want {
			t.Errorf("Detect(%q) = %s, %v; want %s", tc.name, got, err, tc.want)
		}
	}
}

func TestInputAndTextSizeCaps(t *testing.T) {
	s := loadSamples(t)
	_, err := extract(t, New(Options{MaxInputBytes: 1000}), "a.txt", bytes.Repeat([]byte("字"), 400))
	wantCode(t, err, ErrTooLarge)
	_, err = extract(t, New(Options{MaxTextBytes: 100}), "a.txt", bytes.Repeat([]byte("字"), 40))
	wantCode(t, err, ErrTooLarge)
	// pdftotext prints more than the cap: refused, not cut short.
	_, err = extract(t, New(Options{MaxTextBytes: 100}), "回复.pdf", s.pdf)
	wantCode(t, err, ErrTooLarge)
	_, err = extract(t, New(Options{MaxTextBytes: 100}), "回复.png", s.png)
	wantCode(t, err, ErrTooLarge)
	_, err = extract(t, New(Options{MaxTextBytes: 100}), "回复.docx", s.docx)
	wantCode(t, err, ErrTooLarge)
}

func TestTempDirIsPrivateAndRemoved(t *testing.T) {
	s := loadSamples(t)
	parent := t.TempDir()
	x := New(Options{TempDir: parent})
	var seen []string
	startHook = func(int) {
		entries, _ := os.ReadDir(parent)
		for _, e := range entries {
			info, _ := e.Info()
			if info.Mode().Perm() != 0o700 {
				t.Errorf("%s has mode %v, want 0700", e.Name(), info.Mode().Perm())
			}
			seen = append(seen, e.Name())
		}
	}
	defer func() { startHook = nil }()
	mustExtract(t, x, "回复.pdf", s.scanPDF)
	if len(seen) == 0 {
		t.Fatal("no temp dir seen while the tools ran")
	}
	for _, bad := range [][]byte{s.pdf, s.png} { // success and refusal
		x.Extract(context.Background(), "x.png", bytes.NewReader(bad))
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Errorf("left behind in %s: %v", parent, entries)
	}
}

func TestDocxBombRefusedByDeclaredSize(t *testing.T) {
	// 24 MiB of document.xml that deflates to a few tens of KiB.
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.Create("word/document.xml")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("<w:document><w:body><w:p><w:r><w:t>"))
	w.Write(bytes.Repeat([]byte("字"), 8<<20))
	w.Write([]byte("</w:t></w:r></w:p></w:body></w:document>"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("bomb: %d bytes, document.xml 24 MiB", b.Len())
	_, err = extract(t, New(Options{}), "回复.docx", b.Bytes())
	e := wantCode(t, err, ErrTooLarge)
	if !strings.Contains(e.Message, "正文部件") {
		t.Errorf("message %q does not name the part", e.Message)
	}
}
