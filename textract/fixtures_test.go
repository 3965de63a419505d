package textract

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"wenshu/docgen"
	"wenshu/internal/office"
)

// samples are the files of one 函询回复 (reply to an inquiry letter), made
// once per test binary from a .docx that docgen renders: the .docx, the PDF
// LibreOffice prints from it (text layer), its first page rasterised at
// 200 dpi in grey as a scan (.png and .jpg), the .jpg wrapped in a PDF with
// no text layer (a scanned PDF), and the text layer and the scan joined
// into one two-page PDF (pdfunite).
type samples struct {
	docx, pdf, png, jpg, scanPDF []byte
	mixedPDF, twoScans           []byte
	truth                        string // docx text, normalised: what every kind must give back
}

var (
	sampleOnce sync.Once
	sample     samples
	sampleErr  error
	sampleDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if sampleDir != "" {
		os.RemoveAll(sampleDir)
	}
	os.Exit(code)
}

// replyDocument is a 函询回复 as a person would write it.
func replyDocument() *docgen.Document {
	return &docgen.Document{
		Layout:     docgen.LayoutPlain,
		Title:      "函询回复",
		Recipients: "中共某某省纪委监委驻省财政厅纪检监察组",
		Body: []docgen.Block{
			docgen.Paragraph{Text: "本人于2026年3月9日收到驻财纪函〔2026〕6号函询通知书。现按要求，在收到本函后15个工作日内，就函询所列问题如实说明如下。"},
			docgen.Heading{Level: 1, Text: "一、关于违规收受礼金的问题"},
			docgen.Paragraph{Text: "经认真回忆，本人未收受任何单位和个人的礼金、有价证券或者支付凭证。2025年春节期间，某公司负责人到本人办公室送来购物卡一张，本人当场拒收，并向单位党组书记报告。"},
			docgen.Heading{Level: 1, Text: "二、关于配偶经商办企业的问题"},
			docgen.Paragraph{Text: "本人配偶在某商场从事财务工作，不存在经商办企业的情况，已在个人有关事项报告中如实填报。"},
			docgen.Paragraph{Text: "以上情况属实。本人对所说明的内容负责，如有不实，愿意承担相应责任。"},
		},
		Signature: "张三",
		Date:      "2026年3月20日",
	}
}

func loadSamples(t testing.TB) *samples {
	t.Helper()
	sampleOnce.Do(func() {
		sampleDir, sampleErr = os.MkdirTemp("", "textract-samples-*")
		if sampleErr == nil {
			sampleErr = makeSamples(t, sampleDir, &sample)
		}
	})
	if sampleErr != nil {
		t.Fatalf("samples: %v", sampleErr)
	}
	return &sample
}

func makeSamples(t testing.TB, dir string, s *samples) error {
	var err error
	if s.docx, err = docgen.Render(replyDocument()); err != nil {
		return err
	}
	text, err := docgen.ExtractText(s.docx)
	if err != nil {
		return err
	}
	s.truth = normalize(text, false)
	docxPath := filepath.Join(dir, "reply.docx")
	if err := os.WriteFile(docxPath, s.docx, 0o600); err != nil {
		return err
	}
	pdfPath := office.ToPDF(t, dir, docxPath)[0]
	if s.pdf, err = os.ReadFile(pdfPath); err != nil {
		return err
	}
	prefix := filepath.Join(dir, "scan")
	if err := runFixtureTool(t, "pdftoppm", "-r", "200", "-gray", "-png", "-f", "1", "-l", "1", "-singlefile", pdfPath, prefix); err != nil {
		return err
	}
	if s.png, err = os.ReadFile(prefix + ".png"); err != nil {
		return err
	}
	rgb, err := png.Decode(bytes.NewReader(s.png)) // pdftoppm -gray still writes RGB
	if err != nil {
		return err
	}
	img := image.NewGray(rgb.Bounds())
	draw.Draw(img, img.Bounds(), rgb, rgb.Bounds().Min, draw.Src)
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, img, &jpeg.Options{Quality: 85}); err != nil {
		return err
	}
	s.jpg = jb.Bytes()
	s.scanPDF = imagePDF(s.jpg, img.Bounds(), 200)
	scanPath := filepath.Join(dir, "scan.pdf")
	if err := os.WriteFile(scanPath, s.scanPDF, 0o600); err != nil {
		return err
	}
	mixed, two := filepath.Join(dir, "mixed.pdf"), filepath.Join(dir, "two-scans.pdf")
	if err := runFixtureTool(t, "pdfunite", pdfPath, scanPath, mixed); err != nil {
		return err
	}
	if err := runFixtureTool(t, "pdfunite", scanPath, scanPath, two); err != nil {
		return err
	}
	if s.mixedPDF, err = os.ReadFile(mixed); err != nil {
		return err
	}
	s.twoScans, err = os.ReadFile(two)
	return err
}

// runFixtureTool runs a poppler tool for the fixtures; a missing tool fails loudly.
func runFixtureTool(t testing.TB, name string, args ...string) error {
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s not found: run scripts/deps.sh", name)
	}
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", name, err, out)
	}
	return nil
}

// imagePDF wraps a JPEG in a one-page PDF with no text layer, the page
// sized for the image at dpi: what a scanner makes.
func imagePDF(jpg []byte, b image.Rectangle, dpi int) []byte {
	w, h := b.Dx(), b.Dy()
	pw, ph := float64(w)*72/float64(dpi), float64(h)*72/float64(dpi)
	content := fmt.Sprintf("q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q", pw, ph)
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>", pw, ph),
		fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n%s\nendstream", w, h, len(jpg), jpg),
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
	}
	var buf bytes.Buffer
	buf.WriteString("%PDF-1.4\n%\xE2\xE3\xCF\xD3\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = buf.Len()
		fmt.Fprintf(&buf, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := buf.Len()
	fmt.Fprintf(&buf, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&buf, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&buf, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return buf.Bytes()
}

// accuracy is 1 − (edit distance / length of want) over the characters
// that are not space: the character accuracy of OCR.
func accuracy(want, got string) float64 {
	strip := func(s string) []rune {
		return []rune(strings.Join(strings.Fields(s), ""))
	}
	a, b := strip(want), strip(got)
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			sub := prev[j-1]
			if a[i-1] != b[j-1] {
				sub++
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, sub)
		}
		prev = cur
	}
	return 1 - float64(prev[len(b)])/float64(len(a))
}
