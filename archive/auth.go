package archive

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
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Passwords and browser sessions (登录). Bearer tokens (users.go) stay the
// way scripts authenticate; a password opens a session for the web UI.
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

// Session is a logged-in browser session. ID is the cookie value, known
// only to the browser once Login returns.
type Session struct {
	ID        string
	CSRF      string
	UserID    int64
	ExpiresAt time.Time
}

func (o *Options) authDefaults() {
	if o.LoginMaxFailures <= 0 {
		o.LoginMaxFailures = 5
	}
	if o.LockoutDuration <= 0 {
		o.LockoutDuration = 15 * time.Minute
	}
	if o.SessionIdle <= 0 {
		o.SessionIdle = 30 * time.Minute
	}
	if o.SessionLifetime <= 0 {
		o.SessionLifetime = 12 * time.Hour
	}
}

// errBadLogin is the one answer to every failed login.
func errBadLogin() error {
	return newErr(ErrUnauthenticated, "bad_credentials", "用户名或密码不正确（连续输错多次将暂时锁定账户）")
}

// CheckPassword reports whether pw meets the password rules (at least
// MinPasswordRunes characters, no control characters), as SetPassword
// would, so a caller can refuse it before creating anything.
func CheckPassword(pw string) error { return checkPassword(pw) }

