package identity

import (
	"strings"
	"testing"

	"wenshu/problem"
)

// scopeEnv is an env with a second unit, an admin of each at 内部 and a
// second admin in the first unit.
type scopeEnv struct {
	*env
	unitB          *Unit
	adminA, admin2 *User
	adminB, clerkB *User
	secretA        *User // a clerk of unit A above adminA's clearance
}

func newScopeEnv(t *testing.T) *scopeEnv {
	e, _ := authEnv(t)
	s := &scopeEnv{env: e}
	var err error
	if s.unitB, err = e.s.AddUnit(e.ctx, UnitInput{Name: "中央纪委国家监委驻乙部纪检监察组", Code: "驻乙纪", Fonds: "Z110"}); err != nil {
		t.Fatal(err)
	}
	s.adminA = e.user("甲管理员", RoleAdmin, e.unit.Name, ClearanceInternal)
	s.admin2 = e.user("甲管理员二", RoleAdmin, e.unit.Name, ClearanceInternal)
	s.adminB = e.user("乙管理员", RoleAdmin, s.unitB.Name, ClearanceConfidential)
	s.clerkB = e.user("乙承办", RoleClerk, s.unitB.Name, ClearanceInternal)
	s.secretA = e.clerk // 张承办, 秘密
	return s
}

