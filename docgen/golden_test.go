package docgen

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"wenshu/internal/gbcheck/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ from what the code renders now")

// goldenInput is a case's input.json: a Document with Go field names as
// keys, its 正文 blocks written as one-key objects ({"Heading": {…}}).
type goldenInput struct {
	Document
	Body []goldenBlock
}

// goldenBlock is one block of 正文; exactly one field is set.
type goldenBlock struct {
	Paragraph *Paragraph
	Heading   *Heading
	Table     *Table
	Subtitle  *Subtitle
	PageBreak *PageBreak
}

func (b goldenBlock) block(t *testing.T) Block {
	var blocks []Block
	if b.Paragraph != nil {
		blocks = append(blocks, *b.Paragraph)
	}
	if b.Heading != nil {
		blocks = append(blocks, *b.Heading)
	}
	if b.Table != nil {
		blocks = append(blocks, *b.Table)
	}
	if b.Subtitle != nil {
		blocks = append(blocks, *b.Subtitle)
	}
	if b.PageBreak != nil {
		blocks = append(blocks, *b.PageBreak)
	}
	if len(blocks) != 1 {
		t.Fatalf("a body block needs exactly one of Paragraph, Heading, Table, Subtitle, PageBreak; got %d", len(blocks))
	}
	return blocks[0]
}

func loadGoldenInput(t *testing.T, path string) *Document {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var in goldenInput
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	d := in.Document
	for _, b := range in.Body {
		d.Body = append(d.Body, b.block(t))
	}
	return &d
}

// TestGolden renders each testdata/<case>/input.json and compares every
// part of the package, as XML, with testdata/<case>/want/. After an
// intended layout change: go test ./docgen -run Golden -update, then
// read the diff of testdata/ before committing it.
func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "*", "input.json"))
	if err != nil {
		t.Fatal(err)
	}
	layouts := map[Layout]bool{}
	for _, in := range inputs {
		dir := filepath.Dir(in)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			d := loadGoldenInput(t, in)
			layouts[d.Layout] = true
			docx, err := Render(d)
			if err != nil {
				t.Fatal(err)
			}
			golden.CheckPackage(t, docx, filepath.Join(dir, "want"), *update)
		})
	}
	for _, l := range []Layout{LayoutDocument, LayoutLetter, LayoutPlain} {
		if !layouts[l] {
			t.Errorf("no golden case of layout %s", l)
		}
	}
}
