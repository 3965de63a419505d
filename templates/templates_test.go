package templates

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"wenshu/docgen"
	"wenshu/internal/gbcheck"
)

func newRegistry(t testing.TB, opts Options) *Registry {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) }
	}
	r, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestExamples renders every template's example and holds the output to
// GB/T 9704 (internal/gbcheck), in the layout its manifest names.
func TestExamples(t *testing.T) {
	r := newRegistry(t, Options{})
	want := map[string]gbcheck.Layout{
		"talk-plan": gbcheck.Plain, "inquiry-letter": gbcheck.Letter,
		"supervision-suggestion": gbcheck.Document, "integrity-reply": gbcheck.Letter,
		"inquiry-report": gbcheck.Plain, "talk-record": gbcheck.Plain, "service-receipt": gbcheck.Plain,
	}
	var ids []string
	for _, tp := range r.All() {
		ids = append(ids, tp.ID)
	}
	if !sort.StringsAreSorted(ids) || len(ids) != len(want) {
		t.Fatalf("templates %v, want the seven built-ins sorted", ids)
	}
	for _, tp := range r.All() {
		t.Run(tp.ID, func(t *testing.T) {
			out, err := r.Render(RenderRequest{TemplateID: tp.ID, Fields: tp.Example()})
			if err != nil {
				t.Fatal(err)
			}
			rep, err := gbcheck.Check(out.Docx)
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK() {
				t.Errorf("GB/T 9704 problems: %v", rep.Problems)
			}
			if rep.Layout != want[tp.ID] {
				t.Errorf("layout %s, want %s", rep.Layout, want[tp.ID])
			}
			if rep.Title != out.Title || out.Title == "" {
				t.Errorf("title %q, rendered %q", out.Title, rep.Title)
			}
			again, _ := r.Render(RenderRequest{TemplateID: tp.ID, Fields: tp.Example()})
			if !bytes.Equal(out.Docx, again.Docx) {
				t.Error("same input, different bytes")
			}
			if out.Kind != tp.Kind || out.Text == "" {
				t.Errorf("kind %q text %d bytes", out.Kind, len(out.Text))
			}
		})
	}
}

