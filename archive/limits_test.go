package archive

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"wenshu/internal/testenv"
)

// bombDocx is a .docx whose word/document.xml inflates to about xmlSize
// bytes of one repeated paragraph (deflated to a few hundredth of that),
// plus extra empty parts.
func bombDocx(t *testing.T, xmlSize, extraParts int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("word/document.xml")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, `<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>`)
	para := strings.Repeat(`<w:p><w:r><w:t>谈话函询情况报告</w:t></w:r></w:p>`, 1000)
	for n := 0; n < xmlSize; n += len(para) {
		io.WriteString(w, para)
	}
	io.WriteString(w, `</w:body></w:document>`)
	for i := range extraParts {
		if _, err := zw.Create(fmt.Sprintf("word/media/p%d.xml", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// lyingDocx is a .docx whose word/document.xml declares 1 KiB but
// inflates to inflated bytes.
func lyingDocx(t *testing.T, inflated int) []byte {
	t.Helper()
	var raw bytes.Buffer
	fw, err := flate.NewWriter(&raw, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	xml := `<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` +
		strings.Repeat(`<w:p><w:r><w:t>谈话函询</w:t></w:r></w:p>`, inflated/40) + `</w:body></w:document>`
	io.WriteString(fw, xml)
	fw.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "word/document.xml", Method: zip.Deflate,
		CRC32: crc32.ChecksumIEEE([]byte(xml)), CompressedSize64: uint64(raw.Len()), UncompressedSize64: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(raw.Bytes())
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// variedDocx is a .docx of n distinct paragraphs: it compresses like a
// real document, not like a bomb.
func variedDocx(n int) []byte {
	lines := make([]string, n)
	for i := range lines {
		lines[i] = fmt.Sprintf("第%d项：经查，某某同志于%d月%d日收受礼金%d元，已责令退还并作出书面检查。", i, i%12+1, i%28+1, i*37%9000+100)
	}
	return makeDocx(lines)
}

// A zip bomb is refused from its directory, before it is inflated: by
// document.xml's declared size, by its compression ratio, and by the
// number of parts.
func TestImportRefusesZipBombs(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.MaxDocumentXML = 4 << 20 })
	req := func(name string, data []byte) ImportRequest {
		return ImportRequest{FileName: name, Data: data, Title: "旧档案", Kind: "报告", Year: 2020, Retention: Retention30}
	}
	for _, tc := range []struct {
		name string
		data []byte
		kind error
		code string
	}{
		{"document.xml over the cap", bombDocx(t, 5<<20, 0), ErrTooLarge, "zip_too_large"},
		{"ratio over 100", bombDocx(t, 3<<20, 0), ErrInvalid, "zip_ratio"},
		{"too many parts", bombDocx(t, 1<<10, maxDocxParts), ErrTooLarge, "zip_too_large"},
		// Go's zip reader stops at the declared size: the actual inflated
		// size is bounded by the declared one.
		{"declared size lies", lyingDocx(t, 30<<20), ErrInvalid, "invalid_docx"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := e.s.Import(e.ctx, e.archiv, req("bomb.docx", tc.data))
			wantErr(t, err, tc.kind, tc.code)
			t.Logf("%d KB refused in %s", len(tc.data)>>10, time.Since(start).Round(time.Microsecond))
		})
	}
	// A large document that compresses like one passes; its indexed text
	// is cut to DefaultMaxIndexedText.
	docx := variedDocx(20000)
	rec, err := e.s.Import(e.ctx, e.archiv, req("large.docx", docx))
	if err != nil {
		t.Fatalf("a %d KB real-looking .docx: %v", len(docx)>>10, err)
	}
	text, err := e.s.RecordText(e.ctx, rec.ID)
	if err != nil || !strings.Contains(text, "第3000项") || len(text) > DefaultMaxIndexedText || len(text) < DefaultMaxIndexedText-200 {
		t.Errorf("text of the large .docx: %d bytes, %v", len(text), err)
	}
}

// The index gets at most MaxIndexedText bytes of a record's text, cut at a
// character boundary; the stored content stays whole.
func TestImportCutsIndexedText(t *testing.T) {
	var indexed []string
	const limit = 1000
	e := newEnv(t, func(o *Options) {
		o.MaxIndexedText = limit
		o.OnFiled = func(_ context.Context, _ *Record, text string) error { indexed = append(indexed, text); return nil }
	})
	text := "\uFEFF" + strings.Repeat("纪检监察谈话函询a", 500) // 3-byte characters and one ASCII byte
	rec, err := e.s.Import(e.ctx, e.archiv, ImportRequest{FileName: "long.txt", Data: []byte(text), Title: "长文本", Kind: "记录",
		Year: 2020, Retention: Retention30})
	if err != nil {
		t.Fatal(err)
	}
	if len(indexed) != 1 {
		t.Fatalf("OnFiled called %d times", len(indexed))
	}
	body := strings.TrimPrefix(text, "\uFEFF")
	if got := indexed[0]; len(got) > limit || len(got) < limit-utf8.UTFMax || !utf8.ValidString(got) || !strings.HasPrefix(body, got) {
		t.Errorf("indexed %d bytes (valid %v), want a prefix of the text of at most %d", len(got), utf8.ValidString(got), limit)
	}
	got, err := e.s.RecordText(e.ctx, rec.ID)
	if err != nil || got != indexed[0] {
		t.Errorf("RecordText: %d bytes, %v; want what OnFiled got", len(got), err)
	}
	content, err := e.s.RecordContent(e.ctx, e.archiv, rec.ID)
	if err != nil || string(content.Data) != text {
		t.Errorf("stored content: %d bytes, %v; want all %d", len(content.Data), err, len(text))
	}
}

func TestCutText(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"abc", 5, "abc"},
		{"纪检", 6, "纪检"},
		{"纪检", 5, "纪"},
		{"纪检", 3, "纪"},
		{"纪检", 2, ""},
		{"a纪", 2, "a"},
	} {
		if got := cutText(tc.in, tc.max); got != tc.want {
			t.Errorf("cutText(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
		if got := plainText([]byte("\uFEFF"+tc.in), tc.max); got != tc.want {
			t.Errorf("plainText(BOM+%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

func readyStates(cs []ComponentState) map[string]ComponentState {
	m := map[string]ComponentState{}
	for _, c := range cs {
		m[c.Name] = c
	}
	return m
}

// Ready reports catalog and storage, each within ReadyCheckTimeout: a
// paused or killed MinIO makes storage not ready, the catalog stays ready.
func TestReady(t *testing.T) {
	mio := testenv.StartMinIO(t)
	e := newEnv(t, func(o *Options) {
		o.S3Endpoint, o.S3AccessKey, o.S3SecretKey, o.Bucket = mio.Endpoint, mio.AccessKey, mio.SecretKey, mio.Bucket(t)
	})
	check := func(what string, wantStorage string) {
		t.Helper()
		start := time.Now()
		got := readyStates(e.s.Ready(e.ctx))
		took := time.Since(start)
		t.Logf("%s: Ready in %s: %+v", what, took.Round(time.Millisecond), got)
		if c := got["catalog"]; !c.Ready || c.State != StateOK {
			t.Errorf("%s: catalog %+v", what, c)
		}
		if s := got["storage"]; s.State != wantStorage || s.Ready != (wantStorage == StateOK) {
			t.Errorf("%s: storage %+v, want %s", what, s, wantStorage)
		}
		if s := got["storage"]; strings.Contains(s.Message, mio.Endpoint) || strings.Contains(s.Message, e.opts.Bucket) {
			t.Errorf("%s: message names the endpoint or bucket: %q", what, s.Message)
		}
		if took > ReadyCheckTimeout+time.Second {
			t.Errorf("%s: Ready took %s, more than its %s deadline", what, took, ReadyCheckTimeout)
		}
	}
	check("running", StateOK)
	if err := mio.Pause(); err != nil {
		t.Fatal(err)
	}
	check("paused", StateTimeout)
	if err := mio.Resume(); err != nil {
		t.Fatal(err)
	}
	check("resumed", StateOK)
}
