package identity

import (
	"context"
	"wenshu/problem"
)

// AdminAddUser is AddUser with an initial password, for an admin of the
// web UI: the admin is checked and named in the audit trail. The password
// is checked before the user is created.
func (d *Directory) AdminAddUser(ctx context.Context, admin *User, in NewUser, password string) (*AddUserResult, error) {
	if err := RequireRole(admin, RoleAdmin); err != nil {
		return nil, err
	}
	if err := checkPassword(password); err != nil {
		return nil, err
	}
	res, err := d.AddUser(ctx, in)
	if err != nil {
		return nil, err
	}
	if err := d.setPassword(ctx, admin, res.User.ID, password); err != nil {
		return nil, err
	}
	detail := res.User.Name + " " + string(res.User.Role) + " " + res.Unit.Name + " " + res.User.Clearance
	if err := d.auditNow(ctx, admin, "admin.user_add", detail); err != nil {
		return nil, internal("add user", err)
	}
	return res, nil
}

// AdminSetUserDisabled disables or re-enables a user for an admin of the
// web UI (audited under the admin's name). An admin cannot disable itself.
func (d *Directory) AdminSetUserDisabled(ctx context.Context, admin *User, userID int64, disabled bool) error {
	if err := RequireRole(admin, RoleAdmin); err != nil {
		return err
	}
	if disabled && admin.ID == userID {
		return problem.Conflict("self_disable", "不能停用自己的账户")
	}
	target, err := d.GetUser(ctx, userID)
	if err != nil {
		return err
	}
	if err := d.SetUserDisabled(ctx, userID, disabled); err != nil {
		return err
	}
	action := "admin.user_enable"
	if disabled {
		action = "admin.user_disable"
	}
	return internal("disable user", d.auditNow(ctx, admin, action, target.Name))
}

// AdminSetPassword resets a user's password (and lifts a lockout) for an
// admin of the web UI, audited under the admin's name.
func (d *Directory) AdminSetPassword(ctx context.Context, admin *User, userID int64, password string) error {
	if err := RequireRole(admin, RoleAdmin); err != nil {
		return err
	}
	return d.setPassword(ctx, admin, userID, password)
}
