package gbcheck

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"
	"testing"

	"wenshu/docgen"
)

func sample(layout docgen.Layout) *docgen.Document {
	d := &docgen.Document{Layout: layout, CopyNumber: "000001", Classification: "秘密★1年",
		IssuerMark: "某某纪检监察组", DocNumber: "某纪〔2026〕6号", Title: "关于某事的通知",
		Recipients: "某某单位", Body: []docgen.Block{docgen.Heading{Level: 1, Text: "一、总体要求"}, docgen.Paragraph{Text: "正文。"}},
		Signature: "某某纪检监察组", Date: "2026年3月5日", CC: []string{"某某同志"}, PrintedBy: "某某综合室", PrintedDate: "2026年3月5日"}
	if layout == docgen.LayoutDocument {
		d.MarkSuffix = "文件"
	}
	return d
}

func TestCheckPassesGoodDocuments(t *testing.T) {
	for _, layout := range []docgen.Layout{docgen.LayoutDocument, docgen.LayoutLetter, docgen.LayoutPlain} {
		b, err := docgen.Render(sample(layout))
		if err != nil {
			t.Fatal(err)
		}
		r, err := Check(b)
		if err != nil {
			t.Fatal(err)
		}
		if !r.OK() {
			t.Errorf("%s: %v", layout, r.Problems)
		}
		if string(r.Layout) != string(layout) {
			t.Errorf("detected %s, want %s", r.Layout, layout)
		}
		if r.Title != "关于某事的通知" {
			t.Errorf("title %q", r.Title)
		}
	}
}

// TestCheckCatchesFaults breaks one item at a time in document.xml and
// expects the checker to name it.
func TestCheckCatchesFaults(t *testing.T) {
	good, err := docgen.Render(sample(docgen.LayoutDocument))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, part, old, new, want string
	}{
		{"grid", "word/document.xml", `w:linePitch="579"`, `w:linePitch="560"`, "docGrid"},
		{"charSpace recipe", "word/document.xml", `<w:docGrid w:type="lines"`, `<w:docGrid w:type="linesAndChars" w:charSpace="-848"`, "docGrid"},
		{"margin", "word/document.xml", `w:bottom="1984"`, `w:bottom="1531"`, "margin bottom"},
		{"zero-padded date", "word/document.xml", `>2026年3月5日<`, `>2026年03月05日<`, "pads"},
		{"bracket", "word/document.xml", `某纪〔2026〕6号`, `某纪[2026]6号`, "发文字号"},
		{"red 版记", "word/document.xml", `w:sz="6" w:space="0" w:color="000000"`, `w:sz="6" w:space="0" w:color="FF0000"`, "版记 rule colour"},
		{"even page right", "word/footer2.xml", `<w:jc w:val="left"/>`, `<w:jc w:val="right"/>`, "footerReference:even"},
		{"title punctuation", "word/document.xml", `关于某事的通知<`, `关于某事的通知。<`, "title"},
		{"mark position", "word/document.xml", `w:before="826"`, `w:before="700"`, "标志"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bad := replacePart(t, good, c.part, c.old, c.new)
			r, err := Check(bad)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range r.Problems {
				if strings.Contains(p, c.want) {
					return
				}
			}
			t.Errorf("fault not caught; problems: %v", r.Problems)
		})
	}
}

func replacePart(t *testing.T, docx []byte, part, old, new string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(docx), int64(len(docx)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		if f.Name == part {
			if !bytes.Contains(b, []byte(old)) {
				t.Fatalf("%s lacks %q", part, old)
			}
			b = bytes.Replace(b, []byte(old), []byte(new), 1)
		}
		w, _ := zw.Create(f.Name)
		w.Write(b)
	}
	zw.Close()
	return out.Bytes()
}
