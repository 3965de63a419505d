package server

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"wenshu/internal/testenv"
)

// The memory tests of issue 9: each measures the resident set size of a
// server process (startChildServer) around one hostile input.

const mb = 1 << 20

// rssGrowth runs fn and returns how far the child's RSS rose above what
// it was before, at the highest point seen during fn.
func rssGrowth(t *testing.T, srv *childServer, fn func()) (before, growth int64) {
	t.Helper()
	before, err := testenv.RSS(srv.PID)
	if err != nil {
		t.Fatal(err)
	}
	peak, err := testenv.PeakRSSDuring(srv.PID, fn)
	if err != nil {
		t.Fatal(err)
	}
	return before, peak - before
}

// Eight unauthenticated 50 MiB POSTs: each is refused (401) from its
// headers, and the server does not hold their bodies.
func TestUnauthenticatedBodiesBoundedMemory(t *testing.T) {
	srv := startChildServer(t, childConfig{})
	const n, size = 8, 50 << 20
	results := make([]rawResult, n)
	errs := make([]error, n)
	before, growth := rssGrowth(t, srv, func() {
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h := http.Header{"Content-Type": {"application/json"}}
				results[i], errs[i] = rawPost(srv.Addr, "/api/v1/drafts", h, size, false)
			}()
		}
		wg.Wait()
	})
	var slowest time.Duration
	var sent int64
	for i, r := range results {
		if errs[i] != nil {
			t.Fatalf("POST %d: %v", i, errs[i])
		}
		if r.Status != 401 || r.Code != "unauthenticated" {
			t.Errorf("POST %d: %d %s, want 401 unauthenticated", i, r.Status, r.Code)
		}
		slowest, sent = max(slowest, r.Took), max(sent, r.Sent)
	}
	t.Logf("8 × 50 MiB unauthenticated POSTs: RSS %d MB before, +%d MB at peak; slowest answer %s; at most %d MB of a body written",
		before/mb, growth/mb, slowest.Round(time.Millisecond), sent/mb)
	if growth >= 50*mb {
		t.Errorf("RSS grew by %d MB, want < 50 MB", growth/mb)
	}
}

// Eight 50 MiB JSON bodies with a valid token: each is refused (413)
// from its Content-Length, unread.
func TestOversizedAuthenticatedBodiesBoundedMemory(t *testing.T) {
	srv := startChildServer(t, childConfig{})
	const n, size = 8, 50 << 20
	results := make([]rawResult, n)
	errs := make([]error, n)
	h := http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + srv.Tokens["clerk"]}}
	before, growth := rssGrowth(t, srv, func() {
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], errs[i] = rawPost(srv.Addr, "/api/v1/drafts", h, size, i%2 == 1)
			}()
		}
		wg.Wait()
	})
	var slowest time.Duration
	for i, r := range results {
		if errs[i] != nil {
			t.Fatalf("POST %d: %v", i, errs[i])
		}
		if r.Status != 413 || r.Code != "body_too_large" || !r.Close {
			t.Errorf("POST %d: %d %s close=%v, want 413 body_too_large and the connection closed", i, r.Status, r.Code, r.Close)
		}
		slowest = max(slowest, r.Took)
	}
	t.Logf("8 × 50 MiB POSTs with a token (half chunked): RSS %d MB before, +%d MB at peak; slowest answer %s",
		before/mb, growth/mb, slowest.Round(time.Millisecond))
	if growth >= 50*mb {
		t.Errorf("RSS grew by %d MB, want < 50 MB", growth/mb)
	}
}

