package identity

import (
	"strings"
	"testing"
	"wenshu/problem"
)

func TestUsersAndTokens(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx
	res, err := e.s.AddUser(ctx, NewUser{Name: "令牌用户", Role: RoleAuditor, Unit: e.unit.Name, Clearance: ClearanceInternal})
	if err != nil || res.UnitCreated || !strings.HasPrefix(res.Token, "ws_") {
		t.Fatalf("%+v %v", res, err)
	}
	u, unit, err := e.s.Authenticate(ctx, res.Token)
	if err != nil || u.ID != res.User.ID || unit.Code != "驻测纪" || u.Role != RoleAuditor {
		t.Fatalf("authenticate: %+v %+v %v", u, unit, err)
	}
	// Only the hash is stored.
	var n int
	if err := e.db.Reader().QueryRow(`SELECT COUNT(*) FROM tokens WHERE hash = ?`, res.Token).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Error("the token itself is stored")
	}
	if err := e.db.Reader().QueryRow(`SELECT COUNT(*) FROM tokens WHERE hash = ?`, tokenHash(res.Token)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Error("the token hash is not stored")
	}
	for _, bad := range []string{"", "ws_nope", res.Token + "x"} {
		_, _, err := e.s.Authenticate(ctx, bad)
		wantErr(t, err, problem.ErrUnauthenticated, "bad_token")
	}
	tok2, err := e.s.IssueToken(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.s.SetUserDisabled(ctx, u.ID, true); err != nil {
		t.Fatal(err)
	}
	_, _, err = e.s.Authenticate(ctx, tok2)
	wantErr(t, err, problem.ErrUnauthenticated, "user_disabled")
	e.s.SetUserDisabled(ctx, u.ID, false)
	if err := e.s.RevokeTokens(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	_, _, err = e.s.Authenticate(ctx, tok2)
	wantErr(t, err, problem.ErrUnauthenticated, "bad_token")
	for _, tc := range []struct {
		in   NewUser
		code string
	}{
		{NewUser{Name: "", Role: RoleClerk, Unit: "x", Clearance: "公开"}, "bad_user_name"},
		{NewUser{Name: "a", Role: "boss", Unit: "x", Clearance: "公开"}, "bad_role"},
		{NewUser{Name: "a", Role: RoleClerk, Unit: "x", Clearance: "绝密"}, "bad_clearance"},
		{NewUser{Name: "a", Role: RoleClerk, Unit: "", Clearance: "公开"}, "bad_unit_name"},
	} {
		_, err := e.s.AddUser(ctx, tc.in)
		wantErr(t, err, problem.ErrInvalid, tc.code)
	}
	_, err = e.s.AddUser(ctx, NewUser{Name: "令牌用户", Role: RoleClerk, Unit: e.unit.Name, Clearance: "公开"})
	wantErr(t, err, problem.ErrConflict, "user_exists")
	_, err = e.s.AddUnit(ctx, UnitInput{Name: e.unit.Name, Code: "x", Fonds: "Z1"})
	wantErr(t, err, problem.ErrConflict, "unit_exists")
	_, err = e.s.AddUnit(ctx, UnitInput{Name: "甲", Code: "甲〔", Fonds: "Z1"})
	wantErr(t, err, problem.ErrInvalid, "bad_unit_code")
	_, err = e.s.AddUnit(ctx, UnitInput{Name: "甲", Code: "甲", Fonds: "Z-1"})
	wantErr(t, err, problem.ErrInvalid, "bad_fonds")
}
