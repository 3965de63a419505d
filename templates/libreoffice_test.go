package templates

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"wenshu/internal/office"
)

// TestExamplesOpenInLibreOffice converts every template's example to PDF
// with real LibreOffice and reads the title back from the PDF.
func TestExamplesOpenInLibreOffice(t *testing.T) {
	r := newRegistry(t, Options{})
	dir := t.TempDir()
	var files []string
	titles := map[string]string{}
	for _, tp := range r.All() {
		out, err := r.Render(RenderRequest{TemplateID: tp.ID, Fields: tp.Example()})
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, tp.ID+".docx")
		if err := os.WriteFile(p, out.Docx, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
		titles[tp.ID] = out.Title
	}
	pdfs := office.ToPDF(t, dir, files...)
	for i, pdf := range pdfs {
		id := strings.TrimSuffix(filepath.Base(files[i]), ".docx")
		pages := office.Pages(t, pdf)
		if pages < 1 {
			t.Errorf("%s: no pages", id)
			continue
		}
		var text strings.Builder
		for p := 1; p <= pages; p++ {
			text.WriteString(office.Text(t, pdf, p))
		}
		flat := strings.Join(strings.Fields(text.String()), "")
		if !strings.Contains(flat, titles[id]) {
			t.Errorf("%s: title %q not in the PDF text", id, titles[id])
		}
		t.Logf("%s: %d pages", id, pages)
	}
}
