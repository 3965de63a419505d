// Package identity owns who is who and who may see what: units (单位),
// users, roles (角色) and their Chinese names, clearances (密级), bearer
// tokens, passwords (argon2id), browser sessions and lockout, cross-unit
// read grants (授权查阅), saved searches (a user's own named searches), the
// operator identity of CLI commands on the host, and the one visibility
// rule (CanRead, CanReadDraft, VisibleUnits).
//
// Everything lives in the shared catalog (package catalog); a Directory is
// the handle on it. Changes to units, users, tokens, passwords and grants,
// and every login and logout, are audited in the same transaction as the
// change (saved searches, a user's own business, are not).
//
// It must not know HTTP (no status codes, cookies or headers: it returns
// *problem.Error values that the server maps), MinIO or any object store,
// nor records, drafts or search: archive asks it for a unit, a user or the
// visibility rule, never the other way round.
//
// # Roles and the visibility rule
//
// A user reads a record or draft of its own unit whose classification is
// at most its clearance; anything else is reported as not found, so its
// existence does not leak. Archivists and auditors may be granted other
// units (GrantUnit) and then read, search and verify their records too;
// grants never extend to drafts. Disabled users read nothing; Operator
// (an identity only the CLI on the host can make) reads everything.
//
// Units, users, tokens and grants are operator actions (the CLI); the web
// UI's admin pages use the Admin* methods, which check the admin role and
// name the admin in the audit trail.
//
// # Passwords, sessions and tokens
//
// See passwords.go and sessions.go: argon2id PHC strings, lockout after
// Options.LoginMaxFailures wrong passwords, one answer for every failed
// login, sessions ending after Options.SessionIdle or
// Options.SessionLifetime, and only the SHA-256 of a token or session id
// kept in the catalog.
package identity
