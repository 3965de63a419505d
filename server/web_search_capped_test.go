package server

import (
	"bytes"
	"strings"
	"testing"

	"wenshu/search"
)

// When the search capped its facets (too many matches to count them), the
// page says so instead of showing an empty facet column without a word.
func TestSearchPageSaysFacetsCapped(t *testing.T) {
	for _, capped := range []bool{false, true} {
		var buf bytes.Buffer
		d := &searchData{Heading: "检索", Form: true, Result: &search.Result{Total: 12345, FacetsCapped: capped}}
		if err := webPages["search"].ExecuteTemplate(&buf, "layout", &view{Title: "检索", Data: d}); err != nil {
			t.Fatal(err)
		}
		got := strings.Contains(buf.String(), `id="facets-capped"`)
		if got != capped {
			t.Errorf("FacetsCapped=%v: notice shown=%v", capped, got)
		}
		if !strings.Contains(buf.String(), "共 12345 件") {
			t.Errorf("FacetsCapped=%v: exact total missing", capped)
		}
	}
}
