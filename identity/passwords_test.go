package identity

import (
	"strings"
	"testing"
	"time"
	"wenshu/problem"
)

func TestPasswordRules(t *testing.T) {
	e, _ := authEnv(t)
	for pw, code := range map[string]string{
		"short":                   "password_too_short",
		"一二三四五六七八九":               "password_too_short", // 9 runes, 27 bytes
		"correct horse\nbattery":  "bad_password",
		"tab\tinside-password-ok": "bad_password",
		strings.Repeat("x", 2000): "password_too_long",
	} {
		wantErr(t, e.s.SetPassword(e.ctx, e.clerk.ID, pw), problem.ErrInvalid, code)
	}
	if err := e.s.SetPassword(e.ctx, e.clerk.ID, "一二三四五六七八九十"); err != nil {
		t.Fatalf("10 Han characters: %v", err)
	}
	wantErr(t, e.s.SetPassword(e.ctx, 99999, "long enough password"), problem.ErrNotFound, "")
	var stored string
	if err := e.db.Reader().QueryRow(`SELECT hash FROM passwords WHERE user_id = ?`, e.clerk.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stored, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(stored, "一二三") {
		t.Fatalf("stored hash %q", stored)
	}
	if !verifyPassword(stored, "一二三四五六七八九十") || verifyPassword(stored, "一二三四五六七八九九") {
		t.Fatal("verifyPassword")
	}
	// Two hashes of one password differ (per-password salt).
	if a, b := hashPassword("same password"), hashPassword("same password"); a == b {
		t.Fatal("no salt")
	}
}

func TestLoginSessionAndTokens(t *testing.T) {
	e, clock := authEnv(t)
	const pw = "correct horse battery"
	if err := e.s.SetPassword(e.ctx, e.clerk.ID, pw); err != nil {
		t.Fatal(err)
	}
	tok, err := e.s.IssueToken(e.ctx, e.clerk.ID)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := e.s.Login(e.ctx, " "+e.clerk.Name+" ", pw, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if len(sess.ID) < 40 || len(sess.CSRF) < 40 || sess.ID == sess.CSRF {
		t.Fatalf("session %+v", sess)
	}
	var n int
	if err := e.db.Reader().QueryRow(`SELECT COUNT(*) FROM sessions WHERE hash = ? OR hash = ?`, sess.ID, tokenHash(sess.ID)).Scan(&n); err != nil || n != 1 {
		t.Fatalf("sessions: %d %v", n, err)
	}
	if err := e.db.Reader().QueryRow(`SELECT COUNT(*) FROM sessions WHERE hash = ?`, sess.ID).Scan(&n); err != nil || n != 0 {
		t.Fatal("the session id itself is stored")
	}
	u, unit, csrf, err := e.s.SessionUser(e.ctx, sess.ID)
	if err != nil || u.ID != e.clerk.ID || unit.ID != e.unit.ID || csrf != sess.CSRF {
		t.Fatalf("SessionUser: %+v %+v %q %v", u, unit, csrf, err)
	}
	// The bearer token works beside the session.
	if u, _, err := e.s.Authenticate(e.ctx, tok); err != nil || u.ID != e.clerk.ID {
		t.Fatalf("token: %v", err)
	}

	// Idle timeout: used every 29 minutes the session lives on …
	for range 3 {
		clock.t = clock.t.Add(29 * time.Minute)
		if _, _, _, err := e.s.SessionUser(e.ctx, sess.ID); err != nil {
			t.Fatalf("active session expired: %v", err)
		}
	}
	// … and 30 minutes without use end it, for good.
	clock.t = clock.t.Add(30 * time.Minute)
	_, _, _, err = e.s.SessionUser(e.ctx, sess.ID)
	wantErr(t, err, problem.ErrUnauthenticated, "session_expired")
	clock.t = clock.t.Add(-10 * time.Minute)
	_, _, _, err = e.s.SessionUser(e.ctx, sess.ID)
	wantErr(t, err, problem.ErrUnauthenticated, "session_expired")
	if u, _, err := e.s.Authenticate(e.ctx, tok); err != nil || u.ID != e.clerk.ID {
		t.Fatalf("token after session expiry: %v", err)
	}

	// Absolute lifetime: 12 hours however busy.
	sess, err = e.s.Login(e.ctx, e.clerk.Name, pw, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 12*60/20-1; i++ {
		clock.t = clock.t.Add(20 * time.Minute)
		if _, _, _, err := e.s.SessionUser(e.ctx, sess.ID); err != nil {
			t.Fatalf("after %d min: %v", (i+1)*20, err)
		}
	}
	clock.t = clock.t.Add(20 * time.Minute)
	_, _, _, err = e.s.SessionUser(e.ctx, sess.ID)
	wantErr(t, err, problem.ErrUnauthenticated, "session_expired")

	// Logout ends the session; a second logout is harmless.
	sess, _ = e.s.Login(e.ctx, e.clerk.Name, pw, "127.0.0.1")
	if err := e.s.Logout(e.ctx, sess.ID); err != nil {
		t.Fatal(err)
	}
	_, _, _, err = e.s.SessionUser(e.ctx, sess.ID)
	wantErr(t, err, problem.ErrUnauthenticated, "session_expired")
	if err := e.s.Logout(e.ctx, sess.ID); err != nil {
		t.Fatal(err)
	}
	_, _, _, err = e.s.SessionUser(e.ctx, "")
	wantErr(t, err, problem.ErrUnauthenticated, "")

	// A new password ends the sessions; disabling the user does too.
	sess, _ = e.s.Login(e.ctx, e.clerk.Name, pw, "127.0.0.1")
	if err := e.s.SetPassword(e.ctx, e.clerk.ID, "another long password"); err != nil {
		t.Fatal(err)
	}
	_, _, _, err = e.s.SessionUser(e.ctx, sess.ID)
	wantErr(t, err, problem.ErrUnauthenticated, "")
	sess, err = e.s.Login(e.ctx, e.clerk.Name, "another long password", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.s.SetUserDisabled(e.ctx, e.clerk.ID, true); err != nil {
		t.Fatal(err)
	}
	_, _, _, err = e.s.SessionUser(e.ctx, sess.ID)
	wantErr(t, err, problem.ErrUnauthenticated, "")

	// Grants are loaded like Authenticate does.
	other, err := e.s.AddUnit(e.ctx, UnitInput{Name: "驻另一部纪检监察组", Code: "驻另纪", Fonds: "Z200", Org: "LYB"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.s.GrantUnit(e.ctx, e.auditor.ID, other.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.s.SetPassword(e.ctx, e.auditor.ID, "auditor password"); err != nil {
		t.Fatal(err)
	}
	sess, _ = e.s.Login(e.ctx, e.auditor.Name, "auditor password", "")
	u, _, _, err = e.s.SessionUser(e.ctx, sess.ID)
	if err != nil || len(u.Grants) != 1 || u.Grants[0] != other.ID {
		t.Fatalf("grants: %+v %v", u, err)
	}
}

func TestLoginLockout(t *testing.T) {
	e, clock := authEnv(t, func(o *Options) { o.LockoutDuration = 10 * time.Minute })
	const pw = "approver password 1"
	if err := e.s.SetPassword(e.ctx, e.approver.ID, pw); err != nil {
		t.Fatal(err)
	}
	name := e.approver.Name
	login := func(p string) error { _, err := e.s.Login(e.ctx, name, p, "10.0.0.9"); return err }

	// Four failures, then success, resets the count.
	for range 4 {
		wantErr(t, login("wrong password"), problem.ErrUnauthenticated, "bad_credentials")
	}
	if err := login(pw); err != nil {
		t.Fatalf("4 failures locked: %v", err)
	}
	// Five in a row lock the account: the right password fails too, with
	// the same error.
	for range 5 {
		wantErr(t, login("wrong password"), problem.ErrUnauthenticated, "bad_credentials")
	}
	err := login(pw)
	wantErr(t, err, problem.ErrUnauthenticated, "bad_credentials")
	wrong := e.s.Login
	_, unknownErr := wrong(e.ctx, "没有此人", pw, "10.0.0.9")
	if err.Error() != unknownErr.Error() {
		t.Fatalf("locked %q and unknown %q differ", err, unknownErr)
	}
	if _, locked, _ := e.s.HasPassword(e.ctx, e.approver.ID); !locked {
		t.Fatal("HasPassword does not report the lock")
	}
	// Still locked a minute before the end, open after it.
	clock.t = clock.t.Add(9 * time.Minute)
	wantErr(t, login(pw), problem.ErrUnauthenticated, "bad_credentials")
	clock.t = clock.t.Add(time.Minute + time.Second)
	if err := login(pw); err != nil {
		t.Fatalf("after lockout: %v", err)
	}
	// The API token still works for scripts throughout.
	tok, _ := e.s.IssueToken(e.ctx, e.approver.ID)
	for range 5 {
		_ = login("wrong password")
	}
	if _, _, err := e.s.Authenticate(e.ctx, tok); err != nil {
		t.Fatalf("token of a locked account: %v", err)
	}
	// A password reset lifts the lock.
	if err := e.s.SetPassword(e.ctx, e.approver.ID, pw); err != nil {
		t.Fatal(err)
	}
	if err := login(pw); err != nil {
		t.Fatalf("after reset: %v", err)
	}

	// Disabled, and never given a password: the same error.
	if err := e.s.SetUserDisabled(e.ctx, e.approver.ID, true); err != nil {
		t.Fatal(err)
	}
	wantErr(t, login(pw), problem.ErrUnauthenticated, "bad_credentials")
	_, err = e.s.Login(e.ctx, e.clerk2.Name, "whatever password", "")
	wantErr(t, err, problem.ErrUnauthenticated, "bad_credentials")

	acts := strings.Join(e.actions(t), "\n")
	for _, want := range []string{"auth.login_failed wrong_password 1/5 10.0.0.9", "auth.lockout until", "auth.login_failed locked",
		"auth.login_failed unknown_user", "auth.login_failed disabled", "auth.login_failed no_password", "auth.login 10.0.0.9"} {
		if !strings.Contains(acts, want) {
			t.Errorf("audit lacks %q:\n%s", want, acts)
		}
	}
}

func TestAdminUserActions(t *testing.T) {
	e, _ := authEnv(t)
	admin := e.user("管理员甲", RoleAdmin, e.unit.Name, ClearanceInternal)
	_, err := e.s.AdminAddUser(e.ctx, e.clerk, NewUser{Name: "新人", Role: RoleClerk, Unit: e.unit.Name, Clearance: ClearanceInternal}, "long enough pw")
	wantErr(t, err, problem.ErrForbidden, "")
	_, err = e.s.AdminAddUser(e.ctx, admin, NewUser{Name: "新人", Role: RoleClerk, Unit: e.unit.Name, Clearance: ClearanceInternal}, "short")
	wantErr(t, err, problem.ErrInvalid, "password_too_short")
	if _, err := e.s.UserByName(e.ctx, "新人"); err == nil {
		t.Fatal("user created despite a bad password")
	}
	res, err := e.s.AdminAddUser(e.ctx, admin, NewUser{Name: "新人", Role: RoleClerk, Unit: e.unit.Name, Clearance: ClearanceInternal}, "long enough pw")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Login(e.ctx, "新人", "long enough pw", ""); err != nil {
		t.Fatal(err)
	}
	wantErr(t, e.s.AdminSetUserDisabled(e.ctx, admin, admin.ID, true), problem.ErrConflict, "self_disable")
	if err := e.s.AdminSetUserDisabled(e.ctx, admin, res.User.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := e.s.AdminSetUserDisabled(e.ctx, admin, res.User.ID, false); err != nil {
		t.Fatal(err)
	}
	if err := e.s.AdminSetPassword(e.ctx, admin, res.User.ID, "new long password"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := e.db.Reader().QueryRow(`SELECT COUNT(*) FROM audit_events WHERE actor_name = ? AND action IN ('admin.user_add', 'admin.user_disable', 'admin.user_enable', 'user.password')`, admin.Name).Scan(&n); err != nil || n != 5 {
		t.Fatalf("admin events %d %v: %v", n, err, e.actions(t))
	}
}
