package identity

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
	"wenshu/catalog"
	"wenshu/problem"

	"golang.org/x/crypto/argon2"
)

// Passwords and browser sessions (登录). Bearer tokens (users.go) stay the
// way scripts authenticate; a password opens a session (sessions.go) for the web UI.
//
//   - Passwords are hashed with argon2id (RFC 9106) at m=19 MiB, t=2, p=1
//     (the OWASP minimum), a 16-byte random salt per password, and stored
//     as one PHC string that carries its parameters, so they can be raised
//     later without invalidating stored hashes.
//   - LoginMaxFailures wrong passwords in a row lock the account for
//     LockoutDuration. A wrong password, an unknown name, a locked or a
//     disabled account all get the same error (no user enumeration), take
//     about the same time (an unknown name is hashed too) and are audited.
//   - A session id is 32 random bytes; only its SHA-256 is stored. Each
//     session has its own CSRF token for the forms it is shown. It ends when
//     unused for SessionIdle, SessionLifetime after login, at logout, when
//     the password changes, or when the user is disabled.

// MinPasswordRunes is the shortest accepted password.
const MinPasswordRunes = 10

// maxPasswordBytes bounds what is hashed (argon2 takes any length; a
// megabyte "password" is only a way to burn CPU).
const maxPasswordBytes = 1024

// argon2id parameters for new hashes.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// CheckPassword reports whether pw meets the password rules (at least
// MinPasswordRunes characters, no control characters), as SetPassword
// would, so a caller can refuse it before creating anything.
func CheckPassword(pw string) error { return checkPassword(pw) }

// checkPassword enforces the password rules.
func checkPassword(pw string) error {
	switch {
	case !utf8.ValidString(pw):
		return problem.Invalid("bad_password", "password", "密码须为有效的文字")
	case utf8.RuneCountInString(pw) < MinPasswordRunes:
		return problem.Invalid("password_too_short", "password", fmt.Sprintf("密码至少%d个字符", MinPasswordRunes))
	case len(pw) > maxPasswordBytes:
		return problem.Invalid("password_too_long", "password", "密码过长")
	case strings.IndexFunc(pw, unicode.IsControl) >= 0:
		return problem.Invalid("bad_password", "password", "密码不能含控制字符（如换行、制表符）")
	}
	return nil
}

// hashPassword returns the PHC string of pw with a new salt.
func hashPassword(pw string) string {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		panic(err)
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key))
}

// verifyPassword checks pw against a PHC string made by hashPassword (with
// whatever parameters it records).
func verifyPassword(encoded, pw string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<22 || t > 100 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := enc.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 128 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is verified against for unknown names, so that they cost the
// same time as known ones. Made on first use, not at program start.
var dummyHash = sync.OnceValue(func() string { return hashPassword("wenshu-dummy-password") })

// SetPassword sets (or replaces) a user's password, clears any lockout and
// ends the user's sessions. It is an operator action (`wenshu user add
// --password-stdin`, `wenshu user passwd`); the HTTP layer uses
// AdminSetPassword.
func (d *Directory) SetPassword(ctx context.Context, userID int64, pw string) error {
	return d.setPassword(ctx, nil, userID, pw)
}

func (d *Directory) setPassword(ctx context.Context, actor *User, userID int64, pw string) error {
	if err := checkPassword(pw); err != nil {
		return err
	}
	hash := hashPassword(pw)
	return internal("set password", d.db.Tx(ctx, func(tx *sql.Tx) error {
		return d.storePassword(ctx, tx, actor, userID, hash)
	}))
}

// storePassword stores the PHC string hash as userID's password inside
// tx, clears any lockout, ends the user's sessions and audits
// user.password under actor (nil: the operator).
func (d *Directory) storePassword(ctx context.Context, tx *sql.Tx, actor *User, userID int64, hash string) error {
	now := catalog.FormatTime(d.now())
	var name string
	if err := tx.QueryRowContext(ctx, `SELECT name FROM users WHERE id = ?`, userID).Scan(&name); errors.Is(err, sql.ErrNoRows) {
		return problem.NotFound("用户")
	} else if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO passwords (user_id, hash, failures, locked_until, updated_at)
		VALUES (?, ?, 0, NULL, ?)
		ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, failures = 0, locked_until = NULL, updated_at = excluded.updated_at`,
		userID, hash, now); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID); err != nil {
		return err
	}
	return d.audit(ctx, tx, actor, "user.password", name)
}

// HasPassword reports whether a user can log in with a password, and
// whether the account is locked now (for the admin page).
func (d *Directory) HasPassword(ctx context.Context, userID int64) (has, locked bool, err error) {
	var lockedUntil sql.NullString
	err = d.db.Reader().QueryRowContext(ctx, `SELECT locked_until FROM passwords WHERE user_id = ?`, userID).Scan(&lockedUntil)
	if errors.Is(err, sql.ErrNoRows) {
		return false, false, nil
	}
	if err != nil {
		return false, false, internal("password state", err)
	}
	return true, lockedUntil.Valid && catalog.ParseTime(lockedUntil.String).After(d.now()), nil
}
