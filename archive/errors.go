package archive

import (
	"errors"
	"fmt"
)

// Sentinel kinds. Every error the Store returns on purpose wraps exactly one
// of them (through *Error), so the server maps a status with errors.Is in
// one place: ErrNotFound 404, ErrForbidden 403, ErrConflict 409, ErrInvalid
// 422 (or 400), ErrUnauthenticated 401, ErrTooLarge 413. Anything else is an
// internal failure (500); its text may name SQL or MinIO details and must be
// logged, never shown.
var (
	ErrNotFound        = errors.New("archive: not found")
	ErrForbidden       = errors.New("archive: forbidden")
	ErrConflict        = errors.New("archive: conflict")
	ErrInvalid         = errors.New("archive: invalid")
	ErrUnauthenticated = errors.New("archive: unauthenticated")
	ErrTooLarge        = errors.New("archive: too large")
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
		return fmt.Sprintf("archive: %s (%s): %s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("archive: %s: %s", e.Code, e.Message)
}

// Unwrap returns the sentinel kind, so errors.Is(err, ErrConflict) works.
func (e *Error) Unwrap() error { return e.Kind }

func newErr(kind error, code, msg string) *Error {
	return &Error{Kind: kind, Code: code, Message: msg}
}

func fieldErr(kind error, code, field, msg string) *Error {
	return &Error{Kind: kind, Code: code, Field: field, Message: msg}
}

func notFound(what string) *Error {
	return newErr(ErrNotFound, "not_found", what+"不存在或无权查看")
}

func forbidden(code, msg string) *Error { return newErr(ErrForbidden, code, msg) }

func conflict(code, msg string) *Error { return newErr(ErrConflict, code, msg) }

func invalid(code, field, msg string) *Error { return fieldErr(ErrInvalid, code, field, msg) }

// internal wraps an unexpected failure (SQL, MinIO, I/O) for the log. It is
// not an *Error, so the server treats it as a 500 and shows only a request id.
func internal(op string, err error) error {
	if err == nil {
		return nil
	}
	var ae *Error
	if errors.As(err, &ae) {
		return err
	}
	return fmt.Errorf("archive: %s: %w", op, err)
}
