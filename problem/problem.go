package problem

import (
	"errors"
	"fmt"
)

// Sentinel kinds. Every error that identity or archive returns on purpose
// wraps exactly one of them (through *Error), so the server maps a status
// with errors.Is in one place: ErrNotFound 404, ErrForbidden 403,
// ErrConflict 409, ErrInvalid 422 (or 400), ErrUnauthenticated 401,
// ErrTooLarge 413, ErrUnavailable 503, ErrGone 410. Anything else is an internal
// failure (500); its text may name SQL or MinIO details and must be
// logged, never shown.
var (
	ErrNotFound        = errors.New("not found")
	ErrForbidden       = errors.New("forbidden")
	ErrConflict        = errors.New("conflict")
	ErrInvalid         = errors.New("invalid")
	ErrUnauthenticated = errors.New("unauthenticated")
	ErrTooLarge        = errors.New("too large")
	// ErrUnavailable: a store the request needs (the catalog, the bucket)
	// does not answer. The outcome is unknown, not negative: never report
	// it as "missing" or as a failed verification.
	ErrUnavailable = errors.New("unavailable")
	// ErrGone (410): the thing existed and was destroyed on purpose (a
	// record disposed of by an approved 销毁清册).
	ErrGone = errors.New("gone")
)

// Error is a typed, user-facing error. Kind is one of the sentinels above,
// Code a stable snake_case identifier (e.g. "self_approval"), Field the
// offending input field if any, and Message a Chinese sentence safe to show
// to the user: it never contains SQL, object keys or MinIO errors.
type Error struct {
	Kind    error  `json:"-"`
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// Error implements error.
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s (%s): %s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the sentinel kind, so errors.Is(err, ErrConflict) works.
func (e *Error) Unwrap() error { return e.Kind }

// New returns an error of kind with a stable code and a Chinese message.
func New(kind error, code, msg string) *Error {
	return &Error{Kind: kind, Code: code, Message: msg}
}

// FieldError is New naming the offending input field.
func FieldError(kind error, code, field, msg string) *Error {
	return &Error{Kind: kind, Code: code, Field: field, Message: msg}
}

// NotFound says that what (in Chinese, e.g. "档案") does not exist or is
// not visible to the caller: the two are told the same, so existence does
// not leak.
func NotFound(what string) *Error {
	return New(ErrNotFound, "not_found", what+"不存在或无权查看")
}

// Forbidden is an ErrForbidden.
func Forbidden(code, msg string) *Error { return New(ErrForbidden, code, msg) }

// Conflict is an ErrConflict.
func Conflict(code, msg string) *Error { return New(ErrConflict, code, msg) }

// Invalid is an ErrInvalid on field.
func Invalid(code, field, msg string) *Error { return FieldError(ErrInvalid, code, field, msg) }

// Unauthenticated is an ErrUnauthenticated.
func Unauthenticated(code, msg string) *Error { return New(ErrUnauthenticated, code, msg) }

// Internal wraps an unexpected failure (SQL, MinIO, I/O) for the log, as
// "op: err". It is not an *Error, so the server treats it as a 500 and
// shows only a request id. An *Error passes through unchanged, and nil
// stays nil.
func Internal(op string, err error) error {
	if err == nil {
		return nil
	}
	var pe *Error
	if errors.As(err, &pe) {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}
