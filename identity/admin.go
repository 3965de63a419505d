package identity

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"wenshu/catalog"
	"wenshu/problem"
	"wenshu/textrule"
)

// Admin actions (管理员操作) of the web UI. An admin is scoped: it manages
// the users of its own unit only, never at a clearance above its own, and
// never an admin (itself included): it cannot create an admin, give the
// admin role, nor disable, enable or reset the password of an admin. A unit
// name that does not exist is an error (unit_not_found), never a new unit.
// Cross-unit work — units, grants, admins — is an operator action on the
// host (the CLI, Operator); no second-person approval is involved.
//
// Every admin action is audited, allowed or refused: allowed ones as
// admin.user_add (with user.add and user.password), admin.user_disable,
// admin.user_enable and user.password; refused ones as admin.denied,
// detail "<action> <target> <code>", e.g.
// "user_add 赵六 archivist 乙单位 机密 other_unit".

// Codes of a refused admin action.
const (
	CodeOtherUnit      = "other_unit"          // the target is of another unit
	CodeAboveClearance = "above_own_clearance" // the target's clearance is above the admin's
	CodeAdminProtected = "admin_protected"     // the target is, or would be, an admin
	CodeUnitNotFound   = "unit_not_found"      // the unit named does not exist
)

// adminMayManage decides whether admin may manage a user of unitID with
// role and clearance (an existing user, or one to create). Operators may
// manage anyone.
func adminMayManage(admin *User, unitID int64, role Role, clearance string) error {
	if admin.IsOperator() {
		return nil
	}
	switch {
	case unitID != admin.UnitID:
		return problem.Forbidden(CodeOtherUnit, "管理员只能管理本单位的用户；其他单位的用户、单位和授权由运维人员在服务器上用 wenshu 命令办理")
	case role == RoleAdmin:
		return problem.Forbidden(CodeAdminProtected, "管理员账户（含本人）只能由运维人员在服务器上管理（wenshu user add、wenshu user passwd）")
	case ClearanceRank(clearance) > ClearanceRank(admin.Clearance):
		return problem.Forbidden(CodeAboveClearance, "不能管理密级高于本人（"+admin.Clearance+"）的用户")
	}
	return nil
}

// auditRefusal records a refused admin action as admin.denied and returns
// err, the refusal. Only refusals are recorded (problem errors); an
// internal failure is returned as it is. If the event cannot be written,
// that failure is returned: the action stays refused.
func (d *Directory) auditRefusal(ctx context.Context, admin *User, action, target string, err error) error {
	var pe *problem.Error
	if admin == nil || !errors.As(err, &pe) {
		return err
	}
	reason := pe.Code
	var hidden hiddenRefusal
	if errors.As(err, &hidden) {
		reason = hidden.reason
	}
	if textrule.Refused(target) {
		// A refused name may hold what the text rule refuses (a bidi
		// control, say): the trail shows it quoted and escaped, not obeyed.
		target = strconv.QuoteToGraphic(target)
	}
	detail := action + " " + reason
	if target = strings.TrimSpace(target); target != "" {
		detail = action + " " + target + " " + reason
	}
	if aerr := d.auditNow(ctx, admin, "admin.denied", detail); aerr != nil {
		return internal("audit refused admin action", aerr)
	}
	return err
}

// hiddenRefusal is a refusal shown as "not found" (a user of another unit,
// whose existence the admin is not told) but audited with its real reason.
type hiddenRefusal struct {
	shown  *problem.Error
	reason string
}

func (h hiddenRefusal) Error() string { return h.shown.Error() }
func (h hiddenRefusal) Unwrap() error { return h.shown }

// adminTarget loads the user an admin acts on and applies the scope: a
// user of another unit is not found (audited as other_unit), an admin or a
// user above the admin's clearance is refused.
func (d *Directory) adminTarget(ctx context.Context, admin *User, userID int64) (*User, error) {
	target, err := d.GetUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	err = adminMayManage(admin, target.UnitID, target.Role, target.Clearance)
	var pe *problem.Error
	if errors.As(err, &pe) && pe.Code == CodeOtherUnit {
		return target, hiddenRefusal{shown: problem.NotFound("用户"), reason: CodeOtherUnit}
	}
	return target, err
}

// targetName names a user for an audit detail: its name when known, its
// id otherwise.
func targetName(u *User, id int64) string {
	if u != nil {
		return u.Name
	}
	return "#" + itoa(id)
}

// AdminAddUser adds a user of the admin's own unit with an initial
// password, for an admin of the web UI. The unit must exist (else
// unit_not_found on field unit), be the admin's own (other_unit), the
// role may not be admin (admin_protected) and the clearance may not exceed
// the admin's (above_own_clearance). User, password and audit events
// commit together; a refusal is audited (admin.denied).
func (d *Directory) AdminAddUser(ctx context.Context, admin *User, in NewUser, password string) (*AddUserResult, error) {
	res, err := d.adminAddUser(ctx, admin, &in, password)
	if err != nil {
		return nil, d.auditRefusal(ctx, admin, "user_add", in.Name+" "+string(in.Role)+" "+in.Unit+" "+in.Clearance, err)
	}
	return res, nil
}

