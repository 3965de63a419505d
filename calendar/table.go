package calendar

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// YearTable is one year of the State Council's holiday notice: the days
// off (放假, weekdays or weekends) and the weekend days worked (调休上班).
type YearTable struct {
	Year     int
	Holidays []time.Time
	Workdays []time.Time
}

// ParseTable reads a holiday table in the shape of holidays-cn.json,
//
//	{"_about": "…", "2027": {"holidays": ["2027-01-01", …], "workdays": ["2027-02-06", …]}}
//
// and checks it: a JSON object whose keys are four-digit years (keys
// starting with "_" are comments), each holding exactly "holidays" (not
// empty) and "workdays" (may be empty), lists of YYYY-MM-DD dates in that
// year, no date twice, none both a holiday and a workday, and only weekend
// days as workdays. It returns every fault at once as FieldErrors.
func ParseTable(data []byte) ([]YearTable, error) {
	var errs FieldErrors
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil || raw == nil {
		errs.add("table", CodeBadJSON, "节假日表应为一个 JSON 对象，如 {\"2027\": {\"holidays\": [...], \"workdays\": [...]}}")
		return nil, errs
	}
	var out []YearTable
	for _, key := range slices.Sorted(maps.Keys(raw)) {
		if strings.HasPrefix(key, "_") {
			continue
		}
		year, err := strconv.Atoi(key)
		if err != nil || len(key) != 4 || year < 1949 {
			errs.add(key, CodeBadYear, fmt.Sprintf("「%s」不是年份；年度键应为四位年份，如 \"2027\"（以 _ 开头的键为说明）", key))
			continue
		}
		if yt, ok := parseYear(year, raw[key], &errs); ok {
			out = append(out, yt)
		}
	}
	if len(out) == 0 && len(errs) == 0 {
		errs.add("table", CodeNoYear, "节假日表中没有任何年度")
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// parseYear checks one year's object, adding its faults to errs.
func parseYear(year int, msg json.RawMessage, errs *FieldErrors) (YearTable, bool) {
	key := strconv.Itoa(year)
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(msg, &obj); err != nil || obj == nil {
		errs.add(key, CodeBadType, fmt.Sprintf("%d年应为对象，含 holidays 和 workdays 两个日期列表", year))
		return YearTable{}, false
	}
	before := len(*errs)
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		if k != "holidays" && k != "workdays" {
			errs.add(key+"."+k, CodeUnknownField, fmt.Sprintf("未知字段 %s（只能是 holidays 或 workdays）", k))
		}
	}
	yt := YearTable{Year: year}
	seen := map[string]string{}
	yt.Holidays = parseDays(year, key+".holidays", obj["holidays"], true, seen, errs)
	yt.Workdays = parseDays(year, key+".workdays", obj["workdays"], false, seen, errs)
	return yt, len(*errs) == before
}

// parseDays checks one list of dates; seen maps each date to the path that
// listed it first.
func parseDays(year int, path string, msg json.RawMessage, holidays bool, seen map[string]string, errs *FieldErrors) []time.Time {
	label := "调休上班日（workdays）"
	if holidays {
		label = "放假日期（holidays）"
	}
	if msg == nil {
		if holidays {
			errs.add(path, CodeRequired, fmt.Sprintf("%d年缺少%s", year, label))
		} else {
			errs.add(path, CodeRequired, fmt.Sprintf("%d年缺少%s；没有调休时写 []", year, label))
		}
		return nil
	}
	var list []string
	dec := json.NewDecoder(bytes.NewReader(msg))
	if err := dec.Decode(&list); err != nil || list == nil {
		errs.add(path, CodeBadType, fmt.Sprintf("%d年的%s应为日期列表，如 [\"%d-01-01\"]", year, label, year))
		return nil
	}
	if holidays && len(list) == 0 {
		errs.add(path, CodeRequired, fmt.Sprintf("%d年的%s不能为空", year, label))
		return nil
	}
	days := make([]time.Time, 0, len(list))
	for i, s := range list {
		p := fmt.Sprintf("%s[%d]", path, i)
		day, err := time.Parse("2006-01-02", s)
		switch {
		case err != nil:
			errs.add(p, CodeBadDate, fmt.Sprintf("「%s」不是有效日期，应为 YYYY-MM-DD", s))
			continue
		case day.Year() != year:
			errs.add(p, CodeDateOutsideYear, fmt.Sprintf("%s 不在%d年内", s, year))
			continue
		}
		if first, dup := seen[s]; dup {
			code, msg := CodeDuplicateDate, fmt.Sprintf("%s 已在 %s 中列出", s, first)
			if strings.HasSuffix(first, "]") && strings.Contains(first, ".holidays[") != holidays {
				code, msg = CodeHolidayAndWorkday, fmt.Sprintf("%s 不能既是放假日又是调休上班日（见 %s）", s, first)
			}
			errs.add(p, code, msg)
			continue
		}
		seen[s] = p
		if wd := day.Weekday(); !holidays && wd != time.Saturday && wd != time.Sunday {
			errs.add(p, CodeWorkdayNotWeekend, fmt.Sprintf("%s 是工作日（周一至周五），不必列为调休上班日", s))
			continue
		}
		days = append(days, day)
	}
	return days
}
