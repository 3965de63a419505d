// Package golden compares the parts of a .docx with golden files kept
// under a test's testdata/ directory. XML parts are compared as XML: both
// sides are parsed and printed in one canonical form (one element a line,
// attributes sorted, text escaped on the element's line), so a difference
// shows as a readable unified diff of the part, never as zip bytes.
//
// It is a test helper of docgen and templates; it knows nothing of GB/T
// 9704 (that is gbcheck's job) and nothing of how a package was rendered.
package golden

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// CheckPackage compares every part of docx with the file of the same name
// under wantDir. With update it rewrites wantDir from docx instead (the
// files are written in canonical form). Every differing part, and every
// part missing on either side, is reported with t.Errorf.
func CheckPackage(t testing.TB, docx []byte, wantDir string, update bool) {
	t.Helper()
	got, err := unzip(docx)
	if err != nil {
		t.Fatalf("golden: %v", err)
	}
	if update {
		if err := write(wantDir, got); err != nil {
			t.Fatalf("golden: update %s: %v", wantDir, err)
		}
		return
	}
	want, err := read(wantDir)
	if err != nil {
		t.Fatalf("golden: %v (run the test with -update to write the golden files)", err)
	}
	for _, name := range sortedNames(want, got) {
		w, inWant := want[name]
		g, inGot := got[name]
		switch {
		case !inGot:
			t.Errorf("part %s is in %s but was not rendered", name, wantDir)
		case !inWant:
			t.Errorf("part %s was rendered but is not in %s (run with -update if it is new)", name, wantDir)
		default:
			if d := comparePart(name, w, g); d != "" {
				t.Errorf("part %s differs from %s (-want +got; run with -update to accept):\n%s",
					name, filepath.Join(wantDir, filepath.FromSlash(name)), d)
			}
		}
	}
}

// comparePart returns a diff of a part's two versions, "" when they are
// equal (as XML for .xml and .rels parts, as text otherwise).
func comparePart(name string, want, got []byte) string {
	w, g := string(want), string(got)
	if isXML(name) {
		var err error
		if w, err = Canonical(want); err != nil {
			return fmt.Sprintf("golden file is not XML: %v", err)
		}
		if g, err = Canonical(got); err != nil {
			return fmt.Sprintf("rendered part is not XML: %v", err)
		}
	}
	return Diff(w, g)
}

func isXML(name string) bool {
	return strings.HasSuffix(name, ".xml") || strings.HasSuffix(name, ".rels")
}

func unzip(docx []byte) (map[string][]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(docx), int64(len(docx)))
	if err != nil {
		return nil, fmt.Errorf("not a zip package: %w", err)
	}
	parts := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", f.Name, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f.Name, err)
		}
		parts[f.Name] = b
	}
	return parts, nil
}

// read loads every file under dir, keyed by its slash-separated path.
func read(dir string) (map[string][]byte, error) {
	parts := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		parts[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read golden files: %w", err)
	}
	return parts, nil
}

// write replaces dir with the parts, XML in canonical form.
func write(dir string, parts map[string][]byte) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	for name, b := range parts {
		if isXML(name) {
			c, err := Canonical(b)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			b = []byte(c)
		}
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func sortedNames(a, b map[string][]byte) []string {
	var names []string
	for n := range a {
		names = append(names, n)
	}
	for n := range b {
		if _, ok := a[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// element is a parsed XML element with its prefixed name as written.
type element struct {
	name     string
	attrs    []string // name="value", sorted
	children []*element
	text     string // the element's text, kept exactly
}

// Canonical parses an XML part and prints it in one deterministic form:
// the declaration, then one element a line indented by depth, attributes
// sorted by name, namespace prefixes as written. An element without child
// elements keeps its text exactly, escaped on its own line; whitespace
// between elements is dropped (other text inside mixed content gets a
// line of its own). Parsing the output again gives the same output.
func Canonical(data []byte) (string, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	root := &element{}
	stack := []*element{root}
	var b strings.Builder
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
		top := stack[len(stack)-1]
		switch x := tok.(type) {
		case xml.ProcInst:
			if len(stack) == 1 {
				fmt.Fprintf(&b, "<?%s %s?>\n", x.Target, bytes.TrimSpace(x.Inst))
			}
		case xml.StartElement:
			e := &element{name: qname(x.Name)}
			for _, a := range x.Attr {
				e.attrs = append(e.attrs, qname(a.Name)+`="`+escape(a.Value)+`"`)
			}
			slices.Sort(e.attrs)
			top.children = append(top.children, e)
			stack = append(stack, e)
		case xml.EndElement:
			if len(stack) == 1 || qname(x.Name) != top.name {
				return "", fmt.Errorf("unexpected end element </%s>", qname(x.Name))
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			top.text += string(x)
		}
	}
	if len(stack) != 1 || len(root.children) != 1 {
		return "", fmt.Errorf("want one root element, closed")
	}
	printElement(&b, root.children[0], 0)
	return b.String(), nil
}

func qname(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func printElement(b *strings.Builder, e *element, depth int) {
	indent := strings.Repeat("  ", depth)
	open := e.name
	if len(e.attrs) > 0 {
		open += " " + strings.Join(e.attrs, " ")
	}
	switch {
	case len(e.children) == 0 && e.text == "":
		fmt.Fprintf(b, "%s<%s/>\n", indent, open)
	case len(e.children) == 0:
		fmt.Fprintf(b, "%s<%s>%s</%s>\n", indent, open, escape(e.text), e.name)
	default:
		fmt.Fprintf(b, "%s<%s>\n", indent, open)
		if t := strings.TrimSpace(e.text); t != "" {
			// Mixed content does not occur in OOXML; keep it visible.
			fmt.Fprintf(b, "%s  %s\n", indent, escape(t))
		}
		for _, c := range e.children {
			printElement(b, c, depth+1)
		}
		fmt.Fprintf(b, "%s</%s>\n", indent, e.name)
	}
}
