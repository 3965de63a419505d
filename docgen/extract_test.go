package docgen

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// fiftyPages is a normal long document: 24 headings and 360 paragraphs of
// about three lines each, about 50 pages of 22 lines.
func fiftyPages() *Document {
	d := sampleDoc(LayoutDocument)
	d.Body = nil
	sentence := "根据举报线索，我组对有关问题进行了核实，现将有关情况报告如下，请审阅。"
	for h := 1; h <= 24; h++ {
		d.Body = append(d.Body, Heading{Level: 1, Text: HeadingNumber(1, h) + "核查情况"})
		for p := 0; p < 15; p++ {
			d.Body = append(d.Body, Paragraph{Text: fmt.Sprintf("%d.%d %s", h, p, strings.Repeat(sentence, 2))})
		}
	}
	return d
}

// zipEntry is one entry of a test package, deflated unless stored. With
// declared set, it is deflated and written raw under a header that
// declares that uncompressed size (a header that lies).
type zipEntry struct {
	name     string
	write    func(w io.Writer)
	declared uint64
	stored   bool
}

func buildZip(t testing.TB, entries ...zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestCompression)
	})
	for _, e := range entries {
		if e.declared == 0 {
			method := zip.Deflate
			if e.stored {
				method = zip.Store
			}
			w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: method})
			if err != nil {
				t.Fatal(err)
			}
			e.write(w)
			continue
		}
		var raw bytes.Buffer
		fw, _ := flate.NewWriter(&raw, flate.BestCompression)
		crc := crc32.NewIEEE()
		e.write(io.MultiWriter(fw, crc))
		fw.Close()
		w, err := zw.CreateRaw(&zip.FileHeader{Name: e.name, Method: zip.Deflate, CRC32: crc.Sum32(),
			CompressedSize64: uint64(raw.Len()), UncompressedSize64: e.declared})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(raw.Bytes())
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const wordNS = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"`