func TestInquiryLetterContent(t *testing.T) {
	r := newRegistry(t, Options{})
	tp, _ := r.Get("inquiry-letter")
	out, err := r.Render(RenderRequest{TemplateID: "inquiry-letter", Fields: tp.Example()})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"张建国同志：",
		"1.2025年在省级专项资金分配中", "2.接受下属单位", "3.其配偶",
		"于收到本函后15个工作日内回复我组", // the term only: service is recorded after signing
		"抄送：省财政厅党组书记王明同志。",
		"（联系人：李华，电话：0571-87000000）",
	} {
		if !strings.Contains(out.Text, want) {
			t.Errorf("letter lacks %q", want)
		}
	}
	if strings.Contains(out.Text, "（即") || strings.Contains(out.Text, "日前") {
		t.Errorf("the letter prints a due date, though it is signed before service:\n%s", out.Text)
	}
	if _, ok := tp.Field("served_date"); ok {
		t.Error("the letter still asks for a 送达日期")
	}
	if tp.Approval != ApprovalHead || tp.DocSeries != "函" || r.Approval(tp.ID) != ApprovalHead || r.DocSeries(tp.ID) != "函" {
		t.Errorf("letter: approval %q series %q", tp.Approval, tp.DocSeries)
	}
	// A preview carries the 函 series' blank number.
	fields := tp.Example()
	delete(fields, "doc_number")
	prev, err := r.Render(RenderRequest{TemplateID: tp.ID, Fields: fields, Preview: true, UnitCode: "驻财纪"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(prev.Text, "驻财纪函〔2026〕　号") {
		t.Errorf("preview lacks 驻财纪函〔2026〕　号:\n%s", prev.Text)
	}
}

func TestIssuerAndNumberFromRequest(t *testing.T) {
	r := newRegistry(t, Options{})
	tp, _ := r.Get("supervision-suggestion")
	fields := tp.Example()
	fields["issuer"] = "伪造的机关"
	delete(fields, "doc_number")
	out, err := r.Render(RenderRequest{TemplateID: tp.ID, Fields: fields, IssuerName: "真实的派驻机构", Preview: true,
		Date: time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.Text, "伪造") || !strings.Contains(out.Text, "真实的派驻机构") {
		t.Error("IssuerName did not override the issuer field")
	}
	if !strings.Contains(out.Text, "〔2027〕　号") {
		t.Errorf("preview lacks the blank number 〔2027〕　号:\n%s", out.Text)
	}
	if !strings.Contains(out.Text, "2027年1月4日") {
		t.Error("request date not used as 成文日期")
	}
}

// TestValidationReportsEveryField sends one request with many bad fields
// and expects every one named, with its code.
func TestValidationReportsEveryField(t *testing.T) {
	r := newRegistry(t, Options{})
	fields := map[string]any{
		"issuer":          strings.Repeat("机", 61),
		"doc_number":      "驻财纪[2026]6号",
		"copy_no":         "12",
		"classification":  "绝密级",
		"person":          map[string]any{"gender": "男"},
		"reported_issues": []any{},
		"date":            "2026-02-30",
		"served_date":     "2026-03-09", // no longer a field: service is recorded after signing
		"party_org_head":  "王某\x07",
		"contact":         "",
		"phone":           "电话",
		"bogus":           "x",
	}
	err := r.Validate("inquiry-letter", fields)
	var fe FieldErrors
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want FieldErrors", err)
	}
	got := map[string]string{}
	for _, e := range fe {
		got[e.Field] = e.Code
		if e.Message == "" || !containsHan(e.Message) {
			t.Errorf("%s: message %q is not Chinese", e.Field, e.Message)
		}
	}
	want := map[string]string{
		"issuer": CodeTooLong, "doc_number": CodeBadDocNumber, "copy_no": CodeBadCopyNumber,
		"classification": CodeBadEnum, "person.name": CodeRequired, "reported_issues": CodeTooFewItems,
		"date": CodeBadDate, "served_date": CodeUnknownField, "party_org_head": CodeControlChar, "contact": CodeRequired,
		"phone": CodeBadPattern, "bogus": CodeUnknownField,
	}
	for f, code := range want {
		if got[f] != code {
			t.Errorf("%s: code %q, want %q", f, got[f], code)
		}
	}
	if len(fe) != len(want) {
		t.Errorf("%d errors, want %d: %v", len(fe), len(want), fe)
	}
}

func containsHan(s string) bool {
	for _, r := range s {
		if r >= 0x4E00 && r <= 0x9FFF {
			return true
		}
	}
	return false
}

func TestValidationCases(t *testing.T) {
	r := newRegistry(t, Options{})
	base := func() map[string]any {
		tp, _ := r.Get("integrity-reply")
		return tp.Example()
	}
	cases := []struct {
		name  string
		edit  func(m map[string]any)
		field string
		code  string
	}{
		{"missing required", func(m map[string]any) { delete(m, "recipient") }, "recipient", CodeRequired},
		{"blank required", func(m map[string]any) { m["recipient"] = "   " }, "recipient", CodeRequired},
		{"number not string", func(m map[string]any) { m["recipient"] = 12.0 }, "recipient", CodeBadType},
		{"table not list", func(m map[string]any) { m["persons"] = "张三" }, "persons", CodeBadType},
		{"empty table", func(m map[string]any) { m["persons"] = []any{} }, "persons", CodeTooFewItems},
		{"too many rows", func(m map[string]any) {
			rows := make([]any, 101)
			for i := range rows {
				rows[i] = map[string]any{"name": "甲", "position": "乙", "conclusion": "不宜提拔任用"}
			}
			m["persons"] = rows
		}, "persons", CodeTooManyItems},
		{"bad enum in row", func(m map[string]any) {
			m["persons"] = []any{map[string]any{"name": "甲", "position": "乙", "conclusion": "可以"}}
		}, "persons[0].conclusion", CodeBadEnum},
		{"unknown column", func(m map[string]any) {
			m["persons"] = []any{map[string]any{"name": "甲", "position": "乙", "conclusion": "不宜提拔任用", "age": "40"}}
		}, "persons[0].age", CodeUnknownField},
		{"100000 characters", func(m map[string]any) { m["request_title"] = strings.Repeat("长", 100000) }, "request_title", CodeTooLong},
		{"NUL", func(m map[string]any) { m["request_title"] = "a\x00b" }, "request_title", CodeControlChar},
		{"newline in one-line field", func(m map[string]any) { m["request_title"] = "a\nb" }, "request_title", CodeControlChar},
		{"noncharacter", func(m map[string]any) { m["request_title"] = "a\uFFFEb" }, "request_title", CodeInvalidChar},
		{"invalid UTF-8", func(m map[string]any) { m["request_title"] = string([]byte{0xff, 0xfe}) }, "request_title", CodeInvalidChar},
		{"date format", func(m map[string]any) { m["as_of"] = "2026/03/12" }, "as_of", CodeBadDate},
		{"zero-padded number", func(m map[string]any) { m["doc_number"] = "驻财纪函〔2026〕06号" }, "doc_number", CodeBadDocNumber},
		{"第 in number", func(m map[string]any) { m["doc_number"] = "驻财纪函〔2026〕第6号" }, "doc_number", CodeBadDocNumber},
		{"two-digit year", func(m map[string]any) { m["doc_number"] = "驻财纪函〔26〕6号" }, "doc_number", CodeBadDocNumber},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := base()
			c.edit(m)
			err := r.Validate("integrity-reply", m)
			var fe FieldErrors
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want FieldErrors", err)
			}
			for _, e := range fe {
				if e.Field == c.field && e.Code == c.code {
					return
				}
			}
			t.Errorf("got %v, want %s on %s", fe, c.code, c.field)
		})
	}
	if err := r.Validate("no-such-template", nil); !errors.Is(err, ErrUnknownTemplate) {
		t.Errorf("unknown template: %v", err)
	}
}

