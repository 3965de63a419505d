package docgen

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"wenshu/internal/office"
)

// These tests open documents in real LibreOffice and measure the PDF it
// prints: the text grid with pdftotext, positions with pixels.

const dpi = 150

func writeDocx(t *testing.T, dir, name string, d *Document) string {
	t.Helper()
	b, err := Render(d)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name+".docx")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLibreOfficeGrid: a full page of body text is 22 lines of 28
// characters.
func TestLibreOfficeGrid(t *testing.T) {
	dir := t.TempDir()
	sentence := "纪检监察机关应当加强对派驻机构的领导和管理，推动全面从严治党向纵深发展。"
	d := sampleDoc(LayoutDocument)
	d.Body = []Block{Paragraph{Text: strings.Repeat(sentence, 80)}}
	pdf := office.ToPDF(t, dir, writeDocx(t, dir, "grid", d))[0]
	if n := office.Pages(t, pdf); n < 4 {
		t.Fatalf("%d pages, want at least 4", n)
	}
	for _, page := range []int{2, 3} {
		var lines []string
		for _, l := range strings.Split(office.Text(t, pdf, page), "\n") {
			l = strings.TrimSpace(l)
			if l == "" || strings.HasPrefix(l, "—") || strings.HasPrefix(l, "\f") {
				continue
			}
			lines = append(lines, l)
		}
		if len(lines) != LinesPerPage {
			t.Errorf("page %d has %d lines, want 22:\n%s", page, len(lines), strings.Join(lines, "\n"))
		}
		for i, l := range lines {
			if n := utf8.RuneCountInString(l); n != CharsPerLine {
				t.Errorf("page %d line %d has %d characters, want 28: %s", page, i+1, n, l)
			}
		}
	}
}

// rowsBetween keeps the rows between two distances from the page top.
func rowsBetween(rows []int, fromMM, toMM float64) []int {
	var out []int
	for _, r := range rows {
		if mm := office.MM(r, dpi); mm >= fromMM && mm <= toMM {
			out = append(out, r)
		}
	}
	return out
}

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if got < want-tol || got > want+tol {
		t.Errorf("%s at %.1f mm, want %.1f ± %.1f mm", what, got, want, tol)
	} else {
		t.Logf("%s at %.1f mm (want %.1f ± %.1f)", what, got, want, tol)
	}
}

func redWidthMM(t *testing.T, pdf string, page, row int) float64 {
	img := office.Image(t, pdf, page, dpi)
	n := 0
	for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
		r, g, b, _ := img.At(x, row).RGBA()
		if office.Red(uint8(r>>8), uint8(g>>8), uint8(b>>8)) {
			n++
		}
	}
	return office.MM(n, dpi)
}

// TestLibreOfficePositions measures the 版头, page numbers and 版记 of both
// layouts in LibreOffice's PDF.
func TestLibreOfficePositions(t *testing.T) {
	dir := t.TempDir()
	docPDF := office.ToPDF(t, dir, writeDocx(t, dir, "document", sampleDoc(LayoutDocument)), writeDocx(t, dir, "letter", sampleDoc(LayoutLetter)))
	t.Run("document", func(t *testing.T) {
		pdf := docPDF[0]
		img := office.Image(t, pdf, 1, dpi)
		red := office.Rows(img, office.Red, 3)
		if len(red) == 0 {
			t.Fatal("no red ink on page 1")
		}
		// The 标志's top: 35 mm below the 版心 top = 72 mm from the paper top.
		near(t, "标志 top", office.MM(red[0], dpi), 72, 1.5)
		// The red rule: the lowest red row, 156 mm wide.
		rule := red[len(red)-1]
		if w := redWidthMM(t, pdf, 1, rule); w < 154 || w > 158 {
			t.Errorf("red rule %.1f mm wide, want 156", w)
		}
		pages := office.Pages(t, pdf)
		for page := 1; page <= pages; page++ {
			dash := rowsBetween(office.Rows(office.Image(t, pdf, page, dpi), office.Dark, 40), 263, 285)
			if len(dash) == 0 {
				t.Fatalf("page %d: no page-number dashes", page)
			}
			// "— N —": the dashes' line 7 mm below the 版心 bottom (262 mm).
			near(t, "page-number dash", office.MM(dash[0], dpi), 269, 1.5)
		}
		last := office.Image(t, pdf, pages, dpi)
		rules := rowsBetween(office.Rows(last, office.Dark, 150*dpi*10/254), 200, 263)
		if len(rules) == 0 {
			t.Fatal("no 版记 rules on the last page")
		}
		near(t, "版记 last rule", office.MM(rules[len(rules)-1], dpi), 262, 1.0)
		words := office.Words(t, pdf, 1)
		var numberX float64
		for _, w := range words {
			if strings.HasPrefix(w.Text, "驻财纪") {
				numberX = (w.XMin + w.XMax) / 2 * 25.4 / 72
			}
		}
		near(t, "发文字号 centre", numberX, 28+78, 8)
	})
	t.Run("letter", func(t *testing.T) {
		pdf := docPDF[1]
		img := office.Image(t, pdf, 1, dpi)
		red := office.Rows(img, office.Red, 3)
		near(t, "letter 标志 top", office.MM(red[0], dpi), 30, 1.5)
		lower := rowsBetween(red, 250, 297)
		if len(lower) == 0 {
			t.Fatal("no lower double line")
		}
		near(t, "lower double line bottom", office.MM(lower[len(lower)-1], dpi), 277, 1.0)
		if w := redWidthMM(t, pdf, 1, lower[len(lower)-1]); w < 168 || w > 172 {
			t.Errorf("lower double line %.1f mm wide, want 170", w)
		}
		upper := rowsBetween(red, 35, 70)
		wide := 0
		for _, r := range upper {
			if redWidthMM(t, pdf, 1, r) > 160 {
				wide++
			}
		}
		if wide == 0 {
			t.Error("no 170 mm upper double line under the 标志")
		}
		if dash := rowsBetween(office.Rows(img, office.Dark, 40), 263, 285); len(dash) != 0 {
			t.Error("letter page 1 shows a page number")
		}
	})
}
