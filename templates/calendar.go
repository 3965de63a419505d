package templates

import (
	"errors"

	"wenshu/calendar"
)

// The working-day calendar lives in package calendar, shared with package
// deadline; these aliases keep the names templates has always exported.

// MissingYearError is returned when a working-day computation needs a year
// with no holiday table. It never guesses.
type MissingYearError = calendar.MissingYearError

// Calendar knows the working days (工作日) of the years it has tables for:
// Monday to Friday, less statutory holidays (放假), plus make-up working
// days (调休上班) from the State Council's annual notice.
type Calendar = calendar.Calendar

// NewCalendar returns an empty calendar.
func NewCalendar() *Calendar { return calendar.New() }

// ValidateHolidayTable checks an admin-supplied holiday table (the shape of
// holidays-cn.json) without adding it, returning FieldErrors that name
// every fault (2027.holidays[3] bad_date, …).
func ValidateHolidayTable(data []byte) error {
	_, err := calendar.ParseTable(data)
	return fieldErrorsOf(err)
}

// AddHolidayTable validates a holiday table and adds its years to the
// registry's calendar at run time (an admin uploading next year's table).
// A year already present is refused with code year_exists. Faults are
// FieldErrors, so the server answers 422 naming each one. Documents
// rendered afterwards use the new year at once.
func (r *Registry) AddHolidayTable(data []byte) error {
	return fieldErrorsOf(r.cal.AddJSON(data))
}

// fieldErrorsOf turns calendar's field errors into templates' own.
func fieldErrorsOf(err error) error {
	var ce calendar.FieldErrors
	if !errors.As(err, &ce) {
		return err
	}
	out := make(FieldErrors, len(ce))
	for i, e := range ce {
		out[i] = FieldError(e)
	}
	return out
}
