package search

import (
	"errors"
	"fmt"
)

// Stable codes of a QueryError. The server maps any *QueryError to HTTP 400
// and may show Message (Chinese) to the user.
const (
	CodeUnbalancedQuote   = "unbalanced_quote"
	CodeUnbalancedParen   = "unbalanced_paren"
	CodeDanglingOperator  = "dangling_operator"
	CodeEmptyFieldValue   = "empty_field_value"
	CodeQueryTooLong      = "query_too_long"
	CodeTooManyTerms      = "too_many_terms"
	CodeTooDeep           = "too_deep"
	CodeBadEncoding       = "bad_encoding"
	CodeSizeTooLarge      = "size_too_large"
	CodeBadSize           = "bad_size"
	CodeBadPage           = "bad_page"
	CodeBadSort           = "bad_sort"
	CodeBadYear           = "bad_year"
	CodeBadDateRange      = "bad_date_range"
	CodeBadClassification = "bad_classification"
	CodeBadRetention      = "bad_retention"
)

// QueryError is a problem with the caller's request: the query string or one
// of the other parameters. It is the caller's fault, never the index's.
type QueryError struct {
	Field   string `json:"field"`   // request parameter: "q", "size", "page", "sort", …
	Code    string `json:"code"`    // stable, one of the Code* constants
	Message string `json:"message"` // for the user, in Chinese
}

func (e *QueryError) Error() string {
	return fmt.Sprintf("search: bad %s: %s (%s)", e.Field, e.Code, e.Message)
}

func qerr(field, code, format string, args ...any) *QueryError {
	return &QueryError{Field: field, Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrBadDoc is wrapped by Index when a Doc cannot be indexed (no ID, an
// unknown classification or retention …).
var ErrBadDoc = errors.New("search: bad document")

// ErrBadViewer is returned when a Viewer's clearance is not one of
// 公开, 内部, 秘密, 机密 (or empty, meaning 公开).
var ErrBadViewer = errors.New("search: bad viewer")

// ErrClosed is returned by every method of a closed Index.
var ErrClosed = errors.New("search: index closed")

// ErrBulk is returned by BeginBulk when a bulk reindex is already under way
// and by MarkReindexed before EndBulk.
var ErrBulk = errors.New("search: bulk reindex under way (call EndBulk first)")
