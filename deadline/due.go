package deadline

import (
	"fmt"
	"time"

	"wenshu/calendar"
)

// Due returns the due date of rule for a period started on start (only
// its calendar date counts), over cal's holiday tables:
//
//   - working days: the N-th working day after start (start not counted);
//     a year without a table is counted over weekends only and the result
//     is provisional;
//   - days: start + N days;
//   - months: the same day N months later, or that month's last day when
//     it has no such day (1月31日 + 1个月 = 2月28日, or 29日 in a leap year).
//
// With StartDayCounts the period ends one day earlier. With RollToWorkday
// a days or months due date on a day off moves to the next working day
// (provisional when that needs a year without a table). Due never fails
// for a missing year; it fails only for an invalid rule.
func Due(cal *calendar.Calendar, rule Rule, start time.Time) (due time.Time, provisional bool, err error) {
	if errs := rule.check(); len(errs) > 0 {
		return time.Time{}, false, fmt.Errorf("deadline: rule %q: %w", rule.ID, errs)
	}
	from := calendar.Day(start)
	n := rule.Period.N
	switch rule.Period.Unit {
	case WorkingDays:
		if rule.StartDayCounts {
			from = from.AddDate(0, 0, -1)
		}
		return cal.AddWorkdaysProvisional(from, n)
	case Days:
		due = from.AddDate(0, 0, n)
	case Months:
		due = AddMonths(from, n)
	}
	if rule.StartDayCounts {
		due = due.AddDate(0, 0, -1)
	}
	if rule.RollToWorkday {
		due, provisional = cal.NextWorkday(due)
	}
	return due, provisional, nil
}

// AddMonths returns the same day n months after day, clamped to the end of
// the target month.
func AddMonths(day time.Time, n int) time.Time {
	first := time.Date(day.Year(), day.Month()+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	d := day.Day()
	if d > last {
		d = last
	}
	return time.Date(first.Year(), first.Month(), d, 0, 0, 0, 0, time.UTC)
}

// Deadline is a computed due date with what the ledger and the API show
// beside it.
type Deadline struct {
	Kind        string    `json:"kind"` // the rule's id, e.g. "reply"
	Name        string    `json:"name"`
	Start       time.Time `json:"start"`
	Due         time.Time `json:"due"`
	Provisional bool      `json:"provisional"`
	Basis       string    `json:"basis"` // Rule.Citation
}

// Book is the rules and the calendar they are counted on: what archive
// needs to open a deadline when a letter is served.
type Book struct {
	Calendar *calendar.Calendar
	Rules    *Rules
}

// Compute finds rule id and computes its deadline from start. An unknown
// id wraps ErrUnknownRule.
func (b Book) Compute(id string, start time.Time) (Deadline, error) {
	r, err := b.Rules.Get(id)
	if err != nil {
		return Deadline{}, err
	}
	due, prov, err := Due(b.Calendar, r, start)
	if err != nil {
		return Deadline{}, err
	}
	return Deadline{Kind: r.ID, Name: r.Name, Start: calendar.Day(start), Due: due, Provisional: prov, Basis: r.Citation()}, nil
}