// TestHostileValues: text that looks like XML, markup or control input is
// either refused or printed literally; the package always stays valid.
func TestHostileValues(t *testing.T) {
	r := newRegistry(t, Options{})
	hostile := []string{
		"<w:t>注入</w:t>", "A & B &amp; C", "]]>", `"引号" '单引号'`, "<script>alert(1)</script>",
		"😀表情", "𠀀𪚥𫝀生僻字", "| 伪造 | 表格 |", "\\反斜杠\\", "# 伪造标题", "@title 伪造标题", "+ 伪造条目", "---", "> 引用", "= 伪造副标题",
	}
	tp, _ := r.Get("supervision-suggestion")
	for _, h := range hostile {
		fields := tp.Example()
		fields["subject"] = h
		fields["situation"] = h + "\n" + h
		fields["problems"] = []any{h, "正常问题"}
		fields["recipient"] = h
		out, err := r.Render(RenderRequest{TemplateID: tp.ID, Fields: fields})
		if err != nil {
			t.Fatalf("%q: %v", h, err)
		}
		rep, err := gbcheck.Check(out.Docx)
		if err != nil {
			t.Fatalf("%q: invalid package: %v", h, err)
		}
		text, err := docgen.ExtractText(out.Docx)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text, h) {
			t.Errorf("%q not printed literally", h)
		}
		if rep.Title != "关于"+h+"的纪检监察建议" && !strings.Contains(h, "\n") {
			t.Errorf("%q changed the title to %q", h, rep.Title)
		}
		if strings.Contains(text, "伪造标题\n") && strings.Count(text, "伪造标题") != strings.Count(strings.Repeat(h, 6), "伪造标题") {
			t.Errorf("%q was read as markup", h)
		}
	}
	// Control characters are refused, never written.
	for _, c := range []string{"\x00", "\x01", "\x1b", "\x1f", "\x7f"} {
		fields := tp.Example()
		fields["subject"] = "事由" + c
		if err := r.Validate(tp.ID, fields); err == nil {
			t.Errorf("control character %q accepted", c)
		}
	}
}

func TestCalendar(t *testing.T) {
	r := newRegistry(t, Options{})
	cal := r.Calendar()
	d := func(s string) time.Time {
		t, _ := time.Parse("2006-01-02", s)
		return t
	}
	cases := []struct {
		from string
		n    int
		want string
	}{
		{"2026-03-09", 15, "2026-03-30"},
		{"2026-09-18", 1, "2026-09-20"}, // Sunday 9-20 is a make-up working day
		{"2026-09-30", 1, "2026-10-08"}, // National Day 10-01…10-07
		{"2026-10-08", 1, "2026-10-09"},
		{"2026-10-09", 1, "2026-10-10"}, // Saturday 10-10 is a make-up working day
		{"2025-01-24", 1, "2025-01-26"}, // Sunday 1-26, 2025
		{"2026-02-13", 1, "2026-02-14"}, // Saturday 2-14 before the Spring Festival
		{"2026-02-14", 1, "2026-02-24"},
		{"2026-03-06", 0, "2026-03-06"},
	}
	for _, c := range cases {
		got, err := cal.AddWorkdays(d(c.from), c.n)
		if err != nil {
			t.Fatalf("%s + %d: %v", c.from, c.n, err)
		}
		if got.Format("2006-01-02") != c.want {
			t.Errorf("%s + %d working days = %s, want %s", c.from, c.n, got.Format("2006-01-02"), c.want)
		}
	}
	_, err := cal.AddWorkdays(d("2026-12-28"), 10)
	var miss *MissingYearError
	if !errors.As(err, &miss) || miss.Year != 2027 {
		t.Errorf("crossing into 2027: %v, want MissingYearError{2027}", err)
	}
	if _, err := cal.AddWorkdays(d("2024-06-03"), 1); !errors.As(err, &miss) || miss.Year != 2024 {
		t.Errorf("2024: %v", err)
	}
}

