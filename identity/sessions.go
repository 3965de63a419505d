package identity

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
	"wenshu/catalog"
	"wenshu/problem"
	"wenshu/textrule"
)

// Session is a logged-in browser session. ID is the cookie value, known
// only to the browser once Login returns.
type Session struct {
	ID        string
	CSRF      string
	UserID    int64
	ExpiresAt time.Time
}

// errBadLogin is the one answer to every failed login.
func errBadLogin() error {
	return problem.New(problem.ErrUnauthenticated, "bad_credentials", "用户名或密码不正确（连续输错多次将暂时锁定账户）")
}

// Login checks a name and password and opens a session. Every failure —
// unknown name, wrong password, no password set, locked or disabled
// account — is the same problem.ErrUnauthenticated (code bad_credentials) and is
// audited with the real reason. LoginMaxFailures wrong passwords in a row
// lock the account for LockoutDuration; while locked even the right
// password fails.
func (d *Directory) Login(ctx context.Context, name, password, remoteAddr string) (*Session, error) {
	name = strings.TrimSpace(name)
	if len(remoteAddr) > 100 {
		remoteAddr = remoteAddr[:100]
	}
	if name == "" || utf8.RuneCountInString(name) > 50 || textrule.Refused(name) || len(password) > maxPasswordBytes {
		verifyPassword(dummyHash(), password)
		return nil, errBadLogin()
	}
	acct, err := d.loginAccount(ctx, name)
	if errors.Is(err, sql.ErrNoRows) {
		verifyPassword(dummyHash(), password)
		if err := d.auditNow(ctx, &User{Name: name}, "auth.login_failed", "unknown_user "+remoteAddr); err != nil {
			return nil, internal("login", err)
		}
		return nil, errBadLogin()
	}
	if err != nil {
		return nil, internal("login", err)
	}
	att := loginAttempt{account: acct, remoteAddr: remoteAddr, now: d.now()}
	if acct.hash.Valid {
		att.passwordOK = verifyPassword(acct.hash.String, password)
	} else {
		verifyPassword(dummyHash(), password)
	}
	var sess *Session
	err = d.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		sess, err = d.settleLogin(ctx, tx, att)
		return err
	})
	if err != nil {
		return nil, internal("login", err)
	}
	if sess == nil {
		return nil, errBadLogin()
	}
	return sess, nil
}

// loginAccount is what Login needs to know of a name before the password
// is checked.
type loginAccount struct {
	userID   int64
	name     string
	disabled bool
	hash     sql.NullString // the PHC string; NULL when no password is set
}

// loginAttempt is one login to settle: the account, whether the password
// matched, and where and when it came from.
type loginAttempt struct {
	account    loginAccount
	passwordOK bool
	remoteAddr string
	now        time.Time
}

// loginAccount looks up a user by name with its password hash;
// sql.ErrNoRows for an unknown name.
func (d *Directory) loginAccount(ctx context.Context, name string) (loginAccount, error) {
	a := loginAccount{name: name}
	var disabled int
	err := d.db.Reader().QueryRowContext(ctx, `SELECT u.id, u.disabled, p.hash
		FROM users u LEFT JOIN passwords p ON p.user_id = u.id WHERE u.name = ?`, name).Scan(&a.userID, &disabled, &a.hash)
	a.disabled = disabled != 0
	return a, err
}

// settleLogin decides a login inside tx: refused for no password, a lock
// in force, a wrong password (counted, locking at LoginMaxFailures) or a
// disabled account, each audited with its reason; otherwise the failure
// count is cleared and a session opened. A nil session with a nil error
// is a refusal.
func (d *Directory) settleLogin(ctx context.Context, tx *sql.Tx, a loginAttempt) (*Session, error) {
	actor := &User{ID: a.account.userID, Name: a.account.name}
	var failures int
	var locked sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT failures, locked_until FROM passwords WHERE user_id = ?`, a.account.userID).Scan(&failures, &locked)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, d.audit(ctx, tx, actor, "auth.login_failed", "no_password "+a.remoteAddr)
	case err != nil:
		return nil, err
	}
	if locked.Valid && catalog.ParseTime(locked.String).After(a.now) {
		return nil, d.audit(ctx, tx, actor, "auth.login_failed", "locked "+a.remoteAddr)
	}
	if !a.passwordOK {
		return nil, d.countFailure(ctx, tx, actor, failures+1, a)
	}
	if a.account.disabled {
		return nil, d.audit(ctx, tx, actor, "auth.login_failed", "disabled "+a.remoteAddr)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE passwords SET failures = 0, locked_until = NULL WHERE user_id = ?`, actor.ID); err != nil {
		return nil, err
	}
	return d.openSession(ctx, tx, actor, a)
}

