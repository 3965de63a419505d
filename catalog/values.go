package catalog

import (
	"database/sql"
	"time"
)

// TimeLayout is the format of every timestamp column: UTC, milliseconds,
// fixed width, so it sorts as text.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// FormatTime formats t for a timestamp column.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// ParseTime parses a timestamp column (TimeLayout, or RFC 3339 for older
// rows); a value in neither form gives the zero time.
func ParseTime(s string) time.Time {
	t, err := time.Parse(TimeLayout, s)
	if err != nil {
		t, _ = time.Parse(time.RFC3339Nano, s)
	}
	return t
}

// NullString stores "" as NULL.
func NullString(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}

// NullInt stores 0 as NULL.
func NullInt(n int64) sql.NullInt64 {
	return sql.NullInt64{Int64: n, Valid: n != 0}
}

// BoolInt stores a bool as 0 or 1.
func BoolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
