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
// # Admins are scoped; cross-unit work is the operator's
//
// The web UI's admin pages use the Admin* methods (admin.go): an admin
// manages the users of its own unit only, never at a clearance above its
// own, and never an admin (it cannot create one, give the admin role, or
// disable, enable or reset an admin, itself included). A unit name that
// does not exist is an error (unit_not_found on field unit), never a new
// unit. Everything that crosses units — units, grants (授权查阅), admins,
// users of any unit — is an operator action on the host (the CLI, whose
// caller is Operator); we chose this over a second person's approval: the
// host is already the trust boundary (it holds the keys and the catalog),
// and an approval flow would add a web path to cross-unit power. Every
// admin action is audited under the admin's name, allowed or refused
// (admin.denied with the action, the target and the refusal code).
//
// The operator's `wenshu user add` still creates a unit it does not know
// with placeholder codes (and says so): nothing can be filed for such a
// unit until `wenshu unit add` with the same name sets its codes.
//
// # The text rule
//
// User, unit and saved-search names follow the text rule of package
// textrule (one-line): no invalid UTF-8, U+FFFD, controls or bidi and
// other format characters.
//
// # Passwords, sessions and tokens
//
// See passwords.go and sessions.go: argon2id PHC strings, lockout after
// Options.LoginMaxFailures wrong passwords, one answer for every failed
// login, sessions ending after Options.SessionIdle or
// Options.SessionLifetime, and only the SHA-256 of a token or session id
// kept in the catalog.
package identity