// denied returns the admin.denied events of actor.
func (s *scopeEnv) denied(t *testing.T, actor *User) []string {
	t.Helper()
	rows, err := s.db.Reader().QueryContext(s.ctx, `SELECT detail FROM audit_events WHERE action = 'admin.denied' AND actor_name = ? ORDER BY id`, actor.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

func TestAdminAddUserScope(t *testing.T) {
	s := newScopeEnv(t)
	const pw = "long enough password"
	units, _ := s.s.ListUnits(s.ctx)
	for _, c := range []struct {
		name string
		in   NewUser
		kind error
		code string
	}{
		{"another unit", NewUser{Name: "越权档案员", Role: RoleArchivist, Unit: s.unitB.Name, Clearance: ClearanceConfidential}, problem.ErrForbidden, CodeOtherUnit},
		{"above own clearance", NewUser{Name: "越级承办", Role: RoleClerk, Unit: s.unit.Name, Clearance: ClearanceSecret}, problem.ErrForbidden, CodeAboveClearance},
		{"an admin", NewUser{Name: "新管理员", Role: RoleAdmin, Unit: s.unit.Name, Clearance: ClearanceInternal}, problem.ErrForbidden, CodeAdminProtected},
		{"unknown unit", NewUser{Name: "错单位", Role: RoleClerk, Unit: s.unit.Name + "x", Clearance: ClearanceInternal}, problem.ErrInvalid, CodeUnitNotFound},
		{"bidi in name", NewUser{Name: "张\u202e三", Role: RoleClerk, Unit: s.unit.Name, Clearance: ClearanceInternal}, problem.ErrInvalid, "control_char"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := len(s.denied(t, s.adminA))
			_, err := s.s.AdminAddUser(s.ctx, s.adminA, c.in, pw)
			wantErr(t, err, c.kind, c.code)
			if _, err := s.s.UserByName(s.ctx, c.in.Name); err == nil {
				t.Errorf("user %s was created", c.in.Name)
			}
			d := s.denied(t, s.adminA)
			if len(d) != before+1 || !strings.HasPrefix(d[len(d)-1], "user_add ") || !strings.HasSuffix(d[len(d)-1], " "+c.code) {
				t.Errorf("refusal not audited: %q", d)
			}
		})
	}
	if d := s.denied(t, s.adminA); !strings.Contains(strings.Join(d, "\n"), `user_add "张\u202e三 clerk`) {
		t.Errorf("a refused bidi name is not escaped in the trail: %q", d)
	}
	var pe *problem.Error
	if _, err := s.s.AdminAddUser(s.ctx, s.adminA, NewUser{Name: "错单位", Role: RoleClerk, Unit: "不存在的单位", Clearance: ClearanceInternal}, pw); !asProblem(err, &pe) || pe.Field != "unit" {
		t.Errorf("unit_not_found names no field: %v", err)
	}
	if after, _ := s.s.ListUnits(s.ctx); len(after) != len(units) {
		t.Errorf("a unit was created: %d → %d", len(units), len(after))
	}
	// Within scope: own unit, at or below own clearance, not an admin.
	res, err := s.s.AdminAddUser(s.ctx, s.adminA, NewUser{Name: "本单位承办", Role: RoleClerk, Unit: s.unit.Name, Clearance: ClearanceInternal}, pw)
	if err != nil || res.UnitCreated || res.User.UnitID != s.unit.ID {
		t.Fatalf("%+v %v", res, err)
	}
	// A non-admin is refused and audited too.
	_, err = s.s.AdminAddUser(s.ctx, s.clerk2, NewUser{Name: "x", Role: RoleClerk, Unit: s.unit.Name, Clearance: ClearanceInternal}, pw)
	wantErr(t, err, problem.ErrForbidden, "wrong_role")
	if d := s.denied(t, s.clerk2); len(d) != 1 {
		t.Errorf("wrong role not audited: %q", d)
	}
	// The operator is not scoped.
	if _, err := s.s.AdminAddUser(s.ctx, Operator("cli:root"), NewUser{Name: "运维建的管理员", Role: RoleAdmin, Unit: s.unitB.Name, Clearance: ClearanceConfidential}, pw); err != nil {
		t.Fatal(err)
	}
}

func asProblem(err error, pe **problem.Error) bool {
	p, ok := err.(*problem.Error)
	*pe = p
	return ok
}

func TestAdminTargetScope(t *testing.T) {
	s := newScopeEnv(t)
	const pw = "another long password"
	lowA := s.user("甲低密承办", RoleClerk, s.unit.Name, ClearanceInternal)
	for _, c := range []struct {
		name   string
		target *User
		kind   error
		code   string
		reason string // the audited reason
	}{
		{"another unit's admin", s.adminB, problem.ErrNotFound, "not_found", CodeOtherUnit},
		{"another unit's clerk", s.clerkB, problem.ErrNotFound, "not_found", CodeOtherUnit},
		{"own unit's other admin", s.admin2, problem.ErrForbidden, CodeAdminProtected, CodeAdminProtected},
		{"itself", s.adminA, problem.ErrForbidden, CodeAdminProtected, CodeAdminProtected},
		{"above own clearance", s.secretA, problem.ErrForbidden, CodeAboveClearance, CodeAboveClearance},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := s.s.AdminSetPassword(s.ctx, s.adminA, c.target.ID, pw)
			wantErr(t, err, c.kind, c.code)
			if _, err := s.s.Login(s.ctx, c.target.Name, pw, ""); err == nil {
				t.Error("the password was set")
			}
			if c.target != s.adminA {
				wantErr(t, s.s.AdminSetUserDisabled(s.ctx, s.adminA, c.target.ID, true), c.kind, c.code)
				if u, _ := s.s.GetUser(s.ctx, c.target.ID); u.Disabled {
					t.Error("the user was disabled")
				}
			}
			d := strings.Join(s.denied(t, s.adminA), "\n")
			if !strings.Contains(d, "user_password "+c.target.Name+" "+c.reason) {
				t.Errorf("password refusal not audited:\n%s", d)
			}
			if c.target != s.adminA && !strings.Contains(d, "user_disable "+c.target.Name+" "+c.reason) {
				t.Errorf("disable refusal not audited:\n%s", d)
			}
		})
	}
	wantErr(t, s.s.AdminSetUserDisabled(s.ctx, s.adminA, s.adminA.ID, true), problem.ErrConflict, "self_disable")
	wantErr(t, s.s.AdminSetPassword(s.ctx, s.adminA, 99999, pw), problem.ErrNotFound, "not_found")
	// Within scope.
	if err := s.s.AdminSetPassword(s.ctx, s.adminA, lowA.ID, pw); err != nil {
		t.Fatal(err)
	}
	if err := s.s.AdminSetUserDisabled(s.ctx, s.adminA, lowA.ID, true); err != nil {
		t.Fatal(err)
	}
	// The list is the admin's unit only.
	list, err := s.s.AdminListUsers(s.ctx, s.adminA)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range list {
		if u.UnitID != s.unit.ID {
			t.Errorf("admin of A lists %s of unit %d", u.Name, u.UnitID)
		}
	}
	if len(list) != 8 { // five of newEnv, two admins, lowA
		t.Errorf("%d users listed", len(list))
	}
	if AdminMayManage(s.adminA, s.admin2) || AdminMayManage(s.adminA, s.clerkB) || AdminMayManage(s.adminA, s.secretA) || !AdminMayManage(s.adminA, lowA) {
		t.Error("AdminMayManage disagrees with the actions")
	}
}

// TestUnitAndUserNamesText: the text rule on unit and user names, for the
// operator too.
func TestUnitAndUserNamesText(t *testing.T) {
	e := newEnv(t)
	_, err := e.s.AddUnit(e.ctx, UnitInput{Name: "乙\u202e组", Code: "乙", Fonds: "Z2"})
	wantErr(t, err, problem.ErrInvalid, "control_char")
	_, err = e.s.AddUnit(e.ctx, UnitInput{Name: "乙组", Code: "乙\ufffd", Fonds: "Z2"})
	wantErr(t, err, problem.ErrInvalid, "invalid_char")
	_, err = e.s.AddUser(e.ctx, NewUser{Name: "李\u2066四", Role: RoleClerk, Unit: e.unit.Name, Clearance: ClearanceInternal})
	wantErr(t, err, problem.ErrInvalid, "control_char")
	_, err = e.s.AddUser(e.ctx, NewUser{Name: "李四", Role: RoleClerk, Unit: "乙\u0085组", Clearance: ClearanceInternal})
	wantErr(t, err, problem.ErrInvalid, "control_char")
}
