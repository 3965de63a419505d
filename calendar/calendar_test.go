package calendar

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"wenshu/internal/testenv"
)

func builtin(t *testing.T) *Calendar {
	t.Helper()
	c, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestBuiltinYears(t *testing.T) {
	if got := builtin(t).Years(); len(got) != 2 || got[0] != 2025 || got[1] != 2026 {
		t.Errorf("years %v, want [2025 2026]", got)
	}
}

// TestProvisionalIntoMissingYear: AddWorkdays refuses a year without a
// table; AddWorkdaysProvisional counts it over weekends only and says so.
func TestProvisionalIntoMissingYear(t *testing.T) {
	c := builtin(t)
	// 2026-12-21 (Mon): Dec 22–25 are 1–4, Dec 28–31 5–8; 2027 has no table,
	// so only weekends are off: Jan 1 (Fri) 9, Jan 4–8 10–14, Jan 11 15.
	due, prov, err := c.AddWorkdaysProvisional(testenv.Day("2026-12-21"), 15)
	if err != nil || !prov || due.Format(time.DateOnly) != "2027-01-11" {
		t.Errorf("got %s provisional=%v err=%v, want 2027-01-11 provisional", due.Format(time.DateOnly), prov, err)
	}
	var miss *MissingYearError
	if _, err := c.AddWorkdays(testenv.Day("2026-12-21"), 15); !errors.As(err, &miss) || miss.Year != 2027 {
		t.Errorf("AddWorkdays into 2027: %v, want MissingYearError{2027}", err)
	}
	// Inside the table: exact, not provisional.
	due, prov, err = c.AddWorkdaysProvisional(testenv.Day("2026-12-01"), 15)
	if err != nil || prov || due.Format(time.DateOnly) != "2026-12-22" {
		t.Errorf("2026-12-01 + 15: %s provisional=%v err=%v, want 2026-12-22 exact", due.Format(time.DateOnly), prov, err)
	}
	// With the 2027 table (1 January off) the same count is exact.
	if err := c.AddJSON([]byte(`{"2027": {"holidays": ["2027-01-01"], "workdays": []}}`)); err != nil {
		t.Fatal(err)
	}
	due, prov, err = c.AddWorkdaysProvisional(testenv.Day("2026-12-21"), 15)
	if err != nil || prov || due.Format(time.DateOnly) != "2027-01-12" {
		t.Errorf("with 2027: %s provisional=%v err=%v, want 2027-01-12 exact", due.Format(time.DateOnly), prov, err)
	}
	if _, _, err := c.AddWorkdaysProvisional(testenv.Day("2026-12-21"), -1); err == nil {
		t.Error("negative count accepted")
	}
}

func TestNextWorkday(t *testing.T) {
	c := builtin(t)
	for _, tc := range []struct {
		in, want string
		prov     bool
	}{
		{"2026-10-01", "2026-10-08", false}, // 国庆
		{"2026-10-10", "2026-10-10", false}, // 调休 Saturday
		{"2026-10-09", "2026-10-09", false},
		{"2027-01-02", "2027-01-04", true}, // no 2027 table: weekends only
	} {
		got, prov := c.NextWorkday(testenv.Day(tc.in))
		if got.Format(time.DateOnly) != tc.want || prov != tc.prov {
			t.Errorf("NextWorkday(%s) = %s %v, want %s %v", tc.in, got.Format(time.DateOnly), prov, tc.want, tc.prov)
		}
	}
}

func TestMissingNextYear(t *testing.T) {
	c := builtin(t)
	for _, tc := range []struct {
		asOf    string
		year    int
		missing bool
	}{
		{"2026-10-31", 2027, false}, // too early to warn
		{"2026-11-01", 2027, true},  // from 1 November
		{"2026-12-31", 2027, true},
		{"2025-11-15", 2026, false}, // 2026 is there
		{"2027-01-04", 2027, true},  // the current year itself is missing
	} {
		y, m := c.MissingNextYear(testenv.Day(tc.asOf))
		if y != tc.year || m != tc.missing {
			t.Errorf("MissingNextYear(%s) = %d %v, want %d %v", tc.asOf, y, m, tc.year, tc.missing)
		}
	}
	if err := c.AddJSON([]byte(`{"2027": {"holidays": ["2027-01-01"], "workdays": []}}`)); err != nil {
		t.Fatal(err)
	}
	if y, m := c.MissingNextYear(testenv.Day("2026-11-01")); y != 2027 || m {
		t.Errorf("after adding 2027: %d %v", y, m)
	}
}

// TestParseTableErrors: every fault of an admin's file is named with its
// path and a stable code, all at once, and nothing is added.
func TestParseTableErrors(t *testing.T) {
	cases := []struct {
		name, json string
		want       map[string]string
	}{
		{"not an object", `[1, 2]`, map[string]string{"table": CodeBadJSON}},
		{"not JSON", `{"2027": `, map[string]string{"table": CodeBadJSON}},
		{"no year", `{"_about": "x"}`, map[string]string{"table": CodeNoYear}},
		{"bad year key", `{"27": {"holidays": ["2027-01-01"], "workdays": []}}`, map[string]string{"27": CodeBadYear}},
		{"year not object", `{"2027": ["2027-01-01"]}`, map[string]string{"2027": CodeBadType}},
		{"typo in key", `{"2027": {"holiday": ["2027-01-01"], "workdays": []}}`,
			map[string]string{"2027.holiday": CodeUnknownField, "2027.holidays": CodeRequired}},
		{"missing workdays", `{"2027": {"holidays": ["2027-01-01"]}}`, map[string]string{"2027.workdays": CodeRequired}},
		{"empty holidays", `{"2027": {"holidays": [], "workdays": []}}`, map[string]string{"2027.holidays": CodeRequired}},
		{"dates not strings", `{"2027": {"holidays": [20270101], "workdays": []}}`, map[string]string{"2027.holidays": CodeBadType}},
		{"every date fault", `{"2027": {
			"holidays": ["2027-01-01", "2027-02-30", "2026-12-31", "2027-01-01", "2027-02-06"],
			"workdays": ["2027-02-06", "2027-02-08", "2027/02/20"]}}`,
			map[string]string{
				"2027.holidays[1]": CodeBadDate, "2027.holidays[2]": CodeDateOutsideYear, "2027.holidays[3]": CodeDuplicateDate,
				"2027.workdays[0]": CodeHolidayAndWorkday, // 2-06 (Sat) is listed as a holiday too
				"2027.workdays[1]": CodeWorkdayNotWeekend, // 2-08 is a Monday
				"2027.workdays[2]": CodeBadDate,
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseTable([]byte(tc.json))
			var fe FieldErrors
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
			if len(got) != len(tc.want) || len(fe) != len(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			for f, code := range tc.want {
				if got[f] != code {
					t.Errorf("%s: %q, want %q (all %v)", f, got[f], code, got)
				}
			}
			c := New()
			if err := c.AddJSON([]byte(tc.json)); err == nil || len(c.Years()) != 0 {
				t.Errorf("AddJSON accepted it: %v, years %v", err, c.Years())
			}
		})
	}
	// The shipped table passes, comments and all.
	data, err := os.ReadFile(filepath.Join("holidays", "holidays-cn.json"))
	if err != nil {
		t.Fatal(err)
	}
	if ys, err := ParseTable(data); err != nil || len(ys) != 2 {
		t.Errorf("holidays-cn.json: %d years, %v", len(ys), err)
	}
}

func TestAddTwiceAndDir(t *testing.T) {
	c := builtin(t)
	err := c.AddJSON([]byte(`{"2026": {"holidays": ["2026-01-01"], "workdays": []}, "2027": {"holidays": ["2027-01-01"], "workdays": []}}`))
	var fe FieldErrors
	if !errors.As(err, &fe) || len(fe) != 1 || fe[0].Field != "2026" || fe[0].Code != CodeYearExists {
		t.Fatalf("second 2026: %v", err)
	}
	if c.HasYear(2027) {
		t.Error("2027 added although the table was refused")
	}
	dir := t.TempDir()
	if err := c.AddDir(filepath.Join(dir, "absent")); err != nil {
		t.Errorf("missing dir: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "2027.json"), []byte(`{"2027": {"holidays": ["2027-01-01"], "workdays": []}}`), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("ignored"), 0o644)
	if err := c.AddDir(dir); err != nil || !c.HasYear(2027) {
		t.Fatalf("AddDir: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "bad.json"), []byte(`{"2028": {"holidays": ["2028-13-01"], "workdays": []}}`), 0o644)
	if err := New().AddDir(dir); err == nil || !errors.As(err, &fe) {
		t.Errorf("bad file in dir: %v", err)
	}
}

// TestAddWhileComputing: a table added at run time while deadlines are
// computed (run with -race).
func TestAddWhileComputing(t *testing.T) {
	c := builtin(t)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				if _, _, err := c.AddWorkdaysProvisional(testenv.Day("2026-12-21"), 15); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	if err := c.AddJSON([]byte(`{"2027": {"holidays": ["2027-01-01"], "workdays": []}}`)); err != nil {
		t.Error(err)
	}
	wg.Wait()
	if due, prov, _ := c.AddWorkdaysProvisional(testenv.Day("2026-12-21"), 15); prov || due.Format(time.DateOnly) != "2027-01-12" {
		t.Errorf("after the upload: %s provisional=%v", due.Format(time.DateOnly), prov)
	}
}
