package templates_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"wenshu/docgen"
	"wenshu/templates"
)

// The peer benchmark (bench/docxtemplater) renders the same 20-row 党风廉政意见回复
// as BenchmarkRender/integrity-reply-20rows. Both read their values from
// benchDataFile, which this file generates:
//
//	go test ./templates -run TestBench20RowsFile -update-bench
//
// After regenerating it, regenerate the docxtemplater template too
// (node bench/docxtemplater/make-template.js).
const benchDataFile = "testdata/bench-20rows.json"

var benchUpdate = flag.Bool("update-bench", false, "rewrite "+benchDataFile)

// benchData is the shape of benchDataFile.
type benchData struct {
	Comment string `json:"_comment"`
	// Fields is the integrity-reply render request (our input).
	Fields map[string]any `json:"fields"`
	// Data holds the same values as docxtemplater tags: dates already
	// written in Chinese, rows numbered.
	Data benchTags `json:"data"`
	// Text is docgen.ExtractText of our document: the peer's output must
	// carry exactly this text.
	Text string `json:"text"`
	// Mark is the 发文机关标志 printed in the letter's first-page header.
	Mark string `json:"mark"`
}

type benchTags struct {
	Issuer        string         `json:"issuer"`
	DocNumber     string         `json:"doc_number"`
	LeadName      string         `json:"lead_name"`
	Several       bool           `json:"several"`
	Recipient     string         `json:"recipient"`
	RequestTitle  string         `json:"request_title"`
	RequestNumber string         `json:"request_number"`
	ReceivedDate  string         `json:"received_date"`
	Count         int            `json:"count"`
	Purpose       string         `json:"purpose"`
	Rows          []benchTagsRow `json:"rows"`
	AsOf          string         `json:"as_of"`
	Contact       string         `json:"contact"`
	Phone         string         `json:"phone"`
	Date          string         `json:"date"`
}

type benchTagsRow struct {
	No         int    `json:"no"`
	Name       string `json:"name"`
	Position   string `json:"position"`
	Matter     string `json:"matter"`
	Conclusion string `json:"conclusion"`
	Note       string `json:"note"`
}

// benchRows returns n person rows, the same every time: names, offices
// and notes cycle through fixed lists, and the conclusion through the
// five kinds of formats.md §2.4.
func benchRows(n int) []benchTagsRow {
	surnames := []string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马", "罗"}
	given := []string{"海燕", "志明", "斌", "晓东", "丽华", "建国", "文涛", "静", "国庆", "红梅", "立新", "雪峰", "春燕", "卫东", "秀英", "俊杰", "明辉", "婷", "振宇", "桂兰"}
	offices := []string{"综合处", "国库处", "资产处", "预算处", "税政处", "社会保障处", "农业农村处", "经济建设处", "政府债务管理处", "会计处"}
	ranks := []struct{ now, next string }{
		{"副处长", "处长"},
		{"一级主任科员", "副处长"},
		{"二级调研员", "一级调研员"},
		{"四级调研员", "副处长"},
	}
	conclusions := []string{
		"未发现影响提拔任用的问题",
		"有反映问题已了结，不影响提拔任用",
		"有问题线索正在核查，建议暂缓",
		"受过处分或组织处理",
		"不宜提拔任用",
	}
	rows := make([]benchTagsRow, n)
	for i := range rows {
		office := offices[i%len(offices)]
		rank := ranks[i%len(ranks)]
		c := i % len(conclusions)
		var note string
		switch c {
		case 1:
			note = fmt.Sprintf("2025年反映其违规兼职问题，经核查失实，已于%d月予以澄清", i%12+1)
		case 2:
			note = "2026年2月收到反映其违规收受礼金的问题线索，正在初步核实"
		case 3:
			note = fmt.Sprintf("2025年%d月受党内警告处分（省财政厅机关纪委决定），处分影响期至2026年%d月", i%12+1, i%12+1)
		case 4:
			note = "2025年受党内严重警告处分，处分影响期内"
		}
		rows[i] = benchTagsRow{
			No:         i + 1,
			Name:       surnames[i%len(surnames)] + given[(i*7)%len(given)],
			Position:   "省财政厅" + office + rank.now,
			Matter:     "拟任" + office + rank.next,
			Conclusion: conclusions[c],
			Note:       note,
		}
	}
	return rows
}

// benchFields returns the integrity-reply example with its persons
// replaced by rows, shaped as a decoded JSON request.
func benchFields(t *templates.Template, rows []benchTagsRow) map[string]any {
	fields := t.Example()
	persons := make([]any, len(rows))
	for i, r := range rows {
		p := map[string]any{"name": r.Name, "position": r.Position, "conclusion": r.Conclusion}
		if r.Matter != "" {
			p["matter"] = r.Matter
		}
		if r.Note != "" {
			p["note"] = r.Note
		}
		persons[i] = p
	}
	fields["persons"] = persons
	fields["request_title"] = "关于征求" + rows[0].Name + "等同志党风廉政意见的函"
	return fields
}