// writeTemplate writes a folder template dir/id from its three files.
func writeTemplate(t *testing.T, dir, id, manifest, body, example string) {
	t.Helper()
	tdir := filepath.Join(dir, id)
	if err := os.MkdirAll(tdir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"manifest.json": manifest, "body.tmpl": body, "example.json": example} {
		if err := os.WriteFile(filepath.Join(tdir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDeadlineInMissingYear: a 15-working-day deadline printed by the
// workdays function that runs into a year without a table is refused with
// the field named, and works once an admin drops that year's table in the
// holidays folder or uploads it at run time. (The 函询通知书 no longer
// prints a deadline; a folder template does here.)
func TestDeadlineInMissingYear(t *testing.T) {
	tdir := t.TempDir()
	writeTemplate(t, tdir, "reply-notice",
		`{"id": "reply-notice", "name": "回复提示", "kind": "通知", "layout": "plain", "fields": [
			{"name": "served_date", "label": "送达日期", "type": "date"}, {"name": "date", "label": "成文日期", "type": "date"}]}`,
		"@title 回复提示\n请于收到本函后15个工作日内{{with workdays .served_date 15}}（即{{.}}前）{{end}}回复。\n@date {{.date}}\n",
		`{"served_date": "2026-03-09"}`)
	r := newRegistry(t, Options{Dir: tdir})
	tp, _ := r.Get("reply-notice")
	if out, err := r.Render(RenderRequest{TemplateID: tp.ID, Fields: tp.Example()}); err != nil || !strings.Contains(out.Text, "即2026年3月30日前") {
		t.Fatalf("served 2026-03-09: %v", err) // 15 working days: 3-30
	}
	fields := map[string]any{"served_date": "2026-12-21"}
	err := r.Validate(tp.ID, fields)
	var fe FieldErrors
	if !errors.As(err, &fe) || len(fe) != 1 || fe[0].Field != "served_date" || fe[0].Code != CodeHolidayMissing || !strings.Contains(fe[0].Message, "2027") {
		t.Fatalf("got %v, want holiday_table_missing on served_date naming 2027", err)
	}
	dir := t.TempDir()
	table := `{"2027": {"holidays": ["2027-01-01"], "workdays": []}}`
	if err := os.WriteFile(filepath.Join(dir, "2027.json"), []byte(table), 0o644); err != nil {
		t.Fatal(err)
	}
	r2 := newRegistry(t, Options{Dir: tdir, HolidayDir: dir})
	out, err := r2.Render(RenderRequest{TemplateID: tp.ID, Fields: fields})
	if err != nil {
		t.Fatal(err)
	}
	// 12-21 (Mon) + 15 working days, with 2027-01-01 off: 2027-01-12.
	if !strings.Contains(out.Text, "即2027年1月12日前") {
		t.Errorf("deadline not computed with the 2027 table:\n%s", out.Text)
	}
	// The same table uploaded at run time.
	if err := r.AddHolidayTable([]byte(table)); err != nil {
		t.Fatal(err)
	}
	if out, err := r.Render(RenderRequest{TemplateID: tp.ID, Fields: fields}); err != nil || !strings.Contains(out.Text, "即2027年1月12日前") {
		t.Errorf("after AddHolidayTable: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "again.json"), []byte(`{"2026": {"holidays": ["2026-01-01"], "workdays": []}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Options{HolidayDir: dir}); err == nil {
		t.Error("a second table for 2026 was accepted")
	}
}

// TestAddHolidayTableErrors: an uploaded table is checked field by field
// and refused whole; templates' FieldErrors name every fault.
func TestAddHolidayTableErrors(t *testing.T) {
	r := newRegistry(t, Options{})
	bad := `{"2027": {"holidays": ["2027-01-01", "2027-13-01"], "workdays": ["2027-01-01", "2027-02-08"]}, "2026": {"holidays": ["2026-01-01"], "workdays": []}}`
	for name, err := range map[string]error{"validate": ValidateHolidayTable([]byte(bad)), "add": r.AddHolidayTable([]byte(bad))} {
		var fe FieldErrors
		if !errors.As(err, &fe) {
			t.Fatalf("%s: %v, want FieldErrors", name, err)
		}
		got := map[string]string{}
		for _, e := range fe {
			got[e.Field] = e.Code
		}
		want := map[string]string{"2027.holidays[1]": "bad_date", "2027.workdays[0]": "holiday_and_workday", "2027.workdays[1]": "workday_not_weekend"}
		if len(got) != len(want) {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
		for f, c := range want {
			if got[f] != c {
				t.Errorf("%s: %s = %q, want %q", name, f, got[f], c)
			}
		}
	}
	if r.Calendar().HasYear(2027) {
		t.Error("a refused table added 2027")
	}
	// A year already known is refused, naming it.
	err := r.AddHolidayTable([]byte(`{"2026": {"holidays": ["2026-01-01"], "workdays": []}}`))
	var fe FieldErrors
	if !errors.As(err, &fe) || len(fe) != 1 || fe[0].Field != "2026" || fe[0].Code != "year_exists" {
		t.Errorf("second 2026: %v", err)
	}
	if err := ValidateHolidayTable([]byte(`{"2027": {"holidays": ["2027-01-01"], "workdays": []}}`)); err != nil {
		t.Errorf("a valid table: %v", err)
	}
}

// TestTemplateFromDirectory: a new template is a new folder, no Go code.
func TestTemplateFromDirectory(t *testing.T) {
	dir := t.TempDir()
	tdir := filepath.Join(dir, "meeting-notice")
	if err := os.MkdirAll(tdir, 0o755); err != nil {
		t.Fatal(err)
	}
	manifest := map[string]any{
		"id": "meeting-notice", "name": "会议通知", "kind": "通知", "layout": "document",
		"fields": []map[string]any{
			{"name": "issuer", "label": "发文机关", "type": "string", "required": true},
			{"name": "topic", "label": "会议主题", "type": "string", "required": true, "max_length": 40},
			{"name": "items", "label": "议程", "type": "list", "required": true, "max_items": 5},
			{"name": "date", "label": "成文日期", "type": "date"},
		},
	}
	write := func(name string, v any) {
		var b []byte
		if s, ok := v.(string); ok {
			b = []byte(s)
		} else {
			b, _ = json.Marshal(v)
		}
		if err := os.WriteFile(filepath.Join(tdir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("manifest.json", manifest)
	write("body.tmpl", "@mark {{.issuer}}\n@suffix 文件\n@number {{.doc_number}}\n@title 关于召开{{.topic}}会议的通知\n@to 各处室\n# 会议议程\n{{range .items}}+ {{.}}\n{{end}}\n@sign {{.issuer}}\n@date {{.date}}\n")
	write("example.json", map[string]any{"issuer": "某纪检监察组", "topic": "警示教育", "items": []string{"观看警示教育片", "交流发言"}})

	r := newRegistry(t, Options{Dir: dir})
	tp, err := r.Get("meeting-notice")
	if err != nil {
		t.Fatal(err)
	}
	out, err := r.Render(RenderRequest{TemplateID: tp.ID, Fields: tp.Example(), DocNumber: "某纪〔2026〕3号"})
	if err != nil {
		t.Fatal(err)
	}
	rep, _ := gbcheck.Check(out.Docx)
	if !rep.OK() || rep.Layout != gbcheck.Document {
		t.Errorf("%s: %v", rep.Layout, rep.Problems)
	}
	if !strings.Contains(out.Text, "1.观看警示教育片") || !strings.Contains(out.Text, "一、会议议程") {
		t.Errorf("text:\n%s", out.Text)
	}
	if len(r.All()) != 8 {
		t.Errorf("%d templates, want 7 built-in + 1", len(r.All()))
	}

	// Faults in a folder template fail at start, naming it.
	bad := []struct{ file, content, want string }{
		{"manifest.json", `{"id": "meeting-notice", "name": "x", "layout": "memo", "fields": []}`, "layout"},
		{"body.tmpl", "@title {{.nosuchfield}}", "nosuchfield"},
		{"body.tmpl", "@frobnicate x\n@title t", "unknown directive"},
		{"example.json", `{"issuer": "x"}`, "example.json"},
	}
	for _, b := range bad {
		write("manifest.json", manifest)
		write("body.tmpl", "@mark {{.issuer}}\n@title 关于{{.topic}}的通知\n@date {{.date}}\n{{range .items}}+ {{.}}\n{{end}}")
		write("example.json", map[string]any{"issuer": "某纪检监察组", "topic": "警示教育", "items": []string{"观看"}})
		write(b.file, b.content)
		_, err := New(Options{Dir: dir})
		if err == nil || !strings.Contains(err.Error(), b.want) || !strings.Contains(err.Error(), "meeting-notice") {
			t.Errorf("%s %q: err %v, want mention of %q", b.file, b.content, err, b.want)
		}
	}
	// A folder template may not take a built-in id.
	dup := filepath.Join(dir, "talk-plan")
	os.MkdirAll(dup, 0o755)
	for _, f := range []string{"manifest.json", "body.tmpl", "example.json"} {
		src, _ := builtinFS.ReadFile("builtin/talk-plan/" + f)
		os.WriteFile(filepath.Join(dup, f), src, 0o644)
	}
	os.RemoveAll(tdir)
	if _, err := New(Options{Dir: dir}); err == nil || !strings.Contains(err.Error(), "duplicate") {
		t.Errorf("duplicate id: %v", err)
	}
}

func TestEscapeMarkupRoundTrip(t *testing.T) {
	for _, s := range []string{"# a", "@b c", "a|b", `a\b`, "+ x", "> y", "---", "= z", "normal 文本"} {
		d := &docgen.Document{}
		if err := parseMarkup("@title t\n"+escapeMarkup(s, false), d); err != nil {
			t.Fatal(err)
		}
		if len(d.Body) != 1 {
			t.Fatalf("%q: %d blocks", s, len(d.Body))
		}
		p, ok := d.Body[0].(docgen.Paragraph)
		if !ok || p.Text != s {
			t.Errorf("%q came back as %#v", s, d.Body[0])
		}
	}
}

func TestDocNumber(t *testing.T) {
	for s, ok := range map[string]bool{
		"驻财纪〔2026〕6号": true, "国办发〔2024〕1号": true, "驻财纪函〔2026〕126号": true,
		"驻财纪[2026]6号": false, "驻财纪【2026】6号": false, "驻财纪（2026）6号": false, "驻财纪〔2026〕06号": false,
		"驻财纪〔2026〕第6号": false, "〔2026〕6号": false, "驻财纪〔26〕6号": false, "驻财纪〔2026〕6": false,
	} {
		if ValidDocNumber(s) != ok {
			t.Errorf("ValidDocNumber(%q) = %v", s, !ok)
		}
	}
}

// TestApprovalAndSeries: the manifests' approval and doc_series keys, their
// defaults, and the faults refused at load.
func TestApprovalAndSeries(t *testing.T) {
	r := newRegistry(t, Options{})
	want := map[string]Approval{
		"talk-plan": ApprovalHead, "inquiry-letter": ApprovalHead, "supervision-suggestion": ApprovalHead,
		"integrity-reply": ApprovalAny,
	}
	for id, a := range want {
		if got := r.Approval(id); got != a {
			t.Errorf("%s: approval %q, want %q", id, got, a)
		}
	}
	if r.Approval("no-such-template") != ApprovalHead || r.DocSeries("no-such-template") != "" {
		t.Error("an unknown template should ask for the head and have no series")
	}
	for _, tp := range r.All() {
		if tp.ID != "inquiry-letter" && tp.DocSeries != "" {
			t.Errorf("%s: series %q", tp.ID, tp.DocSeries)
		}
	}
	base := `"id": "memo", "name": "备忘", "kind": "备忘", "layout": "document", `
	withNumber := `"fields": [{"name": "doc_number", "label": "发文字号", "type": "string", "format": "doc_number"}, {"name": "date", "label": "成文日期", "type": "date"}]`
	body := "@number {{.doc_number}}\n@title 备忘\n正文。\n@date {{.date}}\n"
	for _, tc := range []struct{ manifest, want string }{
		{`{` + base + `"approval": "chief", ` + withNumber + `}`, "approval"},
		{`{` + base + `"approval": "Head", ` + withNumber + `}`, "approval"},
		{`{` + base + `"doc_series": "han", ` + withNumber + `}`, "doc_series"},
		{`{` + base + `"doc_series": "〔函〕", ` + withNumber + `}`, "doc_series"},
		{`{` + base + `"doc_series": "函", "fields": [{"name": "date", "label": "成文日期", "type": "date"}]}`, "doc_number"},
	} {
		dir := t.TempDir()
		writeTemplate(t, dir, "memo", tc.manifest, body, `{}`)
		if _, err := New(Options{Dir: dir}); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "memo") {
			t.Errorf("%s: err %v, want one naming %s", tc.manifest, err, tc.want)
		}
	}
	dir := t.TempDir()
	writeTemplate(t, dir, "memo", `{`+base+`"approval": "head", "doc_series": "便函", `+withNumber+`}`, body, `{}`)
	r2 := newRegistry(t, Options{Dir: dir})
	if r2.Approval("memo") != ApprovalHead || r2.DocSeries("memo") != "便函" {
		t.Errorf("memo: %q %q", r2.Approval("memo"), r2.DocSeries("memo"))
	}
}

func TestSeriesDocNumber(t *testing.T) {
	if got := ComposeDocNumber("驻财纪", "函", 2026, 1); got != "驻财纪函〔2026〕1号" {
		t.Errorf("ComposeDocNumber = %s", got)
	}
	if got := ComposeDocNumber("驻财纪", "", 2026, 12); got != "驻财纪〔2026〕12号" {
		t.Errorf("ComposeDocNumber without series = %s", got)
	}
	for _, tc := range []struct {
		s, series string
		ok        bool
	}{
		{"驻财纪函〔2026〕6号", "函", true}, {"驻财纪〔2026〕6号", "函", false}, {"函〔2026〕6号", "函", false},
		{"驻财纪函〔2026〕06号", "函", false}, {"驻财纪〔2026〕6号", "", true}, {"驻财纪便函〔2026〕2号", "便函", true},
	} {
		if ValidSeriesDocNumber(tc.s, tc.series) != tc.ok {
			t.Errorf("ValidSeriesDocNumber(%q, %q) = %v", tc.s, tc.series, !tc.ok)
		}
	}
	// The letter's number must be of the 函 series.
	r := newRegistry(t, Options{})
	tp, _ := r.Get("inquiry-letter")
	fields := tp.Example()
	fields["doc_number"] = "驻财纪〔2026〕6号"
	err := r.Validate(tp.ID, fields)
	var fe FieldErrors
	if !errors.As(err, &fe) || len(fe) != 1 || fe[0].Field != "doc_number" || fe[0].Code != CodeBadDocSeries || !strings.Contains(fe[0].Message, "函") {
		t.Errorf("main-series number on the letter: %v", err)
	}
	out, err := r.Render(RenderRequest{TemplateID: tp.ID, Fields: tp.Example(), DocNumber: ComposeDocNumber("驻财纪", tp.DocSeries, 2026, 1)})
	if err != nil || !strings.Contains(out.Text, "驻财纪函〔2026〕1号") {
		t.Errorf("letter numbered 驻财纪函〔2026〕1号: %v", err)
	}
}

// TestInquiryReport: the report cites the letter (record id and 文号) and
// the reply, and prints the 处置建议, "其他" in the clerk's words.
func TestInquiryReport(t *testing.T) {
	r := newRegistry(t, Options{})
	tp, _ := r.Get("inquiry-report")
	if f, _ := tp.Field("disposal"); strings.Join(f.Enum, "/") != "予以采信了结/进一步核实/谈话提醒/批评教育/其他" {
		t.Errorf("处置建议 %v", f.Enum)
	}
	if f, _ := tp.Field("letter_record_id"); f.Cites != "inquiry-letter" || f.Format != FormatRecordID {
		t.Errorf("letter_record_id %+v", f)
	}
	if r.Numbered(tp.ID) || tp.Approval != ApprovalAny {
		t.Errorf("numbered %v approval %q: an internal report, signed by any approver", r.Numbered(tp.ID), tp.Approval)
	}
	out, err := r.Render(RenderRequest{TemplateID: tp.ID, Fields: tp.Example()})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"关于张建国同志函询情况的报告", "函询通知书（驻财纪函〔2026〕6号，档案编号rec-2026-000021）",
		"该函于2026年3月9日送达", "于2026年3月26日经所在单位党组织主要负责人签署意见后回复我组（函询回复档案编号rec-2026-000034）",
		"一、反映的主要问题", "二、函询回复情况", "三、核实情况", "四、处置建议", "建议对张建国同志予以采信了结。", "（承办人：陈敏）"} {
		if !strings.Contains(out.Text, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	fields := tp.Example()
	fields["disposal"], fields["disposal_other"], fields["reply_route"] = "其他", "责令作出书面检查", "直接回复本机关"
	delete(fields, "served_date")
	out, err = r.Render(RenderRequest{TemplateID: tp.ID, Fields: fields})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.Text, "建议对张建国同志责令作出书面检查。") || !strings.Contains(out.Text, "直接回复我组") || strings.Contains(out.Text, "送达。") {
		t.Errorf("其他 / 直接回复 / no service date:\n%s", out.Text)
	}
	fields = tp.Example()
	fields["disposal"], fields["letter_number"], fields["reply_record_id"] = "了结", "驻财纪函〔2026〕06号", "x"
	delete(fields, "letter_record_id")
	err = r.Validate(tp.ID, fields)
	var fe FieldErrors
	errors.As(err, &fe)
	got := map[string]string{}
	for _, e := range fe {
		got[e.Field] = e.Code
	}
	want := map[string]string{"disposal": CodeBadEnum, "letter_number": CodeBadDocNumber, "reply_record_id": CodeBadRecordID, "letter_record_id": CodeRequired}
	if len(got) != len(want) {
		t.Errorf("errors %v, want %v", got, want)
	}
	for f, c := range want {
		if got[f] != c {
			t.Errorf("%s: %q, want %q", f, got[f], c)
		}
	}
}

// TestTalkRecord: the record cites its plan, prints every 问/答 in order
// and the lines the person signs.
func TestTalkRecord(t *testing.T) {
	r := newRegistry(t, Options{})
	tp, _ := r.Get("talk-record")
	if f, _ := tp.Field("plan_record_id"); f.Cites != "talk-plan" || !f.Required {
		t.Errorf("plan_record_id %+v", f)
	}
	out, err := r.Render(RenderRequest{TemplateID: tp.ID, Fields: tp.Example()})
	if err != nil {
		t.Fatal(err)
	}
	if out.Title != "谈话记录" {
		t.Errorf("title %q", out.Title)
	}
	var order []int
	for _, want := range []string{"谈话方案档案编号：rec-2026-000017", "时间：2026年3月10日9时05分至10时40分", "地点：省财政厅纪检监察组谈话室",
		"谈话人：刘强（纪检监察组副组长）、陈敏（纪检监察组综合室主任）", "记录人：赵磊", "谈话对象：张建国，省财政厅预算处处长",
		"问：我们是", "答：听清楚了。", "问：2025年省级", "答：分配方案", "问：你与相关", "答：只有工作往来",
		"被谈话人（签字）：", "谈话人（签字）：", "记录人（签字）："} {
		i := strings.Index(out.Text, want)
		if i < 0 {
			t.Errorf("record lacks %q", want)
		}
		order = append(order, i)
	}
	if !sort.IntsAreSorted(order) {
		t.Errorf("parts out of order: %v\n%s", order, out.Text)
	}
	fields := tp.Example()
	fields["method"] = "委托谈话"
	fields["interviewers"] = []any{map[string]any{"name": "王明", "position": "省财政厅党组书记"}}
	delete(fields, "present")
	if out, err := r.Render(RenderRequest{TemplateID: tp.ID, Fields: fields}); err != nil || out.Title != "委托谈话记录" || strings.Contains(out.Text, "其他在场人员") {
		t.Errorf("委托谈话: %v %q", err, out.Title)
	}
	fields = tp.Example()
	delete(fields, "plan_record_id")
	fields["start_time"] = "9:05"
	fields["exchanges"] = []any{map[string]any{"speaker": "说", "text": "x"}}
	err = r.Validate(tp.ID, fields)
	var fe FieldErrors
	errors.As(err, &fe)
	got := map[string]string{}
	for _, e := range fe {
		got[e.Field] = e.Code
	}
	if got["plan_record_id"] != CodeRequired || got["start_time"] != CodeBadPattern || got["exchanges[0].speaker"] != CodeBadEnum || len(got) != 3 {
		t.Errorf("errors %v", got)
	}
}

// TestServiceReceipt: the receipt names the served document and leaves
// 签收人 and 签收时间 blank to be filled by hand.
func TestServiceReceipt(t *testing.T) {
	r := newRegistry(t, Options{})
	tp, _ := r.Get("service-receipt")
	out, err := r.Render(RenderRequest{TemplateID: tp.ID, Fields: tp.Example()})
	if err != nil {
		t.Fatal(err)
	}
	d, err := r.Build(RenderRequest{TemplateID: tp.ID, Fields: tp.Example()})
	if err != nil {
		t.Fatal(err)
	}
	var table *docgen.Table
	for _, b := range d.Body {
		if tb, ok := b.(docgen.Table); ok {
			table = &tb
		}
	}
	if table == nil {
		t.Fatalf("no table:\n%s", out.Text)
	}
	rows := map[string]string{}
	for _, row := range table.Rows {
		rows[row[0]] = row[1]
	}
	want := map[string]string{
		"送达文书名称及文号": "函询通知书（驻财纪函〔2026〕6号）", "文书档案编号": "rec-2026-000021",
		"受送达人": "张建国（省财政厅预算处处长）", "送达方式": "直接送达", "送达人": "陈敏、赵磊",
		"签收人（签名）": "", "签收时间": "＿＿＿＿年＿＿月＿＿日＿＿时＿＿分", "备注": "",
	}
	for k, v := range want {
		if got, ok := rows[k]; !ok || got != v {
			t.Errorf("row %s = %q, want %q", k, got, v)
		}
	}
	fields := tp.Example()
	delete(fields, "document_record_id")
	fields["method"] = "机要寄送"
	d, err = r.Build(RenderRequest{TemplateID: tp.ID, Fields: fields})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(d.PlainText(), "文书档案编号") || !strings.Contains(d.PlainText(), "机要寄送") {
		t.Errorf("without a record id:\n%s", d.PlainText())
	}
}

// TestCites: cites is for record_id fields and names a loaded template.
func TestCites(t *testing.T) {
	r := newRegistry(t, Options{})
	if f, _ := func() (*Field, bool) { tp, _ := r.Get("inquiry-letter"); return tp.Field("plan_record_id") }(); f.Cites != "talk-plan" {
		t.Errorf("letter's plan_record_id cites %q", f.Cites)
	}
	body := "@title 备忘\n正文。\n@date {{.date}}\n"
	for _, tc := range []struct{ field, want string }{
		{`{"name": "ref", "label": "引用", "type": "string", "cites": "talk-plan"}`, "cites"},
		{`{"name": "ref", "label": "引用", "type": "string", "format": "record_id", "cites": "no-such-template"}`, "no-such-template"},
	} {
		dir := t.TempDir()
		writeTemplate(t, dir, "memo", `{"id": "memo", "name": "备忘", "kind": "备忘", "layout": "plain", "fields": [`+tc.field+`, {"name": "date", "label": "成文日期", "type": "date"}]}`, body, `{}`)
		if _, err := New(Options{Dir: dir}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want one naming %s", tc.field, err, tc.want)
		}
	}
}

// TestSharedCalendar: a calendar passed in Options is the registry's own,
// so a table added through either is seen by both (deadline.Book shares
// it with the registry).
func TestSharedCalendar(t *testing.T) {
	cal := NewCalendar()
	if err := cal.AddJSON([]byte(`{"2026": {"holidays": ["2026-01-01"], "workdays": []}}`)); err != nil {
		t.Fatal(err)
	}
	r := newRegistry(t, Options{Calendar: cal, HolidayDir: filepath.Join(t.TempDir(), "ignored")})
	if r.Calendar() != cal || len(cal.Years()) != 1 {
		t.Fatalf("registry calendar %p years %v, want the one passed", r.Calendar(), cal.Years())
	}
	if err := r.AddHolidayTable([]byte(`{"2027": {"holidays": ["2027-01-01"], "workdays": []}}`)); err != nil {
		t.Fatal(err)
	}
	if !cal.HasYear(2027) {
		t.Error("a table added through the registry is not in the shared calendar")
	}
}
