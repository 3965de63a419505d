// Package office drives the real office tools the tests need: LibreOffice
// to open a .docx and print it to PDF, and poppler (pdftotext, pdftoppm)
// to read the PDF back as text, word boxes and pixels. A missing tool is a
// test failure that says how to install it (scripts/deps.sh), never a skip.
//
// Test-only: only _test.go files import it, never production code
// (internal/testenv's TestInternalHelpersStayTestOnly checks this); the
// server itself never runs LibreOffice.
package office

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"fmt"
	"image"
	"image/color"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// need fails t unless every tool is on PATH.
func need(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: run scripts/deps.sh (installs libreoffice-writer-nogui, fonts-noto-cjk and poppler-utils)", tool)
		}
	}
}

// soffice runs one LibreOffice at a time per test binary: parallel
// instances on one profile fight over its lock.
var soffice sync.Mutex

// ToPDF converts each .docx to PDF with headless LibreOffice, in dir, and
// returns the PDF paths in order. It fails t if LibreOffice cannot open a
// document.
func ToPDF(t testing.TB, dir string, docx ...string) []string {
	t.Helper()
	need(t, "soffice")
	soffice.Lock()
	defer soffice.Unlock()
	profile := filepath.Join(t.TempDir(), "lo-profile")
	args := append([]string{"-env:UserInstallation=file://" + profile, "--headless", "--norestore",
		"--convert-to", "pdf", "--outdir", dir}, docx...)
	cmd := exec.Command("soffice", args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatalf("soffice: %v", err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("soffice: %v\n%s", err, out.String())
		}
	case <-time.After(3 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("soffice did not finish in 3 minutes\n%s", out.String())
	}
	var pdfs []string
	for _, d := range docx {
		pdf := filepath.Join(dir, strings.TrimSuffix(filepath.Base(d), filepath.Ext(d))+".pdf")
		st, err := os.Stat(pdf)
		if err != nil || st.Size() == 0 {
			t.Fatalf("LibreOffice did not convert %s: %v\n%s", d, err, out.String())
		}
		pdfs = append(pdfs, pdf)
	}
	return pdfs
}

// Pages returns the page count of a PDF.
func Pages(t testing.TB, pdf string) int {
	t.Helper()
	need(t, "pdfinfo")
	out, err := exec.Command("pdfinfo", pdf).Output()
	if err != nil {
		t.Fatalf("pdfinfo: %v", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "Pages:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	t.Fatalf("pdfinfo: no page count")
	return 0
}

// Text returns the layout text of one page (1-based).
func Text(t testing.TB, pdf string, page int) string {
	t.Helper()
	need(t, "pdftotext")
	p := strconv.Itoa(page)
	out, err := exec.Command("pdftotext", "-layout", "-f", p, "-l", p, pdf, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// Word is a word of a page with its box in points from the top left.
type Word struct {
	Text                   string
	XMin, YMin, XMax, YMax float64
}

// Words returns the words of one page with their boxes.
func Words(t testing.TB, pdf string, page int) []Word {
	t.Helper()
	need(t, "pdftotext")
	p := strconv.Itoa(page)
	out, err := exec.Command("pdftotext", "-bbox", "-f", p, "-l", p, pdf, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext -bbox: %v", err)
	}
	dec := xml.NewDecoder(bytes.NewReader(out))
	dec.Strict = false
	dec.AutoClose = xml.HTMLAutoClose
	dec.Entity = xml.HTMLEntity
	var words []Word
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("pdftotext -bbox output: %v", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "word" {
			continue
		}
		var w Word
		for _, a := range se.Attr {
			v, _ := strconv.ParseFloat(a.Value, 64)
			switch a.Name.Local {
			case "xMin":
				w.XMin = v
			case "yMin":
				w.YMin = v
			case "xMax":
				w.XMax = v
			case "yMax":
				w.YMax = v
			}
		}
		if tok, err := dec.Token(); err == nil {
			if cd, ok := tok.(xml.CharData); ok {
				w.Text = string(cd)
			}
		}
		words = append(words, w)
	}
	return words
}

// Image renders one page at dpi and returns it.
func Image(t testing.TB, pdf string, page, dpi int) image.Image {
	t.Helper()
	need(t, "pdftoppm")
	p := strconv.Itoa(page)
	out, err := exec.Command("pdftoppm", "-r", strconv.Itoa(dpi), "-f", p, "-l", p, pdf).Output()
	if err != nil {
		t.Fatalf("pdftoppm: %v", err)
	}
	img, err := decodePPM(out)
	if err != nil {
		t.Fatalf("pdftoppm output: %v", err)
	}
	return img
}

// decodePPM reads a binary (P6) PPM, what pdftoppm writes by default.
func decodePPM(b []byte) (image.Image, error) {
	r := bufio.NewReader(bytes.NewReader(b))
	var magic string
	var w, h, max int
	if _, err := fmt.Fscan(r, &magic, &w, &h, &max); err != nil {
		return nil, err
	}
	if magic != "P6" || max != 255 || w <= 0 || h <= 0 {
		return nil, fmt.Errorf("not an 8-bit P6 PPM (%s %d)", magic, max)
	}
	if _, err := r.ReadByte(); err != nil { // the single whitespace after max
		return nil, err
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	px := make([]byte, 3)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if _, err := io.ReadFull(r, px); err != nil {
				return nil, err
			}
			img.SetRGBA(x, y, color.RGBA{px[0], px[1], px[2], 255})
		}
	}
	return img, nil
}

// Rows returns, top to bottom, the pixel rows of img in which at least
// minRun pixels satisfy match.
func Rows(img image.Image, match func(r, g, b uint8) bool, minRun int) []int {
	var rows []int
	bnd := img.Bounds()
	for y := bnd.Min.Y; y < bnd.Max.Y; y++ {
		n := 0
		for x := bnd.Min.X; x < bnd.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			if match(c.R, c.G, c.B) {
				n++
			}
		}
		if n >= minRun {
			rows = append(rows, y)
		}
	}
	return rows
}

// Red matches the red ink of 标志 and rules.
func Red(r, g, b uint8) bool { return r > 180 && g < 90 && b < 90 }

// Dark matches black ink.
func Dark(r, g, b uint8) bool { return r < 90 && g < 90 && b < 90 }

// MM converts a pixel row at dpi to millimetres from the page top.
func MM(px, dpi int) float64 { return float64(px) * 25.4 / float64(dpi) }
