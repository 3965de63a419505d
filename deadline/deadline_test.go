package deadline

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"wenshu/calendar"
	"wenshu/internal/testenv"
)

func book(t *testing.T) Book {
	t.Helper()
	cal, err := calendar.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	rules, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return Book{Calendar: cal, Rules: rules}
}

// TestReplyDeadline: the 函询 reply is due on the 15th working day after
// service by the State Council's table. Expected dates counted by hand
// from holidays-cn.json.
func TestReplyDeadline(t *testing.T) {
	b := book(t)
	cases := []struct {
		served, want, count string
	}{
		{"2026-03-09", "2026-03-30", "Mon; 3-10…13 1–4, 16–20 5–9, 23–27 10–14, 30 15"},
		// 国庆 2025: 10-01…10-08 off; Sun 9-28 and Sat 10-11 are 调休 workdays.
		{"2025-09-26", "2025-10-23", "Fri; Sun 9-28 1, 9-29 2, 9-30 3, 10-09 4, 10-10 5, Sat 10-11 6, 10-13…17 7–11, 10-20…23 12–15"},
		// 国庆 2026: 中秋 9-25…27 and 10-01…10-07 off; Sat 10-10 worked.
		{"2026-09-24", "2026-10-22", "Thu; 9-28…30 1–3, 10-08 4, 10-09 5, Sat 10-10 6, 10-12…16 7–11, 10-19…22 12–15"},
		// Sun 9-20 is a 调休 workday as well.
		{"2026-09-18", "2026-10-15", "Fri; Sun 9-20 1, 9-21…24 2–5, 9-28…30 6–8, 10-08 9, 10-09 10, Sat 10-10 11, 10-12…15 12–15"},
		// 春节 2026: 2-15…2-23 off; Sat 2-14 and Sat 2-28 worked.
		{"2026-02-13", "2026-03-12", "Fri; Sat 2-14 1, 2-24…27 2–5, Sat 2-28 6, 3-02…06 7–11, 3-09…12 12–15"},
	}
	for _, tc := range cases {
		d, err := b.Compute("reply", testenv.Day(tc.served))
		if err != nil {
			t.Fatal(err)
		}
		if got := d.Due.Format(time.DateOnly); got != tc.want || d.Provisional {
			t.Errorf("served %s: due %s provisional=%v, want %s exact (%s)", tc.served, got, d.Provisional, tc.want, tc.count)
		}
		if d.Kind != "reply" || !strings.Contains(d.Basis, "15个工作日") || !strings.Contains(d.Basis, "监督执纪工作规则") {
			t.Errorf("deadline %+v", d)
		}
	}
}

func TestProvisional(t *testing.T) {
	b := book(t)
	// 2026-12-21 (Mon): 12-22…25 1–4, 12-28…31 5–8; no 2027 table, so
	// weekends only: Fri 1-01 9, 1-04…08 10–14, 1-11 15.
	d, err := b.Compute("reply", testenv.Day("2026-12-21"))
	if err != nil || !d.Provisional || d.Due.Format(time.DateOnly) != "2027-01-11" {
		t.Errorf("into 2027: %+v %v, want 2027-01-11 provisional", d, err)
	}
	// Starting inside the missing year is provisional too.
	if d, err := b.Compute("reply", testenv.Day("2027-03-01")); err != nil || !d.Provisional {
		t.Errorf("in 2027: %+v %v", d, err)
	}
	// Once the table is added the same deadline is exact (1-01 off: 1-12).
	if err := b.Calendar.AddJSON([]byte(`{"2027": {"holidays": ["2027-01-01"], "workdays": []}}`)); err != nil {
		t.Fatal(err)
	}
	if d, _ := b.Compute("reply", testenv.Day("2026-12-21")); d.Provisional || d.Due.Format(time.DateOnly) != "2027-01-12" {
		t.Errorf("with 2027: %+v", d)
	}
	// A calendar-day period needs no table.
	if d, _ := b.Compute("case-review", testenv.Day("2027-12-20")); d.Provisional || d.Due.Format(time.DateOnly) != "2028-01-19" {
		t.Errorf("审理 from 2027-12-20: %+v", d)
	}
}