// benchChineseDate writes an example's YYYY-MM-DD field as 2026年3月5日.
func benchChineseDate(tb testing.TB, fields map[string]any, name string) string {
	tb.Helper()
	s, _ := fields[name].(string)
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		tb.Fatalf("field %s: %v", name, err)
	}
	return docgen.FormatDate(d)
}

// makeBenchData renders the 20-row document and records its input, the
// peer's tag values and the text both must produce.
func makeBenchData(tb testing.TB, reg *templates.Registry) *benchData {
	tb.Helper()
	t, err := reg.Get("integrity-reply")
	if err != nil {
		tb.Fatal(err)
	}
	rows := benchRows(20)
	fields := benchFields(t, rows)
	out, err := reg.Render(templates.RenderRequest{TemplateID: t.ID, Fields: fields})
	if err != nil {
		tb.Fatalf("render 20 rows: %v", err)
	}
	text, err := docgen.ExtractText(out.Docx)
	if err != nil {
		tb.Fatal(err)
	}
	str := func(name string) string { s, _ := fields[name].(string); return s }
	return &benchData{
		Comment: "Generated by `go test ./templates -run TestBench20RowsFile -update-bench` (templates/bench_test.go). " +
			"Read by BenchmarkRender/integrity-reply-20rows and bench/docxtemplater/bench.js. Do not edit by hand.",
		Fields: fields,
		Data: benchTags{
			Issuer:        str("issuer"),
			DocNumber:     str("doc_number"),
			LeadName:      rows[0].Name,
			Several:       len(rows) > 1,
			Recipient:     str("recipient"),
			RequestTitle:  str("request_title"),
			RequestNumber: str("request_number"),
			ReceivedDate:  benchChineseDate(tb, fields, "received_date"),
			Count:         len(rows),
			Purpose:       str("purpose"),
			Rows:          rows,
			AsOf:          benchChineseDate(tb, fields, "as_of"),
			Contact:       str("contact"),
			Phone:         str("phone"),
			Date:          benchChineseDate(tb, fields, "date"),
		},
		Text: text,
		Mark: str("issuer"),
	}
}

func encodeBenchData(tb testing.TB, d *benchData) []byte {
	tb.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// TestBench20RowsFile keeps benchDataFile in step with the renderer, so
// that the peer benchmark keeps producing the same text as ours.
func TestBench20RowsFile(t *testing.T) {
	reg, err := templates.New(templates.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := encodeBenchData(t, makeBenchData(t, reg))
	if *benchUpdate {
		if err := os.MkdirAll(filepath.Dir(benchDataFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(benchDataFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(benchDataFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale: run go test ./templates -run TestBench20RowsFile -update-bench, "+
			"then node bench/docxtemplater/make-template.js", benchDataFile)
	}
}

// benchCPUTime returns the CPU time (user and system, all threads) this
// process has used so far, from /proc/self/stat, so that a benchmark on a
// shared machine can report CPU time beside wall time. It reports false
// where there is no /proc. The resolution is one clock tick (USER_HZ,
// 100 on Linux), so it is only meaningful over runs of a second or more.
func benchCPUTime() (time.Duration, bool) {
	stat, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, false
	}
	// Fields after the parenthesised command name start at field 3;
	// utime and stime are fields 14 and 15.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	const userHZ = 100
	return time.Duration(utime+stime) * time.Second / userHZ, true
}

// BenchmarkRender renders each template's example, and the 20-row
// integrity-reply of benchDataFile that bench/docxtemplater renders too,
// from validation to the finished .docx.
func BenchmarkRender(b *testing.B) {
	reg, err := templates.New(templates.Options{})
	if err != nil {
		b.Fatal(err)
	}
	type benchCase struct {
		name   string
		id     string
		fields map[string]any
	}
	var cases []benchCase
	for _, t := range reg.All() {
		cases = append(cases, benchCase{t.ID, t.ID, t.Example()})
	}
	raw, err := os.ReadFile(benchDataFile)
	if err != nil {
		b.Fatal(err)
	}
	var peer benchData
	if err := json.Unmarshal(raw, &peer); err != nil {
		b.Fatalf("%s: %v", benchDataFile, err)
	}
	cases = append(cases, benchCase{"integrity-reply-20rows", "integrity-reply", peer.Fields})

	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			req := templates.RenderRequest{TemplateID: c.id, Fields: c.fields}
			out, err := reg.Render(req)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(out.Docx)))
			b.ReportAllocs()
			cpu0, cpuOK := benchCPUTime()
			n := 0
			for b.Loop() {
				if _, err := reg.Render(req); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "docs/s")
			if cpu1, ok := benchCPUTime(); ok && cpuOK {
				b.ReportMetric(float64(cpu1-cpu0)/float64(time.Millisecond)/float64(n), "cpu-ms/doc")
			}
		})
	}
}
