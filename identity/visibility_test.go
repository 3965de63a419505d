package identity

import (
	"errors"
	"slices"
	"testing"

	"wenshu/problem"
)

func TestVisibilityRule(t *testing.T) {
	e := newEnv(t)
	other, err := e.s.AddUnit(e.ctx, UnitInput{Name: "驻另一部纪检监察组", Code: "驻另纪", Fonds: "Z200"})
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, e.s.GrantUnit(e.ctx, e.clerk.ID, other.ID), problem.ErrConflict, "grant_role")
	if err := e.s.GrantUnit(e.ctx, e.archiv.ID, other.ID); err != nil {
		t.Fatal(err)
	}
	archiv, _, err := e.authenticated(e.archiv.ID)
	if err != nil {
		t.Fatal(err)
	}
	// A clerk holding a grant (written behind GrantUnit's back) still
	// sees its own unit only.
	clerk := *e.clerk
	clerk.Grants = []int64{other.ID}
	disabled := *e.approver
	disabled.Disabled = true
	own, foreign := e.unit.ID, other.ID
	for _, tc := range []struct {
		name           string
		u              *User
		unit           int64
		classification string
		record, draft  bool
	}{
		{"own unit within clearance", e.clerk, own, ClearanceSecret, true, true},
		{"own unit above clearance", e.clerk, own, ClearanceConfidential, false, false},
		{"other unit", e.clerk, foreign, ClearancePublic, false, false},
		{"granted unit, archivist", archiv, foreign, ClearanceInternal, true, false},
		{"granted unit above clearance", archiv, foreign, ClearanceConfidential, false, false},
		{"grant held by a clerk", &clerk, foreign, ClearancePublic, false, false},
		{"unknown classification", e.approver, own, "绝密", false, false},
		{"disabled", &disabled, own, ClearancePublic, false, false},
		{"nobody", nil, own, ClearancePublic, false, false},
		{"operator", Operator("cli:test"), foreign, ClearanceConfidential, true, true},
	} {
		if got := CanRead(tc.u, tc.unit, tc.classification); got != tc.record {
			t.Errorf("%s: CanRead = %v, want %v", tc.name, got, tc.record)
		}
		if got := CanReadDraft(tc.u, tc.unit, tc.classification); got != tc.draft {
			t.Errorf("%s: CanReadDraft = %v, want %v", tc.name, got, tc.draft)
		}
	}
	for _, tc := range []struct {
		name string
		u    *User
		want []int64
	}{
		{"archivist with a grant", archiv, []int64{own, foreign}},
		{"clerk with a grant", &clerk, []int64{own}},
		{"operator", Operator(""), []int64{own, foreign}},
	} {
		got, err := e.s.VisibleUnits(e.ctx, tc.u)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s: VisibleUnits = %v %v, want %v", tc.name, got, err, tc.want)
		}
	}
	_, err = e.s.VisibleUnits(e.ctx, nil)
	wantErr(t, err, problem.ErrUnauthenticated, "unauthenticated")
}

// authenticated is the user as a request sees it: through a token, with
// its grants loaded.
func (e *env) authenticated(userID int64) (*User, *Unit, error) {
	tok, err := e.s.IssueToken(e.ctx, userID)
	if err != nil {
		return nil, nil, err
	}
	return e.s.Authenticate(e.ctx, tok)
}

func TestRoleChecks(t *testing.T) {
	clerk := &User{ID: 1, Name: "张", Role: RoleClerk}
	if err := RequireRole(clerk, RoleClerk, RoleApprover); err != nil {
		t.Fatal(err)
	}
	err := RequireRole(clerk, RoleArchivist, RoleAuditor)
	wantErr(t, err, problem.ErrForbidden, "wrong_role")
	var pe *problem.Error
	if !errors.As(err, &pe) || pe.Message != "此操作需要以下角色之一：档案员、审计员" {
		t.Fatalf("message %v", err)
	}
	wantErr(t, RequireRole(nil, RoleClerk), problem.ErrUnauthenticated, "unauthenticated")
	wantErr(t, RequireRole(&User{Role: RoleAdmin, Disabled: true}, RoleAdmin), problem.ErrUnauthenticated, "user_disabled")
	if err := RequireRole(Operator("cli"), RoleArchivist); err != nil {
		t.Fatalf("operator refused: %v", err)
	}
	if HasRole(Operator("cli"), RoleArchivist) || HasRole(nil, RoleClerk) || !HasRole(clerk, RoleAdmin, RoleClerk) {
		t.Fatal("HasRole is not the plain role test")
	}
	for r, want := range map[Role]string{RoleClerk: "承办人", RoleApprover: "审批人", RoleArchivist: "档案员",
		RoleAuditor: "审计员", RoleAdmin: "管理员", "boss": "boss"} {
		if got := r.Name(); got != want {
			t.Errorf("%s.Name() = %q, want %q", r, got, want)
		}
		if r.Valid() != (r != "boss") {
			t.Errorf("%s.Valid() = %v", r, r.Valid())
		}
	}
}
