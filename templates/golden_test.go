package templates

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"wenshu/internal/gbcheck/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden/ from what the code renders now")

// TestGolden renders every built-in template's example.json (on the fixed
// day newRegistry gives) and compares every part of the package, as XML,
// with testdata/golden/<template-id>/. After an intended change to a
// template or to the layout: go test ./templates -run Golden -update, then
// read the diff of testdata/golden/ before committing it.
func TestGolden(t *testing.T) {
	r := newRegistry(t, Options{})
	ids := map[string]bool{}
	for _, tp := range r.All() {
		ids[tp.ID] = true
		t.Run(tp.ID, func(t *testing.T) {
			out, err := r.Render(RenderRequest{TemplateID: tp.ID, Fields: tp.Example()})
			if err != nil {
				t.Fatal(err)
			}
			golden.CheckPackage(t, out.Docx, filepath.Join("testdata", "golden", tp.ID), *update)
		})
	}
	dirs, err := os.ReadDir(filepath.Join("testdata", "golden"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if !ids[d.Name()] {
			t.Errorf("testdata/golden/%s belongs to no template; remove it", d.Name())
		}
	}
}