// countFailure records the failures-th wrong password in a row and locks
// the account for LockoutDuration when it reaches LoginMaxFailures.
func (d *Directory) countFailure(ctx context.Context, tx *sql.Tx, actor *User, failures int, a loginAttempt) error {
	var lockedUntil sql.NullString
	detail := fmt.Sprintf("wrong_password %d/%d %s", failures, d.opts.LoginMaxFailures, a.remoteAddr)
	if failures >= d.opts.LoginMaxFailures {
		lockedUntil = sql.NullString{String: catalog.FormatTime(a.now.Add(d.opts.LockoutDuration)), Valid: true}
		failures = 0
	}
	if _, err := tx.ExecContext(ctx, `UPDATE passwords SET failures = ?, locked_until = ? WHERE user_id = ?`,
		failures, lockedUntil, actor.ID); err != nil {
		return err
	}
	if err := d.audit(ctx, tx, actor, "auth.login_failed", detail); err != nil {
		return err
	}
	if lockedUntil.Valid {
		return d.audit(ctx, tx, actor, "auth.lockout", "until "+lockedUntil.String)
	}
	return nil
}

// openSession sweeps sessions that can no longer be used (any user's),
// then inserts a new one for actor and audits the login.
func (d *Directory) openSession(ctx context.Context, tx *sql.Tx, actor *User, a loginAttempt) (*Session, error) {
	now := a.now
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ? OR last_seen <= ?`,
		catalog.FormatTime(now), catalog.FormatTime(now.Add(-d.opts.SessionIdle))); err != nil {
		return nil, err
	}
	id, idHash := newSessionID()
	sess := &Session{ID: id, CSRF: randomToken(), UserID: actor.ID, ExpiresAt: now.Add(d.opts.SessionLifetime)}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (hash, user_id, csrf, remote_addr, created_at, last_seen, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, idHash, actor.ID, sess.CSRF, a.remoteAddr, catalog.FormatTime(now), catalog.FormatTime(now),
		catalog.FormatTime(sess.ExpiresAt)); err != nil {
		return nil, err
	}
	if err := d.audit(ctx, tx, actor, "auth.login", a.remoteAddr); err != nil {
		return nil, err
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
// problem.ErrUnauthenticated (code session_expired).
func (d *Directory) SessionUser(ctx context.Context, id string) (*User, *Unit, string, error) {
	expired := problem.New(problem.ErrUnauthenticated, "session_expired", "登录已过期，请重新登录")
	if id == "" || len(id) > 100 {
		return nil, nil, "", expired
	}
	h := tokenHash(id)
	row := d.db.Reader().QueryRowContext(ctx, `SELECT s.csrf, s.last_seen, s.expires_at,
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
	now := d.now()
	seen := catalog.ParseTime(lastSeen)
	if u.Disabled || !now.Before(catalog.ParseTime(expires)) || now.Sub(seen) >= d.opts.SessionIdle {
		if err := d.db.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE hash = ?`, h)
			return err
		}); err != nil {
			return nil, nil, "", internal("session", err)
		}
		return nil, nil, "", expired
	}
	if now.Sub(seen) >= sessionTouchEvery {
		if err := d.db.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE sessions SET last_seen = ? WHERE hash = ?`, catalog.FormatTime(now), h)
			return err
		}); err != nil {
			return nil, nil, "", internal("session", err)
		}
	}
	if u.Grants, err = d.loadGrants(ctx, u.ID); err != nil {
		return nil, nil, "", internal("session", err)
	}
	return &u, &n, csrf, nil
}

// Logout ends a session. An unknown id is not an error.
func (d *Directory) Logout(ctx context.Context, id string) error {
	if id == "" || len(id) > 100 {
		return nil
	}
	return internal("logout", d.db.Tx(ctx, func(tx *sql.Tx) error {
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
		return d.audit(ctx, tx, &User{ID: userID, Name: name}, "auth.logout", "")
	}))
}
