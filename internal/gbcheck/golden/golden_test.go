package golden

import (
	"strings"
	"testing"
)

func TestCanonicalSortsAttributesAndIsStable(t *testing.T) {
	a := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<w:document xmlns:w="urn:w"><w:body><w:p><w:pPr><w:ind w:left="0" w:firstLine="640"/></w:pPr>` +
		`<w:r><w:t xml:space="preserve"> a&lt;b &amp; "c	</w:t></w:r><w:r><w:t></w:t></w:r></w:p></w:body></w:document>`
	b := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="urn:w">
  <w:body>  <w:p><w:pPr><w:ind w:firstLine="640" w:left="0"></w:ind></w:pPr>
  <w:r><w:t xml:space="preserve"> a&lt;b &amp; &#34;c&#x9;</w:t></w:r><w:r><w:t/></w:r></w:p></w:body></w:document>`
	ca, err := Canonical([]byte(a))
	if err != nil {
		t.Fatal(err)
	}
	cb, err := Canonical([]byte(b))
	if err != nil {
		t.Fatal(err)
	}
	if ca != cb {
		t.Fatalf("same XML, different canonical forms:\n%s", Diff(ca, cb))
	}
	want := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="urn:w">
  <w:body>
    <w:p>
      <w:pPr>
        <w:ind w:firstLine="640" w:left="0"/>
      </w:pPr>
      <w:r>
        <w:t xml:space="preserve"> a&lt;b &amp; &#34;c&#x9;</w:t>
      </w:r>
      <w:r>
        <w:t/>
      </w:r>
    </w:p>
  </w:body>
</w:document>
`
	if ca != want {
		t.Errorf("canonical form:\n%s", Diff(want, ca))
	}
	again, err := Canonical([]byte(ca))
	if err != nil || again != ca {
		t.Errorf("canonical form not stable (%v):\n%s", err, Diff(ca, again))
	}
}

func TestCanonicalKeepsTextAndPrefixes(t *testing.T) {
	base, _ := Canonical([]byte(`<a:x xmlns:a="u"><a:t>一 二</a:t></a:x>`))
	for _, other := range []string{
		`<a:x xmlns:a="u"><a:t>一  二</a:t></a:x>`, // text changed
		`<b:x xmlns:b="u"><b:t>一 二</b:t></b:x>`,  // prefix changed
		`<a:x xmlns:a="u" v="1"><a:t>一 二</a:t></a:x>`,
	} {
		c, err := Canonical([]byte(other))
		if err != nil {
			t.Fatal(err)
		}
		if c == base {
			t.Errorf("%s canonicalises like %s", other, base)
		}
	}
	for _, bad := range []string{`<a><b></a>`, `<a>`, `<a/><b/>`, ``} {
		if _, err := Canonical([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestDiffShowsOnlyTheChangeWithContext(t *testing.T) {
	var want, got []string
	for i := range 40 {
		want = append(want, "line "+string(rune('A'+i)))
	}
	got = append(got, want...)
	got[5] = `<w:pgMar w:top="2100"/>`
	got = append(got[:30], got[31:]...)
	d := Diff(strings.Join(want, "\n")+"\n", strings.Join(got, "\n")+"\n")
	wantDiff := "@@ -3,7 +3,7 @@\n line C\n line D\n line E\n-line F\n+<w:pgMar w:top=\"2100\"/>\n line G\n line H\n line I\n" +
		"@@ -28,7 +28,6 @@\n line \\\n line ]\n line ^\n-line _\n line `\n line a\n line b\n"
	if d != wantDiff {
		t.Errorf("diff:\n%s\nwant:\n%s", d, wantDiff)
	}
	if Diff("a\n", "a\n") != "" {
		t.Error("equal texts gave a diff")
	}
}
