package docgen

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"
	"testing"

	"wenshu/internal/gbcheck"
)

// The XML tree is gbcheck's: docgen's tests read parts with the same
// parser the GB/T 9704 checker uses.

func parseXML(t testing.TB, data []byte) *gbcheck.Node {
	t.Helper()
	n, err := gbcheck.Parse(data)
	if err != nil {
		t.Fatalf("invalid XML: %v", err)
	}
	return n
}

// pkg is an unzipped .docx.
type pkg struct {
	names []string
	parts map[string][]byte
}

func unzip(t testing.TB, docx []byte) *pkg {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(docx), int64(len(docx)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	p := &pkg{parts: map[string][]byte{}}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		p.names = append(p.names, f.Name)
		p.parts[f.Name] = b
	}
	return p
}

func (p *pkg) xml(t testing.TB, name string) *gbcheck.Node {
	t.Helper()
	b, ok := p.parts[name]
	if !ok {
		t.Fatalf("part %s missing; have %v", name, p.names)
	}
	return parseXML(t, b)
}

// findP returns the first paragraph whose text contains s.
func findP(root *gbcheck.Node, s string) *gbcheck.Node {
	for _, p := range root.All("p") {
		if strings.Contains(p.Text(), s) {
			return p
		}
	}
	return nil
}

// findExact returns the first paragraph whose text is s.
func findExact(root *gbcheck.Node, s string) *gbcheck.Node {
	for _, p := range root.All("p") {
		if p.Text() == s {
			return p
		}
	}
	return nil
}