// checkPassword enforces the password rules.
func checkPassword(pw string) error {
	switch {
	case !utf8.ValidString(pw):
		return invalid("bad_password", "password", "密码须为有效的文字")
	case utf8.RuneCountInString(pw) < MinPasswordRunes:
		return invalid("password_too_short", "password", fmt.Sprintf("密码至少%d个字符", MinPasswordRunes))
	case len(pw) > maxPasswordBytes:
		return invalid("password_too_long", "password", "密码过长")
	case strings.IndexFunc(pw, unicode.IsControl) >= 0:
		return invalid("bad_password", "password", "密码不能含控制字符（如换行、制表符）")
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
func (s *Store) SetPassword(ctx context.Context, userID int64, pw string) error {
	return s.setPassword(ctx, nil, userID, pw)
}

func (s *Store) setPassword(ctx context.Context, actor *User, userID int64, pw string) error {
	if err := checkPassword(pw); err != nil {
		return err
	}
	hash := hashPassword(pw)
	now := fmtTime(s.now())
	err := s.cat.tx(ctx, func(tx *sql.Tx) error {
		var name string
		if err := tx.QueryRowContext(ctx, `SELECT name FROM users WHERE id = ?`, userID).Scan(&name); errors.Is(err, sql.ErrNoRows) {
			return notFound("用户")
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
		return s.audit(ctx, tx, actor, "user.password", "", "", name)
	})
	return internal("set password", err)
}

// Login checks a name and password and opens a session. Every failure —
// unknown name, wrong password, no password set, locked or disabled
// account — is the same ErrUnauthenticated (code bad_credentials) and is
// audited with the real reason. LoginMaxFailures wrong passwords in a row
// lock the account for LockoutDuration; while locked even the right
// password fails.
func (s *Store) Login(ctx context.Context, name, password, remoteAddr string) (*Session, error) {
	name = strings.TrimSpace(name)
	if len(remoteAddr) > 100 {
		remoteAddr = remoteAddr[:100]
	}
	if name == "" || utf8.RuneCountInString(name) > 50 || hasControl(name) || len(password) > maxPasswordBytes {
		verifyPassword(dummyHash(), password)
		return nil, errBadLogin()
	}
	var (
		userID   int64
		disabled int
		hash     sql.NullString
	)
	err := s.cat.r.QueryRowContext(ctx, `SELECT u.id, u.disabled, p.hash
		FROM users u LEFT JOIN passwords p ON p.user_id = u.id WHERE u.name = ?`, name).Scan(&userID, &disabled, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		verifyPassword(dummyHash(), password)
		_ = s.auditNow(ctx, &User{Name: name}, "auth.login_failed", "", "", "unknown_user "+remoteAddr)
		return nil, errBadLogin()
	}
	if err != nil {
		return nil, internal("login", err)
	}
	ok := false
	if hash.Valid {
		ok = verifyPassword(hash.String, password)
	} else {
		verifyPassword(dummyHash(), password)
	}

	now := s.now()
	var sess *Session
	err = s.cat.tx(ctx, func(tx *sql.Tx) error {
		actor := &User{ID: userID, Name: name}
		var failures int
		var locked sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT failures, locked_until FROM passwords WHERE user_id = ?`, userID).Scan(&failures, &locked)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return s.audit(ctx, tx, actor, "auth.login_failed", "", "", "no_password "+remoteAddr)
		case err != nil:
			return err
		}
		if locked.Valid && parseTime(locked.String).After(now) {
			return s.audit(ctx, tx, actor, "auth.login_failed", "", "", "locked "+remoteAddr)
		}
		if !ok {
			failures++
			var lockedUntil sql.NullString
			detail := fmt.Sprintf("wrong_password %d/%d %s", failures, s.opts.LoginMaxFailures, remoteAddr)
			if failures >= s.opts.LoginMaxFailures {
				lockedUntil = sql.NullString{String: fmtTime(now.Add(s.opts.LockoutDuration)), Valid: true}
				failures = 0
			}
			if _, err := tx.ExecContext(ctx, `UPDATE passwords SET failures = ?, locked_until = ? WHERE user_id = ?`,
				failures, lockedUntil, userID); err != nil {
				return err
			}
			if err := s.audit(ctx, tx, actor, "auth.login_failed", "", "", detail); err != nil {
				return err
			}
			if lockedUntil.Valid {
				return s.audit(ctx, tx, actor, "auth.lockout", "", "", "until "+lockedUntil.String)
			}
			return nil
		}
		if disabled != 0 {
			return s.audit(ctx, tx, actor, "auth.login_failed", "", "", "disabled "+remoteAddr)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE passwords SET failures = 0, locked_until = NULL WHERE user_id = ?`, userID); err != nil {
			return err
		}
		// Sweep sessions that can no longer be used, any user's.
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ? OR last_seen <= ?`,
			fmtTime(now), fmtTime(now.Add(-s.opts.SessionIdle))); err != nil {
			return err
		}
		id, idHash := newSessionID()
		sess = &Session{ID: id, CSRF: randomToken(), UserID: userID, ExpiresAt: now.Add(s.opts.SessionLifetime)}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (hash, user_id, csrf, remote_addr, created_at, last_seen, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, idHash, userID, sess.CSRF, remoteAddr, fmtTime(now), fmtTime(now), fmtTime(sess.ExpiresAt)); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "auth.login", "", "", remoteAddr)
	})
	if err != nil {
		return nil, internal("login", err)
	}
	if sess == nil {
		return nil, errBadLogin()
	}
	return sess, nil
}

// randomToken returns 32 random bytes, base64url.
func randomToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func newSessionID() (id, hash string) {
	id = randomToken()
	return id, tokenHash(id)
}

// sessionTouchEvery limits how often last_seen is written: at most once a
// minute per session, not on every page.
const sessionTouchEvery = time.Minute

// SessionUser resolves a session id to its user, unit and CSRF token, like
// Authenticate does for tokens (grants loaded). An unknown, expired (idle
// or past its lifetime) or logged-out session, or a disabled user, gives
// ErrUnauthenticated (code session_expired).
func (s *Store) SessionUser(ctx context.Context, id string) (*User, *Unit, string, error) {
	expired := newErr(ErrUnauthenticated, "session_expired", "登录已过期，请重新登录")
	if id == "" || len(id) > 100 {
		return nil, nil, "", expired
	}
	h := tokenHash(id)
	row := s.cat.r.QueryRowContext(ctx, `SELECT s.csrf, s.last_seen, s.expires_at,
			u.id, u.name, u.role, u.unit_id, u.clearance, u.disabled,
			n.id, n.name, n.code, n.fonds, n.org, n.placeholder
		FROM sessions s JOIN users u ON u.id = s.user_id JOIN units n ON n.id = u.unit_id
		WHERE s.hash = ?`, h)
	var (
		csrf, lastSeen, expires string
		u                       User
		n                       Unit
		role                    string
		dis, ph                 int
	)
	err := row.Scan(&csrf, &lastSeen, &expires, &u.ID, &u.Name, &role, &u.UnitID, &u.Clearance, &dis, &n.ID, &n.Name, &n.Code, &n.Fonds, &n.Org, &ph)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, "", expired
	}
	if err != nil {
		return nil, nil, "", internal("session", err)
	}
	u.Role, u.Disabled, n.Placeholder = Role(role), dis != 0, ph != 0
	now := s.now()
	seen := parseTime(lastSeen)
	if u.Disabled || !now.Before(parseTime(expires)) || now.Sub(seen) >= s.opts.SessionIdle {
		if err := s.cat.tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE hash = ?`, h)
			return err
		}); err != nil {
			return nil, nil, "", internal("session", err)
		}
		return nil, nil, "", expired
	}
	if now.Sub(seen) >= sessionTouchEvery {
		if err := s.cat.tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE sessions SET last_seen = ? WHERE hash = ?`, fmtTime(now), h)
			return err
		}); err != nil {
			return nil, nil, "", internal("session", err)
		}
	}
	if u.Grants, err = s.loadGrants(ctx, u.ID); err != nil {
		return nil, nil, "", internal("session", err)
	}
	return &u, &n, csrf, nil
}

// Logout ends a session. An unknown id is not an error.
func (s *Store) Logout(ctx context.Context, id string) error {
	if id == "" || len(id) > 100 {
		return nil
	}
	return internal("logout", s.cat.tx(ctx, func(tx *sql.Tx) error {
		var userID int64
		var name string
		err := tx.QueryRowContext(ctx, `SELECT u.id, u.name FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.hash = ?`,
			tokenHash(id)).Scan(&userID, &name)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE hash = ?`, tokenHash(id)); err != nil {
			return err
		}
		return s.audit(ctx, tx, &User{ID: userID, Name: name}, "auth.logout", "", "", "")
	}))
}

