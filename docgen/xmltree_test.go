package docgen

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"io"
	"strconv"
	"strings"
	"testing"
)

// node is a minimal XML tree for assertions on OOXML parts: element local
// names and attributes by local name (w:val → val).
type node struct {
	name     string
	attr     map[string]string
	children []*node
	text     string
}

func parseXML(t testing.TB, data []byte) *node {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	root := &node{name: "#root"}
	stack := []*node{root}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("invalid XML: %v", err)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			n := &node{name: x.Name.Local, attr: map[string]string{}}
			for _, a := range x.Attr {
				n.attr[a.Name.Local] = a.Value
			}
			top := stack[len(stack)-1]
			top.children = append(top.children, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			stack[len(stack)-1].text += string(x)
		}
	}
	return root
}

// all returns every descendant named name, in document order.
func (n *node) all(name string) []*node {
	var out []*node
	var walk func(*node)
	walk = func(x *node) {
		for _, c := range x.children {
			if c.name == name {
				out = append(out, c)
			}
			walk(c)
		}
	}
	walk(n)
	return out
}

// first returns the first descendant named name, or nil.
func (n *node) first(name string) *node {
	if n == nil {
		return nil
	}
	if all := n.all(name); len(all) > 0 {
		return all[0]
	}
	return nil
}

// child returns the direct child named name, or nil.
func (n *node) child(name string) *node {
	if n == nil {
		return nil
	}
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

// path follows direct children: n.path("pPr", "ind").
func (n *node) path(names ...string) *node {
	cur := n
	for _, nm := range names {
		cur = cur.child(nm)
		if cur == nil {
			return nil
		}
	}
	return cur
}

func (n *node) get(a string) string {
	if n == nil {
		return ""
	}
	return n.attr[a]
}

func (n *node) num(a string) int {
	v, err := strconv.Atoi(n.get(a))
	if err != nil {
		return -1 << 31
	}
	return v
}

// ptext is the text of a paragraph: its w:t runs, tabs as \t, breaks as \n.
func (n *node) ptext() string {
	var b strings.Builder
	var walk func(*node)
	walk = func(x *node) {
		for _, c := range x.children {
			switch c.name {
			case "t":
				b.WriteString(c.text)
			case "tab":
				if x.name == "r" {
					b.WriteByte('\t')
				}
			case "br":
				b.WriteByte('\n')
			default:
				walk(c)
			}
		}
	}
	walk(n)
	return b.String()
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

func (p *pkg) xml(t testing.TB, name string) *node {
	t.Helper()
	b, ok := p.parts[name]
	if !ok {
		t.Fatalf("part %s missing; have %v", name, p.names)
	}
	return parseXML(t, b)
}

// findP returns the first paragraph whose text contains s.
func findP(root *node, s string) *node {
	for _, p := range root.all("p") {
		if strings.Contains(p.ptext(), s) {
			return p
		}
	}
	return nil
}

// findExact returns the first paragraph whose text is s.
func findExact(root *node, s string) *node {
	for _, p := range root.all("p") {
		if p.ptext() == s {
			return p
		}
	}
	return nil
}