func TestPeriods(t *testing.T) {
	cal, err := calendar.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	rule := func(n int, u Unit, counts, roll bool) Rule {
		return Rule{ID: "test", Name: "测试", Starts: EventAcceptance, Period: Period{N: n, Unit: u},
			StartDayCounts: counts, RollToWorkday: roll, Basis: "测试依据", Source: "测试出处"}
	}
	cases := []struct {
		name  string
		rule  Rule
		start string
		want  string
		prov  bool
	}{
		{"30 days", rule(30, Days, false, false), "2026-09-20", "2026-10-20", false},
		{"30 days, start counts", rule(30, Days, true, false), "2026-09-20", "2026-10-19", false},
		{"30 days onto 国庆, rolled", rule(30, Days, false, true), "2026-09-01", "2026-10-08", false},
		{"30 days onto 国庆, not rolled", rule(30, Days, false, false), "2026-09-01", "2026-10-01", false},
		{"rolled into 2027", rule(1, Months, false, true), "2026-12-02", "2027-01-04", true}, // Sat 1-02 → Mon 1-04, weekends only
		{"Jan 31 + 1 month", rule(1, Months, false, false), "2026-01-31", "2026-02-28", false},
		{"Jan 31 + 1 month, leap year", rule(1, Months, false, false), "2028-01-31", "2028-02-29", false},
		{"Mar 31 + 1 month", rule(1, Months, false, false), "2026-03-31", "2026-04-30", false},
		{"Nov 30 + 3 months", rule(3, Months, false, false), "2026-11-30", "2027-02-28", false},
		{"Dec 15 + 1 month", rule(1, Months, false, false), "2026-12-15", "2027-01-15", false},
		{"month, start counts", rule(1, Months, true, false), "2026-03-10", "2026-04-09", false},
		{"15 working days, start counts", rule(15, WorkingDays, true, false), "2026-03-09", "2026-03-27", false}, // 3-09 is day 1
		{"1 working day over 国庆", rule(1, WorkingDays, false, false), "2026-09-30", "2026-10-08", false},
	}
	for _, tc := range cases {
		due, prov, err := Due(cal, tc.rule, testenv.Day(tc.start))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if due.Format(time.DateOnly) != tc.want || prov != tc.prov {
			t.Errorf("%s: %s + %s = %s provisional=%v, want %s %v", tc.name, tc.start, tc.rule.Period, due.Format(time.DateOnly), prov, tc.want, tc.prov)
		}
	}
	if _, _, err := Due(cal, rule(0, Days, false, false), testenv.Day("2026-01-01")); err == nil {
		t.Error("a rule of 0 days computed")
	}
}

// TestShippedRules: the rules the issue asks for are there, each with its
// basis and source.
func TestShippedRules(t *testing.T) {
	b := book(t)
	want := map[string]string{
		"reply": "15个工作日", "clue-report": "3个工作日", "case-review": "30日", "letter-forward": "3个工作日",
		"result-notice": "10个工作日", "preliminary-explain": "3个月", "integrity-talk": "1个月",
		"patrol-feedback": "7个工作日", "patrol-transfer": "10个工作日", "patrol-report-back": "3个月", "rectification-plan": "1个月",
	}
	all := b.Rules.All()
	if len(all) != len(want) {
		t.Errorf("%d rules, want %d", len(all), len(want))
	}
	for _, r := range all {
		if want[r.ID] != r.Period.String() {
			t.Errorf("%s: %s, want %s", r.ID, r.Period, want[r.ID])
		}
		if r.StartDayCounts || r.Starts.Name() == "" || r.Basis == "" || r.Source == "" || b.Rules.From(r.ID) != "builtin" {
			t.Errorf("%s: %+v", r.ID, r)
		}
	}
	if r, _ := b.Rules.Get("reply"); r.Starts != EventService {
		t.Errorf("reply starts at %s, want service", r.Starts)
	}
	if _, err := b.Rules.Get("nope"); !errors.Is(err, ErrUnknownRule) {
		t.Errorf("unknown rule: %v", err)
	}
	if _, err := b.Compute("nope", testenv.Day("2026-01-05")); !errors.Is(err, ErrUnknownRule) {
		t.Errorf("Compute of unknown rule: %v", err)
	}
}

