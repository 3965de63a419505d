package archive

import "wenshu/problem"

// The sentinel kinds of package problem, under their old names: every
// error the Store returns on purpose wraps one of them through a
// *problem.Error, so errors.Is(err, archive.ErrConflict) and
// errors.Is(err, problem.ErrConflict) are the same test.
var (
	ErrNotFound        = problem.ErrNotFound
	ErrForbidden       = problem.ErrForbidden
	ErrConflict        = problem.ErrConflict
	ErrInvalid         = problem.ErrInvalid
	ErrUnauthenticated = problem.ErrUnauthenticated
	ErrTooLarge        = problem.ErrTooLarge
	ErrGone            = problem.ErrGone
)

// internal wraps an unexpected failure (SQL, MinIO, I/O) for the log (see
// problem.Internal): the server shows only a request id for it.
func internal(op string, err error) error { return problem.Internal("archive: "+op, err) }
