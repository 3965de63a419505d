package textract

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// ToolStatus is the state of one outside tool (for /readyz).
type ToolStatus struct {
	Tool    string `json:"tool"`    // pdftotext, pdftoppm, tesseract, tesseract:chi_sim, prlimit
	Package string `json:"package"` // the Debian package that provides it
	Present bool   `json:"present"`
	Detail  string `json:"detail"` // its path, or what is wrong
}

// Check reports which tools the Extractor needs are present, and whether
// tesseract has every language of OCRLanguages. It runs `tesseract
// --list-langs` (bounded like every other run).
func (e *Extractor) Check(ctx context.Context) []ToolStatus {
	var out []ToolStatus
	for _, t := range []tool{toolPrlimit, toolPDFToText, toolPDFToPPM, toolTesseract} {
		st := ToolStatus{Tool: t.name, Package: t.pkg}
		if path, err := exec.LookPath(t.name); err != nil {
			st.Detail = err.Error()
		} else {
			st.Present, st.Detail = true, path
		}
		out = append(out, st)
	}
	return append(out, e.checkLanguages(ctx)...)
}

// Check is New(Options{}).Check: the tools with the default options.
func Check(ctx context.Context) []ToolStatus { return New(Options{}).Check(ctx) }

// checkLanguages asks tesseract which languages it has, once, and reports
// each of OCRLanguages.
func (e *Extractor) checkLanguages(ctx context.Context) []ToolStatus {
	out, err := e.run(ctx, "", job{tool: toolTesseract, args: []string{"--list-langs"},
		timeout: 10 * time.Second, outCap: 64 << 10})
	// "List of available languages in "…" (3):" then one name a line.
	installed := strings.Fields(string(out))
	var sts []ToolStatus
	for _, lang := range strings.Split(e.opts.OCRLanguages, "+") {
		st := ToolStatus{Tool: "tesseract:" + lang, Package: languagePackages(lang)}
		switch {
		case err != nil:
			st.Detail = err.Error()
		case slices.Contains(installed, lang):
			st.Present, st.Detail = true, "installed"
		default:
			st.Detail = fmt.Sprintf("language %s not installed", lang)
		}
		sts = append(sts, st)
	}
	return sts
}