func (d *Directory) adminAddUser(ctx context.Context, admin *User, in *NewUser, password string) (*AddUserResult, error) {
	if err := RequireRole(admin, RoleAdmin); err != nil {
		return nil, err
	}
	if err := in.normalise(); err != nil {
		return nil, err
	}
	unit, err := d.UnitByName(ctx, in.Unit)
	if errors.Is(err, problem.ErrNotFound) {
		return nil, errUnitNotFound(in.Unit)
	}
	if err != nil {
		return nil, err
	}
	if err := adminMayManage(admin, unit.ID, in.Role, in.Clearance); err != nil {
		return nil, err
	}
	if err := checkPassword(password); err != nil {
		return nil, err
	}
	hash := hashPassword(password)
	res := &AddUserResult{Unit: unit}
	err = d.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if res.User, res.Token, err = d.insertUser(ctx, tx, admin, *in, unit); err != nil {
			return err
		}
		if err := d.storePassword(ctx, tx, admin, res.User.ID, hash); err != nil {
			return err
		}
		return d.audit(ctx, tx, admin, "admin.user_add", userDetail(res.User, unit))
	})
	if catalog.IsUniqueViolation(err) {
		return nil, problem.Conflict("user_exists", "用户「"+in.Name+"」已存在")
	}
	if err != nil {
		return nil, internal("add user", err)
	}
	return res, nil
}

// AdminSetUserDisabled disables or re-enables a user of the admin's unit
// for an admin of the web UI (audited under the admin's name). An admin
// cannot disable itself (self_disable), touch another admin
// (admin_protected) or a user above its clearance (above_own_clearance);
// a user of another unit is not found. Refusals are audited.
func (d *Directory) AdminSetUserDisabled(ctx context.Context, admin *User, userID int64, disabled bool) error {
	action := "user_enable"
	if disabled {
		action = "user_disable"
	}
	target, err := d.adminSetUserDisabled(ctx, admin, userID, disabled)
	if err != nil {
		return d.auditRefusal(ctx, admin, action, targetName(target, userID), err)
	}
	return internal("disable user", d.auditNow(ctx, admin, "admin."+action, target.Name))
}

func (d *Directory) adminSetUserDisabled(ctx context.Context, admin *User, userID int64, disabled bool) (*User, error) {
	if err := RequireRole(admin, RoleAdmin); err != nil {
		return nil, err
	}
	if disabled && admin.ID == userID {
		return admin, problem.Conflict("self_disable", "不能停用自己的账户")
	}
	target, err := d.adminTarget(ctx, admin, userID)
	if err != nil {
		return target, err
	}
	return target, d.SetUserDisabled(ctx, userID, disabled)
}

// AdminSetPassword resets the password (and lifts a lockout) of a user of
// the admin's unit, for an admin of the web UI, audited under the admin's
// name (user.password). The scope is AdminSetUserDisabled's: never an
// admin (itself included), never above the admin's clearance, a user of
// another unit is not found. Refusals are audited.
func (d *Directory) AdminSetPassword(ctx context.Context, admin *User, userID int64, password string) error {
	target, err := d.adminSetPassword(ctx, admin, userID, password)
	if err != nil {
		return d.auditRefusal(ctx, admin, "user_password", targetName(target, userID), err)
	}
	return nil
}

func (d *Directory) adminSetPassword(ctx context.Context, admin *User, userID int64, password string) (*User, error) {
	if err := RequireRole(admin, RoleAdmin); err != nil {
		return nil, err
	}
	target, err := d.adminTarget(ctx, admin, userID)
	if err != nil {
		return target, err
	}
	return target, d.setPassword(ctx, admin, userID, password)
}

// AdminListUsers returns the users an admin's page shows, by id: those of
// the admin's own unit (an operator: everyone).
func (d *Directory) AdminListUsers(ctx context.Context, admin *User) ([]*User, error) {
	if err := RequireRole(admin, RoleAdmin); err != nil {
		return nil, err
	}
	if admin.IsOperator() {
		return d.ListUsers(ctx)
	}
	return d.listUsers(ctx, `SELECT `+userCols+` FROM users WHERE unit_id = ? ORDER BY id`, admin.UnitID)
}

// AdminMayManage reports whether admin may disable, enable or reset u (for
// the admin page, which offers those actions only where they would be
// allowed).
func AdminMayManage(admin, u *User) bool {
	return admin != nil && u != nil && adminMayManage(admin, u.UnitID, u.Role, u.Clearance) == nil
}
