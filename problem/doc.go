// Package problem is the domain error of wenshu: a typed, user-facing
// error (Error: kind, stable code, offending field, Chinese message) and
// the sentinel kinds it wraps. identity and archive return it; server maps
// each kind to an HTTP status in one place.
//
// It knows nothing of HTTP, SQL or storage: a kind says what went wrong in
// the domain (not found, forbidden, conflict, …), never which status a
// transport gives it.
package problem
