package calendar

import (
	"fmt"
	"strings"
)

// MissingYearError is returned when a working-day computation that must be
// exact needs a year with no holiday table. It never guesses.
type MissingYearError struct{ Year int }

func (e *MissingYearError) Error() string {
	return fmt.Sprintf("calendar: no holiday table for %d", e.Year)
}

// FieldError is one fault in an admin-supplied data file: Field is its
// path in the file (2027.holidays[3], rules[0].period.unit), Code a stable
// snake_case code, Message Chinese. Its shape is that of
// templates.FieldError, so the server shows both the same way.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// FieldErrors lists every fault of one file at once.
type FieldErrors []FieldError

func (e FieldErrors) Error() string {
	parts := make([]string, 0, len(e))
	for _, fe := range e {
		parts = append(parts, fe.Field+": "+fe.Code)
	}
	return "calendar: invalid table: " + strings.Join(parts, ", ")
}

func (e *FieldErrors) add(field, code, msg string) {
	*e = append(*e, FieldError{Field: field, Code: code, Message: msg})
}

// Codes of FieldError.
const (
	CodeBadJSON           = "bad_json"
	CodeBadYear           = "bad_year"
	CodeBadType           = "bad_type"
	CodeUnknownField      = "unknown_field"
	CodeRequired          = "required"
	CodeBadDate           = "bad_date"
	CodeDateOutsideYear   = "date_outside_year"
	CodeDuplicateDate     = "duplicate_date"
	CodeHolidayAndWorkday = "holiday_and_workday"
	CodeWorkdayNotWeekend = "workday_not_weekend"
	CodeNoYear            = "no_year"
	CodeYearExists        = "year_exists"
)