// repeatedParagraphs writes a document.xml of about size bytes of
// paragraphs of 函询 text: the shape of the 24 MiB import bomb.
func repeatedParagraphs(size int) func(io.Writer) {
	return func(w io.Writer) {
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><w:document `+wordNS+`><w:body>`)
		chunk := strings.Repeat("<w:p><w:r><w:t>关于某某同志有关问题的函询。</w:t></w:r></w:p>", 1000)
		for n := 0; n < size; n += len(chunk) {
			io.WriteString(w, chunk)
		}
		io.WriteString(w, `</w:body></w:document>`)
	}
}

func text(s string) func(io.Writer) { return func(w io.Writer) { io.WriteString(w, s) } }

func smallDocumentXML(body string) func(io.Writer) {
	return text(`<w:document ` + wordNS + `><w:body><w:p><w:r><w:t>` + body + `</w:t></w:r></w:p></w:body></w:document>`)
}

var (
	bombOnce sync.Once
	bomb24   []byte
)

// bomb24MiB is a .docx whose word/document.xml inflates to 24 MiB.
func bomb24MiB(t testing.TB) []byte {
	bombOnce.Do(func() {
		bomb24 = buildZip(t, zipEntry{name: "[Content_Types].xml", write: text("<Types/>")},
			zipEntry{name: "word/document.xml", write: repeatedParagraphs(24 << 20)})
	})
	return bomb24
}

// allocated returns the bytes f allocates on the heap (all of them,
// garbage included) and the highest rise of the live heap seen while it
// ran, sampled every millisecond.
func allocated(f func()) (total, peak uint64) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse-min(m.HeapInuse, before.HeapInuse))
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
		}
	})
	f()
	close(done)
	wg.Wait()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc, peak
}

// TestExtractRefusesBombs builds real zip bombs and checks that each is
// refused with the limit it breaks, before it is inflated: the heap
// allocated by the refusal stays under 30 MB (the first bomb, as an
// import, once grew the server by 3 GB).
func TestExtractRefusesBombs(t *testing.T) {
	var tinyEntries []zipEntry
	for i := range 100_000 {
		tinyEntries = append(tinyEntries, zipEntry{name: fmt.Sprintf("word/media/%d", i), write: text(""), stored: true})
	}
	var bigDeclared []zipEntry
	noise := make([]byte, 200<<10)
	rand.New(rand.NewSource(1)).Read(noise)
	for i := range 9 {
		bigDeclared = append(bigDeclared, zipEntry{name: fmt.Sprintf("word/media/image%d.png", i), declared: 16 << 20,
			write: func(w io.Writer) { w.Write(noise) }})
	}
	deep := strings.Repeat("<w:p>", 10_000) + strings.Repeat("</w:p>", 10_000)
	cases := []struct {
		name   string
		docx   []byte
		lim    Limits
		limit  Limit
		part   string
		notZip bool
	}{
		{name: "24 MiB document.xml, declared", docx: bomb24MiB(t), limit: LimitPartSize, part: "word/document.xml"},
		{name: "24 MiB document.xml, ratio", docx: bomb24MiB(t), lim: Limits{MaxDocumentXML: 64 << 20}, limit: LimitRatio, part: "word/document.xml"},
		{name: "24 MiB document.xml, streamed to the text limit", docx: bomb24MiB(t),
			lim: Limits{MaxDocumentXML: 64 << 20, MaxRatio: 1 << 40, MaxTextChars: 200_000}, limit: LimitTextChars, part: "word/document.xml"},
		{name: "header lies about the size", docx: buildZip(t, zipEntry{name: "word/document.xml", declared: 1000, write: repeatedParagraphs(24 << 20)}),
			notZip: true},
		{name: "100k tiny entries", docx: buildZip(t, tinyEntries...), limit: LimitEntries},
		{name: "ratio bomb in a part never read", docx: buildZip(t, zipEntry{name: "word/document.xml", write: smallDocumentXML("正文")},
			zipEntry{name: "word/media/image1.png", write: func(w io.Writer) { w.Write(make([]byte, 16<<20)) }}),
			limit: LimitRatio, part: "word/media/image1.png"},
		{name: "declared sizes add up past the total", docx: buildZip(t, append(bigDeclared, zipEntry{name: "word/document.xml", write: smallDocumentXML("正文")})...),
			limit: LimitTotalSize},
		{name: "10,000 nested elements", docx: buildZip(t, zipEntry{name: "word/document.xml", write: text(`<w:document ` + wordNS + `>` + deep + `</w:document>`)}),
			limit: LimitDepth, part: "word/document.xml"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			start := time.Now()
			total, peak := allocated(func() { _, err = ExtractTextLimits(c.docx, c.lim) })
			t.Logf("%d-byte package refused in %v, %.1f MB allocated, live heap rose by at most %.1f MB: %v",
				len(c.docx), time.Since(start).Round(time.Millisecond), float64(total)/1e6, float64(peak)/1e6, err)
			if c.notZip {
				if !errors.Is(err, ErrNotDocx) || errors.Is(err, ErrTooLarge) {
					t.Fatalf("err = %v, want ErrNotDocx", err)
				}
			} else {
				var le *LimitError
				if !errors.As(err, &le) || !errors.Is(err, ErrTooLarge) || le.Limit != c.limit || le.Part != c.part {
					t.Fatalf("err = %#v, want a LimitError of %s in %q", err, c.limit, c.part)
				}
				if le.Value <= le.Max {
					t.Errorf("limit error reports %d, not over its limit %d", le.Value, le.Max)
				}
			}
			if peak > 30<<20 {
				t.Errorf("live heap rose by %d bytes, want under 30 MB", peak)
			}
			if c.lim == (Limits{}) && total > 30<<20 {
				t.Errorf("allocated %d bytes, want under 30 MB", total)
			}
		})
	}
}

// TestExtractSkipsNestedPackages: a bomb inside an embedded package
// (word/embeddings/…docx, the way a nested bomb is carried) is a small
// entry of the outer package and is never opened, so the outer text is
// extracted without inflating it.
func TestExtractSkipsNestedPackages(t *testing.T) {
	docx := buildZip(t, zipEntry{name: "word/document.xml", write: smallDocumentXML("外层正文")},
		zipEntry{name: "word/embeddings/Microsoft_Word_Document.docx", write: func(w io.Writer) { w.Write(bomb24MiB(t)) }})
	var got string
	var err error
	total, peak := allocated(func() { got, err = ExtractText(docx) })
	t.Logf("%.1f MB allocated, live heap rose by at most %.1f MB", float64(total)/1e6, float64(peak)/1e6)
	if err != nil || got != "外层正文\n" {
		t.Fatalf("got %q, %v", got, err)
	}
	if total > 30<<20 {
		t.Errorf("allocated %d bytes: the nested package was inflated", total)
	}
}

// TestInflateGuard: what a part actually inflates to is counted, so a
// reader that yields more than the header declared (which archive/zip
// also refuses) or more than the ratio allows stops at the limit.
func TestInflateGuard(t *testing.T) {
	cases := []struct {
		name       string
		lim        Limits
		compressed uint64
		limit      Limit
	}{
		{name: "past the size", lim: Limits{MaxDocumentXML: 1000}, compressed: 1000, limit: LimitPartSize},
		{name: "past the ratio", lim: Limits{RatioFloor: 100, MaxRatio: 10}, compressed: 10, limit: LimitRatio},
	}
	for _, c := range cases {
		lim := c.lim.withDefaults()
		g := &inflateGuard{r: strings.NewReader(strings.Repeat("x", 5000)), part: "word/document.xml", compressed: c.compressed, lim: lim}
		n, err := io.Copy(io.Discard, g)
		var le *LimitError
		if !errors.As(err, &le) || le.Limit != c.limit || le.Value <= le.Max {
			t.Errorf("%s: read %d, err %v; want %s", c.name, n, err, c.limit)
		}
		if n != 0 {
			t.Errorf("%s: %d bytes passed the guard", c.name, n)
		}
	}
	lim := Limits{MaxDocumentXML: 1000, RatioFloor: 100, MaxRatio: 10}.withDefaults()
	g := &inflateGuard{r: strings.NewReader(strings.Repeat("x", 1000)), compressed: 100, lim: lim}
	if n, err := io.Copy(io.Discard, g); n != 1000 || err != nil {
		t.Errorf("exactly at both limits: read %d, %v", n, err)
	}
}

// TestExtractTextLimits: the text limit refuses a document one character
// too long and accepts it at its length; every entry point gives the same
// text.
func TestExtractTextLimits(t *testing.T) {
	docx, err := Render(fiftyPages())
	if err != nil {
		t.Fatal(err)
	}
	want, err := ExtractText(docx)
	if err != nil {
		t.Fatal(err)
	}
	n := utf8.RuneCountInString(want)
	if got, err := ExtractTextLimits(docx, Limits{MaxTextChars: n}); got != want || err != nil {
		t.Errorf("at the limit: %d chars, %v", utf8.RuneCountInString(got), err)
	}
	_, err = ExtractTextLimits(docx, Limits{MaxTextChars: n - 1})
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != LimitTextChars || le.Max != int64(n-1) {
		t.Errorf("one character over: %v", err)
	}
	path := filepath.Join(t.TempDir(), "50.docx")
	if err := os.WriteFile(path, docx, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, err := ExtractTextFrom(f, int64(len(docx)), Limits{}); got != want || err != nil {
		t.Errorf("from a file: %d chars, %v", utf8.RuneCountInString(got), err)
	}
}

// TestExtractMalformed: what is not a Word package is ErrNotDocx, never
// ErrTooLarge and never a panic.
func TestExtractMalformed(t *testing.T) {
	good, _ := Render(sampleDoc(LayoutLetter))
	cases := map[string][]byte{
		"empty":                nil,
		"garbage":              []byte("PK\x03\x04 not a zip"),
		"truncated":            good[:len(good)/2],
		"no document.xml":      buildZip(t, zipEntry{name: "word/styles.xml", write: text("<w:styles/>")}),
		"document.xml not XML": buildZip(t, zipEntry{name: "word/document.xml", write: text("<w:document><w:body></w:document>")}),
		"corrupt deflate":      corruptEntry(t, buildZip(t, zipEntry{name: "word/document.xml", write: repeatedParagraphs(1 << 16)})),
	}
	for name, b := range cases {
		_, err := ExtractText(b)
		if !errors.Is(err, ErrNotDocx) || errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: err = %v, want ErrNotDocx", name, err)
		}
	}
}

// corruptEntry flips bytes in the middle of the first entry's data.
func corruptEntry(t *testing.T, docx []byte) []byte {
	out := bytes.Clone(docx)
	for i := 60; i < 90; i++ {
		out[i] ^= 0x5a
	}
	return out
}

// FuzzExtractText: arbitrary bytes give text or an ErrNotDocx or
// ErrTooLarge, never a panic or another error, and never more text than
// the limit allows.
func FuzzExtractText(f *testing.F) {
	good, _ := Render(sampleDoc(LayoutLetter))
	f.Add(good)
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	f.Add(buildZip(f, zipEntry{name: "word/document.xml", write: repeatedParagraphs(1 << 14)}))
	f.Add(buildZip(f, zipEntry{name: "word/document.xml", declared: 10, write: smallDocumentXML("x")}))
	lim := Limits{MaxEntries: 50, MaxTotalSize: 4 << 20, MaxDocumentXML: 1 << 20, MaxTextChars: 5000, MaxDepth: 64}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := ExtractTextLimits(b, lim)
		switch {
		case err == nil:
			if n := utf8.RuneCountInString(got); n > lim.MaxTextChars {
				t.Fatalf("%d characters, limit %d", n, lim.MaxTextChars)
			}
		case errors.Is(err, ErrTooLarge):
			var le *LimitError
			if !errors.As(err, &le) || le.Value <= le.Max {
				t.Fatalf("ErrTooLarge without a LimitError over its limit: %v", err)
			}
		case !errors.Is(err, ErrNotDocx):
			t.Fatalf("error neither ErrNotDocx nor ErrTooLarge: %v", err)
		}
	})
}

func BenchmarkExtractText50Pages(b *testing.B) {
	docx, err := Render(fiftyPages())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(docx)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ExtractText(docx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExtractTextBomb24MiB is the cost of refusing the import bomb.
func BenchmarkExtractTextBomb24MiB(b *testing.B) {
	docx := bomb24MiB(b)
	b.SetBytes(int64(len(docx)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ExtractText(docx); !errors.Is(err, ErrTooLarge) {
			b.Fatal(err)
		}
	}
}