func TestRuleFileErrors(t *testing.T) {
	ok := `{"id": "x-rule", "name": "名称", "starts": "service", "period": {"n": 5, "unit": "days"}, "basis": "依据", "source": "出处"}`
	cases := []struct {
		name, json string
		want       map[string]string
	}{
		{"not JSON", `{"rules": [`, map[string]string{"rules": calendar.CodeBadJSON}},
		{"no rules", `{"_about": "x"}`, map[string]string{"rules": calendar.CodeRequired}},
		{"unknown top key", `{"rule": [], "rules": [` + ok + `]}`, map[string]string{"rule": calendar.CodeUnknownField}},
		{"rule not object", `{"rules": ["reply"]}`, map[string]string{"rules[0]": calendar.CodeBadType}},
		{"bad types", `{"rules": [{"id": "x-rule", "name": "n", "starts": "service", "period": {"n": "15", "unit": "days"}, "basis": "b", "source": "s"}]}`,
			map[string]string{"rules[0].period.n": calendar.CodeBadType}},
		{"every fault", `{"rules": [
			{"id": "X", "name": "", "starts": "delivery", "period": {"n": 0, "unit": "weeks"}, "basis": " ", "source": "s", "color": "red"},
			{"id": "w", "name": "n", "starts": "service", "period": {"n": 3, "unit": "working_days"}, "roll_to_workday": true, "basis": "b", "source": ""},
			` + ok + `, ` + ok + `]}`,
			map[string]string{
				"rules[0].color": calendar.CodeUnknownField, "rules[0].id": CodeBadID, "rules[0].name": calendar.CodeRequired,
				"rules[0].basis": calendar.CodeRequired, "rules[0].starts": CodeBadEvent, "rules[0].period.unit": CodeBadUnit,
				"rules[0].period.n": CodeBadPeriod,
				"rules[1].id":       CodeBadID, "rules[1].source": calendar.CodeRequired, "rules[1].roll_to_workday": CodeBadRoll,
				"rules[3].id": CodeDuplicateID,
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRules([]byte(tc.json))
			var fe calendar.FieldErrors
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want FieldErrors", err)
			}
			got := map[string]string{}
			for _, e := range fe {
				got[e.Field] = e.Code
				if e.Message == "" {
					t.Errorf("%s: no message", e.Field)
				}
			}
			if len(fe) != len(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			for f, code := range tc.want {
				if got[f] != code {
					t.Errorf("%s: %q, want %q (all %v)", f, got[f], code, got)
				}
			}
		})
	}
	if rules, err := ParseRules(builtinRules); err != nil || len(rules) == 0 {
		t.Errorf("rules.json: %v", err)
	}
}

// TestRulesDir: an admin overrides a shipped rule and adds one by dropping
// files in the rules folder; a conflict between two such files or a bad
// file fails at load, naming the file and the field.
func TestRulesDir(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a-local.json", `{"rules": [
		{"id": "reply", "name": "函询回复期限（本地）", "starts": "service", "period": {"n": 10, "unit": "working_days"}, "basis": "本地规定10个工作日", "source": "某区实施细则"},
		{"id": "suggestion-feedback", "name": "建议书整改反馈期限", "starts": "service", "period": {"n": 1, "unit": "months"}, "roll_to_workday": true, "basis": "建议书载明的整改期限", "source": "建议书"}]}`)
	write("notes.txt", "not a rules file")
	rs, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	b := book(t)
	b.Rules = rs
	d, err := b.Compute("reply", testenv.Day("2026-03-09"))
	if err != nil || d.Due.Format(time.DateOnly) != "2026-03-23" || rs.From("reply") != "a-local.json" {
		t.Errorf("overridden reply: %+v %v from %s, want 2026-03-23", d, err, rs.From("reply"))
	}
	// 2026-04-04 (Sat, 清明) → rolled to Tue 4-07.
	if d, err := b.Compute("suggestion-feedback", testenv.Day("2026-03-04")); err != nil || d.Due.Format(time.DateOnly) != "2026-04-07" {
		t.Errorf("added rule: %+v %v", d, err)
	}
	if len(rs.All()) != 12 {
		t.Errorf("%d rules, want 11 shipped + 1", len(rs.All()))
	}
	write("b-other.json", `{"rules": [{"id": "reply", "name": "又一个", "starts": "service", "period": {"n": 5, "unit": "working_days"}, "basis": "b", "source": "s"}]}`)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "a-local.json") || !strings.Contains(err.Error(), "b-other.json") {
		t.Errorf("two files setting reply: %v", err)
	}
	write("b-other.json", `{"rules": [{"id": "other", "name": "n", "starts": "sevice", "period": {"n": 5, "unit": "working_days"}, "basis": "b", "source": "s"}]}`)
	_, err = Load(dir)
	var fe calendar.FieldErrors
	if !errors.As(err, &fe) || fe[0].Field != "rules[0].starts" || !strings.Contains(err.Error(), "b-other.json") {
		t.Errorf("bad file: %v", err)
	}
	if rs, err := Load(filepath.Join(dir, "absent")); err != nil || len(rs.All()) != 11 {
		t.Errorf("missing dir: %v", err)
	}
}
