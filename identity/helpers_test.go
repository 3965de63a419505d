package identity

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"wenshu/catalog"
	"wenshu/problem"
)

// env is one test's directory on its own catalog file, with one unit and
// a user of each role. Identity needs no object store.
type env struct {
	t        testing.TB
	ctx      context.Context
	db       *catalog.DB
	s        *Directory
	unit     *Unit
	clerk    *User
	clerk2   *User
	approver *User
	archiv   *User
	auditor  *User
	clock    *fakeClock
}

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func newEnv(t testing.TB, mod ...func(*Options)) *env {
	t.Helper()
	ctx := context.Background()
	db, err := catalog.Open(ctx, filepath.Join(t.TempDir(), "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var opts Options
	for _, m := range mod {
		m(&opts)
	}
	e := &env{t: t, ctx: ctx, db: db, s: New(db, opts)}
	e.unit, err = e.s.AddUnit(ctx, UnitInput{Name: "中央纪委国家监委驻测试部纪检监察组", Code: "驻测纪", Fonds: "Z109", Org: "JJZ"})
	if err != nil {
		t.Fatal(err)
	}
	e.clerk = e.user("张承办", RoleClerk, e.unit.Name, ClearanceSecret)
	e.clerk2 = e.user("李承办", RoleClerk, e.unit.Name, ClearanceSecret)
	e.approver = e.user("王审批", RoleApprover, e.unit.Name, ClearanceConfidential)
	e.archiv = e.user("钱档案", RoleArchivist, e.unit.Name, ClearanceSecret)
	e.auditor = e.user("孙审计", RoleAuditor, e.unit.Name, ClearanceConfidential)
	return e
}

// authEnv is an env whose clock the test moves.
func authEnv(t *testing.T, mod ...func(*Options)) (*env, *fakeClock) {
	t.Helper()
	clock := &fakeClock{t: time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC)}
	e := newEnv(t, append([]func(*Options){func(o *Options) { o.Now = clock.now }}, mod...)...)
	e.clock = clock
	return e, clock
}

func (e *env) user(name string, role Role, unit, clearance string) *User {
	e.t.Helper()
	res, err := e.s.AddUser(e.ctx, NewUser{Name: name, Role: role, Unit: unit, Clearance: clearance})
	if err != nil {
		e.t.Fatal(err)
	}
	return res.User
}

func (e *env) actions(t *testing.T) []string {
	t.Helper()
	rows, err := e.db.Reader().QueryContext(e.ctx, `SELECT action, detail FROM audit_events WHERE action LIKE 'auth.%' OR action LIKE 'admin.%' OR action = 'user.password' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a, d string
		if err := rows.Scan(&a, &d); err != nil {
			t.Fatal(err)
		}
		out = append(out, a+" "+d)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// wantErr asserts err wraps kind and, if code is set, carries that code.
func wantErr(t testing.TB, err error, kind error, code string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("err = %v, want kind %v", err, kind)
	}
	var pe *problem.Error
	if code != "" && (!errors.As(err, &pe) || pe.Code != code) {
		t.Fatalf("err = %v, want code %s", err, code)
	}
	if errors.As(err, &pe) && pe.Message == "" {
		t.Fatalf("err %v has no message", err)
	}
}
