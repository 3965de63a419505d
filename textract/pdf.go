package textract

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
)

// extractPDF reads the text layer with pdftotext (without -layout: -layout
// pads lines with the spaces of the page's columns and indents, which the
// reading-order mode does not, and the characters are the same), one page
// per form feed. Pages with fewer than MinPageRunes characters are taken
// as scanned: each is rasterised with pdftoppm and read by tesseract, at
// most MaxOCRPages of them (more is ErrTooManyPages, before any OCR).
func (e *Extractor) extractPDF(ctx context.Context, dir, path string) (*Result, error) {
	out, err := e.run(ctx, dir, job{
		tool:    toolPDFToText,
		args:    []string{"-enc", "UTF-8", "-q", path, "-"},
		timeout: e.opts.PDFTextTimeout,
		outCap:  e.opts.MaxTextBytes,
	})
	if err != nil {
		return nil, err
	}
	pages := strings.Split(string(out), "\f")
	if len(pages) > 1 && strings.TrimSpace(pages[len(pages)-1]) == "" {
		pages = pages[:len(pages)-1] // pdftotext ends every page with \f
	}
	var scanned []int
	for i, p := range pages {
		if countLetters(p) < e.opts.MinPageRunes {
			scanned = append(scanned, i)
		}
	}
	if len(scanned) > e.opts.MaxOCRPages {
		return nil, refuse(ErrTooManyPages,
			fmt.Sprintf("%d 页没有文字层，上限为 %d 页", len(scanned), e.opts.MaxOCRPages),
			fmt.Sprintf("%d pages without text layer, limit %d", len(scanned), e.opts.MaxOCRPages), nil)
	}
	size := len(out)
	for _, i := range scanned {
		text, err := e.ocrPDFPage(ctx, dir, path, i+1)
		if err != nil {
			return nil, err
		}
		if size += len(text); int64(size) > e.opts.MaxTextBytes {
			return nil, e.checkTextSize(size)
		}
		if countLetters(text) > countLetters(pages[i]) {
			pages[i] = text
		}
	}
	res := &Result{Text: strings.Join(pages, "\f"), Pages: len(pages), OCRPages: len(scanned), Method: MethodPDFText}
	switch {
	case len(scanned) == 0:
	case len(scanned) == len(pages):
		res.Method = MethodOCR
	default:
		res.Method = MethodPDFTextOCR
	}
	return res, nil
}

// ocrPDFPage rasterises page (1-based) to a grey PNG and reads it.
func (e *Extractor) ocrPDFPage(ctx context.Context, dir, path string, page int) (string, error) {
	prefix := filepath.Join(dir, "page")
	n := strconv.Itoa(page)
	_, err := e.run(ctx, dir, job{
		tool: toolPDFToPPM,
		args: []string{"-r", strconv.Itoa(e.opts.RasterDPI), "-gray", "-png",
			"-f", n, "-l", n, "-singlefile", path, prefix},
		timeout: e.opts.RasterTimeout,
		outCap:  4 << 10,
	})
	if err != nil {
		return "", err
	}
	png := prefix + ".png"
	defer os.Remove(png)
	f, err := os.Open(png)
	if err != nil {
		return "", refuse(ErrFailed, "", fmt.Sprintf("pdftoppm page %d", page), err)
	}
	defer f.Close()
	return e.ocr(ctx, dir, f)
}

// countLetters counts the characters that are not space, punctuation or
// control: what makes a page's text layer worth keeping.
func countLetters(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			n++
		}
	}
	return n
}
