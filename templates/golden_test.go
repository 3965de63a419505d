package templates

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"wenshu/internal/gbcheck/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden/ from what the code renders now")

// goldenCase is testdata/golden/<case>/input.json of a case that is not a
// template's example: the fields replace those of the template's example.
type goldenCase struct {
	Template string
	Fields   map[string]any
}

// TestGolden renders every built-in template's example.json (on the fixed
// day newRegistry gives) into testdata/golden/<template-id>/, and every
// other testdata/golden/<case>/input.json, and compares every part of the
// package, as XML, with the directory's want/. After an intended change to
// a template or to the layout: go test ./templates -run Golden -update,
// then read the diff of testdata/golden/ before committing it.
func TestGolden(t *testing.T) {
	r := newRegistry(t, Options{})
	dirs, err := os.ReadDir(filepath.Join("testdata", "golden"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, d := range dirs {
		dir := filepath.Join("testdata", "golden", d.Name())
		seen[d.Name()] = true
		t.Run(d.Name(), func(t *testing.T) {
			req := goldenRequest(t, r, d.Name(), dir)
			out, err := r.Render(req)
			if err != nil {
				t.Fatal(err)
			}
			golden.CheckPackage(t, out.Docx, filepath.Join(dir, "want"), *update)
		})
	}
	for _, tp := range r.All() {
		if !seen[tp.ID] {
			t.Errorf("template %s has no testdata/golden/%s/want (create the directory, then run with -update)", tp.ID, tp.ID)
		}
	}
}

// goldenRequest is the example of the template named like dir, or the
// request in dir/input.json.
func goldenRequest(t *testing.T, r *Registry, name, dir string) RenderRequest {
	if tp, err := r.Get(name); err == nil {
		return RenderRequest{TemplateID: tp.ID, Fields: tp.Example()}
	}
	data, err := os.ReadFile(filepath.Join(dir, "input.json"))
	if err != nil {
		t.Fatalf("%s is neither a template id nor a case with input.json: %v", dir, err)
	}
	var c goldenCase
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("%s/input.json: %v", dir, err)
	}
	tp, err := r.Get(c.Template)
	if err != nil {
		t.Fatalf("%s/input.json: %v", dir, err)
	}
	fields := tp.Example()
	for k, v := range c.Fields {
		fields[k] = v
	}
	return RenderRequest{TemplateID: tp.ID, Fields: fields}
}
