package templates

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// MissingYearError is returned when a working-day computation needs a year
// with no holiday table. It never guesses.
type MissingYearError struct{ Year int }

func (e *MissingYearError) Error() string {
	return fmt.Sprintf("templates: no holiday table for %d", e.Year)
}

// Calendar knows the working days (工作日) of the years it has tables for:
// Monday to Friday, less statutory holidays (放假), plus make-up working
// days (调休上班) from the State Council's annual notice.
type Calendar struct {
	years map[int]yearTable
}

type yearTable struct {
	holidays map[string]bool
	workdays map[string]bool
}

// NewCalendar returns an empty calendar.
func NewCalendar() *Calendar { return &Calendar{years: map[int]yearTable{}} }

// AddJSON adds the years of a table in the shape of holidays-cn.json:
// {"2026": {"holidays": ["2026-01-01", …], "workdays": ["2026-01-04", …]}}.
// Keys that are not years (such as "_about") are ignored. A year already
// present is an error: two tables must not disagree silently.
func (c *Calendar) AddJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("templates: holiday table: %w", err)
	}
	for key, msg := range raw {
		year, err := strconv.Atoi(key)
		if err != nil {
			continue
		}
		var t struct {
			Holidays []string `json:"holidays"`
			Workdays []string `json:"workdays"`
		}
		if err := json.Unmarshal(msg, &t); err != nil {
			return fmt.Errorf("templates: holiday table %d: %w", year, err)
		}
		if _, dup := c.years[year]; dup {
			return fmt.Errorf("templates: holiday table %d given twice", year)
		}
		yt := yearTable{holidays: map[string]bool{}, workdays: map[string]bool{}}
		for _, list := range []struct {
			days []string
			into map[string]bool
		}{{t.Holidays, yt.holidays}, {t.Workdays, yt.workdays}} {
			for _, d := range list.days {
				day, err := time.Parse("2006-01-02", d)
				if err != nil || day.Year() != year {
					return fmt.Errorf("templates: holiday table %d: bad date %q", year, d)
				}
				list.into[d] = true
			}
		}
		for d := range yt.workdays {
			if yt.holidays[d] {
				return fmt.Errorf("templates: holiday table %d: %s is both holiday and workday", year, d)
			}
		}
		c.years[year] = yt
	}
	return nil
}

// AddDir adds every *.json table in dir (an admin adds a year by dropping
// a file there, without a release).
func (c *Calendar) AddDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("templates: holiday dir: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return fmt.Errorf("templates: holiday table: %w", err)
		}
		if err := c.AddJSON(data); err != nil {
			return fmt.Errorf("%w (%s)", err, e.Name())
		}
	}
	return nil
}

// Years lists the years the calendar has tables for.
func (c *Calendar) Years() []int {
	ys := make([]int, 0, len(c.years))
	for y := range c.years {
		ys = append(ys, y)
	}
	sort.Ints(ys)
	return ys
}

// IsWorkday reports whether day is a working day.
func (c *Calendar) IsWorkday(day time.Time) (bool, error) {
	yt, ok := c.years[day.Year()]
	if !ok {
		return false, &MissingYearError{Year: day.Year()}
	}
	key := day.Format("2006-01-02")
	if yt.workdays[key] {
		return true, nil
	}
	if yt.holidays[key] {
		return false, nil
	}
	wd := day.Weekday()
	return wd != time.Saturday && wd != time.Sunday, nil
}

// AddWorkdays returns the n-th working day after start: the day of
// receipt is not counted, day 1 is the next working day, and the deadline
// is the n-th working day itself.
func (c *Calendar) AddWorkdays(start time.Time, n int) (time.Time, error) {
	if n < 0 {
		return time.Time{}, fmt.Errorf("templates: negative working days %d", n)
	}
	day := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, time.UTC)
	if _, ok := c.years[day.Year()]; !ok {
		return time.Time{}, &MissingYearError{Year: day.Year()}
	}
	for n > 0 {
		day = day.AddDate(0, 0, 1)
		ok, err := c.IsWorkday(day)
		if err != nil {
			return time.Time{}, err
		}
		if ok {
			n--
		}
	}
	return day, nil
}