// HasPassword reports whether a user can log in with a password, and
// whether the account is locked now (for the admin page).
func (s *Store) HasPassword(ctx context.Context, userID int64) (has, locked bool, err error) {
	var lockedUntil sql.NullString
	err = s.cat.r.QueryRowContext(ctx, `SELECT locked_until FROM passwords WHERE user_id = ?`, userID).Scan(&lockedUntil)
	if errors.Is(err, sql.ErrNoRows) {
		return false, false, nil
	}
	if err != nil {
		return false, false, internal("password state", err)
	}
	return true, lockedUntil.Valid && parseTime(lockedUntil.String).After(s.now()), nil
}

// AdminAddUser is AddUser with an initial password, for an admin of the
// web UI: the admin is checked and named in the audit trail. The password
// is checked before the user is created.
func (s *Store) AdminAddUser(ctx context.Context, admin *User, in NewUser, password string) (*AddUserResult, error) {
	if err := requireRole(admin, RoleAdmin); err != nil {
		return nil, err
	}
	if err := checkPassword(password); err != nil {
		return nil, err
	}
	res, err := s.AddUser(ctx, in)
	if err != nil {
		return nil, err
	}
	if err := s.setPassword(ctx, admin, res.User.ID, password); err != nil {
		return nil, err
	}
	detail := res.User.Name + " " + string(res.User.Role) + " " + res.Unit.Name + " " + res.User.Clearance
	if err := s.auditNow(ctx, admin, "admin.user_add", "", "", detail); err != nil {
		return nil, internal("add user", err)
	}
	return res, nil
}

// AdminSetUserDisabled disables or re-enables a user for an admin of the
// web UI (audited under the admin's name). An admin cannot disable itself.
func (s *Store) AdminSetUserDisabled(ctx context.Context, admin *User, userID int64, disabled bool) error {
	if err := requireRole(admin, RoleAdmin); err != nil {
		return err
	}
	if disabled && admin.ID == userID {
		return conflict("self_disable", "不能停用自己的账户")
	}
	target, err := s.GetUser(ctx, userID)
	if err != nil {
		return err
	}
	if err := s.SetUserDisabled(ctx, userID, disabled); err != nil {
		return err
	}
	action := "admin.user_enable"
	if disabled {
		action = "admin.user_disable"
	}
	return internal("disable user", s.auditNow(ctx, admin, action, "", "", target.Name))
}

// AdminSetPassword resets a user's password (and lifts a lockout) for an
// admin of the web UI, audited under the admin's name.
func (s *Store) AdminSetPassword(ctx context.Context, admin *User, userID int64, password string) error {
	if err := requireRole(admin, RoleAdmin); err != nil {
		return err
	}
	return s.setPassword(ctx, admin, userID, password)
}
