package calendar

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

//go:embed holidays/*.json
var builtinFS embed.FS

// Calendar knows the working days of the years it has tables for. It is
// safe for concurrent use: tables may be added at run time (an admin
// uploading next year's) while deadlines are computed.
type Calendar struct {
	mu    sync.RWMutex
	years map[int]yearTable
}

type yearTable struct {
	holidays map[string]bool
	workdays map[string]bool
}

// New returns an empty calendar.
func New() *Calendar { return &Calendar{years: map[int]yearTable{}} }

// Builtin returns a calendar holding the embedded tables
// (holidays/holidays-cn.json: 2025 and 2026).
func Builtin() (*Calendar, error) {
	c := New()
	entries, err := fs.ReadDir(builtinFS, "holidays")
	if err != nil {
		return nil, fmt.Errorf("calendar: builtin tables: %w", err)
	}
	for _, e := range entries {
		data, err := fs.ReadFile(builtinFS, "holidays/"+e.Name())
		if err != nil {
			return nil, fmt.Errorf("calendar: builtin tables: %w", err)
		}
		if err := c.AddJSON(data); err != nil {
			return nil, fmt.Errorf("%w (builtin %s)", err, e.Name())
		}
	}
	return c, nil
}

// AddJSON adds the years of a table in the shape of holidays-cn.json,
// checked by ParseTable. A year already present is refused (code
// year_exists): two tables must not disagree silently. Nothing is added
// unless the whole table is valid. Faults come back as FieldErrors.
func (c *Calendar) AddJSON(data []byte) error {
	tables, err := ParseTable(data)
	if err != nil {
		return err
	}
	return c.Add(tables...)
}

// Add adds parsed year tables, all or none.
func (c *Calendar) Add(tables ...YearTable) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs FieldErrors
	for _, t := range tables {
		if _, dup := c.years[t.Year]; dup {
			errs.add(fmt.Sprint(t.Year), CodeYearExists, fmt.Sprintf("已有%d年的节假日表，不能重复添加", t.Year))
		}
	}
	if len(errs) > 0 {
		return errs
	}
	for _, t := range tables {
		yt := yearTable{holidays: map[string]bool{}, workdays: map[string]bool{}}
		for _, d := range t.Holidays {
			yt.holidays[d.Format(time.DateOnly)] = true
		}
		for _, d := range t.Workdays {
			yt.workdays[d.Format(time.DateOnly)] = true
		}
		c.years[t.Year] = yt
	}
	return nil
}

// AddDir adds every *.json table in dir (an admin adds a year by dropping
// a file there, without a release). A missing dir adds nothing.
func (c *Calendar) AddDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("calendar: holiday dir: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return fmt.Errorf("calendar: holiday table: %w", err)
		}
		if err := c.AddJSON(data); err != nil {
			return fmt.Errorf("%w (%s)", err, e.Name())
		}
	}
	return nil
}

// Years lists the years the calendar has tables for.
func (c *Calendar) Years() []int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	ys := make([]int, 0, len(c.years))
	for y := range c.years {
		ys = append(ys, y)
	}
	sort.Ints(ys)
	return ys
}

// HasYear reports whether the calendar has year's table.
func (c *Calendar) HasYear(year int) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	_, ok := c.years[year]
	return ok
}

// MissingNextYear tells whether an admin must be warned, as of asOf, that
// a holiday table is missing: the current year's at any time, next year's
// from 1 November (the State Council usually publishes it in late October
// or November). It returns the year concerned: next year when nothing is
// missing.
func (c *Calendar) MissingNextYear(asOf time.Time) (year int, missing bool) {
	if !c.HasYear(asOf.Year()) {
		return asOf.Year(), true
	}
	next := asOf.Year() + 1
	return next, asOf.Month() >= time.November && !c.HasYear(next)
}

// workday reports whether day is a working day and whether its year has a
// table; without one, only weekends are off.
func (c *Calendar) workday(day time.Time) (work, known bool) {
	c.mu.RLock()
	yt, ok := c.years[day.Year()]
	c.mu.RUnlock()
	wd := day.Weekday()
	weekday := wd != time.Saturday && wd != time.Sunday
	if !ok {
		return weekday, false
	}
	key := day.Format(time.DateOnly)
	switch {
	case yt.workdays[key]:
		return true, true
	case yt.holidays[key]:
		return false, true
	}
	return weekday, true
}

// IsWorkday reports whether day is a working day; a year without a table
// is a MissingYearError.
func (c *Calendar) IsWorkday(day time.Time) (bool, error) {
	work, known := c.workday(day)
	if !known {
		return false, &MissingYearError{Year: day.Year()}
	}
	return work, nil
}

// AddWorkdays returns the n-th working day after start: the start day is
// not counted, day 1 is the next working day, and the deadline is the n-th
// working day itself. A year without a table on the way (or start's own)
// is a MissingYearError: use it for dates printed in a document.
func (c *Calendar) AddWorkdays(start time.Time, n int) (time.Time, error) {
	day, provisional, err := c.AddWorkdaysProvisional(start, n)
	if err != nil {
		return time.Time{}, err
	}
	if provisional {
		for d := Day(start); !d.After(day); d = d.AddDate(0, 0, 1) {
			if !c.HasYear(d.Year()) {
				return time.Time{}, &MissingYearError{Year: d.Year()}
			}
		}
	}
	return day, nil
}

// AddWorkdaysProvisional is AddWorkdays that never fails for a missing
// year: the days of such a year are counted over weekends only and the
// result is marked provisional. Use it to track a deadline, never to print
// one.
func (c *Calendar) AddWorkdaysProvisional(start time.Time, n int) (due time.Time, provisional bool, err error) {
	if n < 0 {
		return time.Time{}, false, fmt.Errorf("calendar: negative working days %d", n)
	}
	day := Day(start)
	provisional = !c.HasYear(day.Year())
	for n > 0 {
		day = day.AddDate(0, 0, 1)
		work, known := c.workday(day)
		if !known {
			provisional = true
		}
		if work {
			n--
		}
	}
	return day, provisional, nil
}

// NextWorkday returns day if it is a working day, else the first working
// day after it; provisional if a year without a table was looked at.
func (c *Calendar) NextWorkday(day time.Time) (time.Time, bool) {
	day = Day(day)
	provisional := false
	for {
		work, known := c.workday(day)
		if !known {
			provisional = true
		}
		if work {
			return day, provisional
		}
		day = day.AddDate(0, 0, 1)
	}
}

// Day is t's calendar date at midnight UTC, the form every date of this
// package takes.
func Day(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
