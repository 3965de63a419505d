package textract

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// Run: go test -run '^$' -bench . -benchtime 3x ./textract/
// Figures go to BENCH.md. Every benchmark is one page of the sample reply.

func benchExtract(b *testing.B, x *Extractor, name string, data []byte) *Result {
	b.Helper()
	var res *Result
	for b.Loop() {
		var err error
		if res, err = x.Extract(context.Background(), name, bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
	return res
}

// BenchmarkPDFTextPage: pdftotext on a page with a text layer.
func BenchmarkPDFTextPage(b *testing.B) {
	s := loadSamples(b)
	benchExtract(b, New(Options{}), "回复.pdf", s.pdf)
}

// BenchmarkOCRPage: tesseract on a scanned page (200 dpi, A4).
func BenchmarkOCRPage(b *testing.B) {
	s := loadSamples(b)
	for _, tc := range []struct {
		name string
		data []byte
	}{{"png", s.png}, {"jpeg", s.jpg}} {
		b.Run(tc.name, func(b *testing.B) {
			res := benchExtract(b, New(Options{}), "回复."+tc.name, tc.data)
			b.ReportMetric(100*accuracy(s.truth, res.Text), "acc_%")
		})
	}
}

// BenchmarkScannedPDFPage: pdftotext finds no text, pdftoppm rasterises
// the page, tesseract reads it.
func BenchmarkScannedPDFPage(b *testing.B) {
	s := loadSamples(b)
	res := benchExtract(b, New(Options{}), "回复.pdf", s.scanPDF)
	b.ReportMetric(100*accuracy(s.truth, res.Text), "acc_%")
}

// BenchmarkOCRSettings compares the resolution of a scan, languages and
// page segmentation, reporting character accuracy: the evidence for the
// defaults. The printed PDF is scanned at each resolution (pdftoppm, grey
// JPEG wrapped in a PDF) and read back rasterised at that resolution.
// Run with -benchtime 1x: accuracy does not change between runs.
func BenchmarkOCRSettings(b *testing.B) {
	s := loadSamples(b)
	pdfPath := filepath.Join(b.TempDir(), "reply.pdf")
	if err := os.WriteFile(pdfPath, s.pdf, 0o600); err != nil {
		b.Fatal(err)
	}
	for _, dpi := range []int{150, 200, 300} {
		scan := scanAt(b, pdfPath, dpi)
		for _, langs := range []string{"chi_sim", "chi_sim+eng"} {
			for _, psm := range []int{3, 6} {
				b.Run(fmt.Sprintf("dpi=%d/l=%s/psm=%d", dpi, langs, psm), func(b *testing.B) {
					x := New(Options{RasterDPI: dpi, OCRLanguages: langs, OCRPageSegMode: psm})
					res := benchExtract(b, x, "回复.pdf", scan)
					if res.Method != MethodOCR {
						b.Fatalf("method %s, want ocr", res.Method)
					}
					b.ReportMetric(100*accuracy(s.truth, res.Text), "acc_%")
				})
			}
		}
	}
}

// scanAt makes an image-only PDF of page 1 of pdfPath at dpi.
func scanAt(b *testing.B, pdfPath string, dpi int) []byte {
	prefix := filepath.Join(b.TempDir(), "scan")
	if err := runFixtureTool(b, "pdftoppm", "-r", strconv.Itoa(dpi), "-gray", "-png", "-f", "1", "-l", "1", "-singlefile", pdfPath, prefix); err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(prefix + ".png")
	if err != nil {
		b.Fatal(err)
	}
	rgb, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		b.Fatal(err)
	}
	img := image.NewGray(rgb.Bounds())
	draw.Draw(img, img.Bounds(), rgb, rgb.Bounds().Min, draw.Src)
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, img, &jpeg.Options{Quality: 85}); err != nil {
		b.Fatal(err)
	}
	return imagePDF(jb.Bytes(), img.Bounds(), dpi)
}