// zipBomb is a .docx whose word/document.xml inflates to xmlSize bytes of
// repeated paragraphs.
func zipBomb(t *testing.T, xmlSize int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name, body string) io.Writer {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, body)
		return w
	}
	add("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">`+
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>`+
		`<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`)
	add("_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`)
	head := `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>`
	tail := `</w:body></w:document>`
	w := add("word/document.xml", head)
	para := `<w:p><w:r><w:t>派驻纪检监察组开展谈话函询工作情况报告</w:t></w:r></w:p>`
	block := strings.Repeat(para, 64<<10/len(para))
	for n := len(head); n+len(block)+len(tail) <= xmlSize; n += len(block) {
		io.WriteString(w, block)
	}
	io.WriteString(w, tail)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// importForm is the multipart body of an import of file.
func importForm(t *testing.T, name string, file []byte) (body []byte, contentType string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(file)
	for k, v := range map[string]string{"title": "关于谈话函询工作情况的报告", "kind": "报告", "year": "2024", "retention": "D30"} {
		mw.WriteField(k, v)
	}
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

// importResult is the answer to one import.
type importResult struct {
	Status int
	Code   string // error.code, or the first field error's code
	Took   time.Duration
}

func postImport(t *testing.T, url, token, name string, file []byte) importResult {
	t.Helper()
	body, ct := importForm(t, name, file)
	req, err := http.NewRequest("POST", url+"/api/v1/records/import", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Authorization", "Bearer "+token)
	start := time.Now()
	res, err := (&http.Client{Timeout: 2 * time.Minute}).Do(req)
	if err != nil {
		t.Fatalf("import %s: %v", name, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	out := importResult{Status: res.StatusCode, Took: time.Since(start)}
	var e struct {
		Error  struct{ Code string }   `json:"error"`
		Errors []struct{ Code string } `json:"errors"`
	}
	_ = json.Unmarshal(b, &e)
	out.Code = e.Error.Code
	if len(e.Errors) > 0 {
		out.Code = e.Errors[0].Code
	}
	return out
}

// The 24 MiB document.xml bomb (about 65 KB on the wire) is refused from
// its declared size, without inflating it.
func TestZipBombRefusedBoundedMemory(t *testing.T) {
	srv := startChildServer(t, childConfig{})
	bomb := zipBomb(t, 24<<20)
	var r importResult
	before, growth := rssGrowth(t, srv, func() {
		r = postImport(t, srv.URL, srv.Tokens["archivist"], "bomb.docx", bomb)
	})
	t.Logf("24 MiB document.xml bomb (%d KB): %d %s in %s; RSS %d MB before, +%d MB at peak",
		len(bomb)>>10, r.Status, r.Code, r.Took.Round(time.Millisecond), before/mb, growth/mb)
	if r.Status != 413 || r.Code != "zip_too_large" {
		t.Errorf("bomb: %d %s, want 413 zip_too_large", r.Status, r.Code)
	}
	if growth >= 100*mb {
		t.Errorf("RSS grew by %d MB, want < 100 MB", growth/mb)
	}
}

// largeText is about n bytes (whole lines) of varied Chinese report text.
func largeText(n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "第%d条：派驻纪检监察组对某某同志开展谈话函询，了解其在项目审批、资金拨付中的有关情况，并要求其于%d日内作出书面说明。\n", i, i%30+1)
	}
	out := b.Bytes()[:n]
	return out[:bytes.LastIndexByte(out, '\n')+1]
}

// largeDocx is a .docx whose word/document.xml is about xmlSize bytes of
// varied paragraphs (it compresses like a real document, not a bomb).
func largeDocx(t *testing.T, xmlSize int) []byte {
	t.Helper()
	var xml bytes.Buffer
	xml.WriteString(`<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>`)
	for _, line := range bytes.Split(largeText(xmlSize/2), []byte("\n")) {
		fmt.Fprintf(&xml, `<w:p><w:pPr><w:jc w:val="both"/></w:pPr><w:r><w:t>%s</w:t></w:r></w:p>`, line)
		if xml.Len() > xmlSize-64 {
			break
		}
	}
	xml.WriteString(`</w:body></w:document>`)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("word/document.xml")
	if err != nil {
		t.Fatal(err)
	}
	w.Write(xml.Bytes())
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Large records are filed whole and indexed in bounded memory: a 12 MiB
// .txt, and a .docx whose document.xml is just under the 20 MiB cap, each
// on a fresh server process.
func TestLargeRecordImportBoundedMemory(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"large.txt", largeText(12 << 20)},
		{"large.docx", largeDocx(t, 19<<20)},
	} {
		srv := startChildServer(t, childConfig{})
		var r importResult
		before, growth := rssGrowth(t, srv, func() {
			r = postImport(t, srv.URL, srv.Tokens["archivist"], tc.name, tc.data)
		})
		t.Logf("%s (%d KB): %d %s in %s; RSS %d MB before, +%d MB at peak",
			tc.name, len(tc.data)>>10, r.Status, r.Code, r.Took.Round(time.Millisecond), before/mb, growth/mb)
		if r.Status != 201 {
			t.Errorf("%s: %d %s, want 201", tc.name, r.Status, r.Code)
		}
		if growth >= largeRecordRSSBound {
			t.Errorf("%s: RSS grew by %d MB, want < %d MB", tc.name, growth/mb, largeRecordRSSBound/mb)
		}
	}
}

// largeRecordRSSBound is the stated bound of
// TestLargeRecordImportBoundedMemory (MaxIndexedText at its default).
const largeRecordRSSBound = 200 * mb
