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
	if name == "" || utf8.RuneCountInString(name) > 50 || hasControl(name) || len(password) > maxPasswordBytes {
		verifyPassword(dummyHash(), password)
		return nil, errBadLogin()
	}
	var (
		userID   int64
		disabled int
		hash     sql.NullString
	)
	err := d.db.Reader().QueryRowContext(ctx, `SELECT u.id, u.disabled, p.hash
		FROM users u LEFT JOIN passwords p ON p.user_id = u.id WHERE u.name = ?`, name).Scan(&userID, &disabled, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		verifyPassword(dummyHash(), password)
		_ = d.auditNow(ctx, &User{Name: name}, "auth.login_failed", "unknown_user "+remoteAddr)
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

	now := d.now()
	var sess *Session
	err = d.db.Tx(ctx, func(tx *sql.Tx) error {
		actor := &User{ID: userID, Name: name}
		var failures int
		var locked sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT failures, locked_until FROM passwords WHERE user_id = ?`, userID).Scan(&failures, &locked)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return d.audit(ctx, tx, actor, "auth.login_failed", "no_password "+remoteAddr)
		case err != nil:
			return err
		}
		if locked.Valid && catalog.ParseTime(locked.String).After(now) {
			return d.audit(ctx, tx, actor, "auth.login_failed", "locked "+remoteAddr)
		}
		if !ok {
			failures++
			var lockedUntil sql.NullString
			detail := fmt.Sprintf("wrong_password %d/%d %s", failures, d.opts.LoginMaxFailures, remoteAddr)
			if failures >= d.opts.LoginMaxFailures {
				lockedUntil = sql.NullString{String: catalog.FormatTime(now.Add(d.opts.LockoutDuration)), Valid: true}
				failures = 0
			}
			if _, err := tx.ExecContext(ctx, `UPDATE passwords SET failures = ?, locked_until = ? WHERE user_id = ?`,
				failures, lockedUntil, userID); err != nil {
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
		if disabled != 0 {
			return d.audit(ctx, tx, actor, "auth.login_failed", "disabled "+remoteAddr)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE passwords SET failures = 0, locked_until = NULL WHERE user_id = ?`, userID); err != nil {
			return err
		}
		// Sweep sessions that can no longer be used, any user's.
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ? OR last_seen <= ?`,
			catalog.FormatTime(now), catalog.FormatTime(now.Add(-d.opts.SessionIdle))); err != nil {
			return err
		}
		id, idHash := newSessionID()
		sess = &Session{ID: id, CSRF: randomToken(), UserID: userID, ExpiresAt: now.Add(d.opts.SessionLifetime)}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (hash, user_id, csrf, remote_addr, created_at, last_seen, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, idHash, userID, sess.CSRF, remoteAddr, catalog.FormatTime(now), catalog.FormatTime(now), catalog.FormatTime(sess.ExpiresAt)); err != nil {
			return err
		}
		return d.audit(ctx, tx, actor, "auth.login", remoteAddr)
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
