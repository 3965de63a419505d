package identity

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"wenshu/problem"
)

// The unit's head (主要负责人, the 派驻机构主要负责人): one approver of the unit
// named by an operator (`wenshu unit set-head`) or an admin of the unit. Only
// the head may sign off templates whose manifest says "approval": "head".

// SetUnitHead names user userName, an enabled approver of unit unitID, its
// head. actor is the admin (or an operator) doing it; the change is audited.
func (d *Directory) SetUnitHead(ctx context.Context, actor *User, unitID int64, userName string) (*User, error) {
	unit, err := d.GetUnit(ctx, unitID)
	if err != nil {
		return nil, err
	}
	u, err := d.UserByName(ctx, strings.TrimSpace(userName))
	if errors.Is(err, problem.ErrNotFound) {
		return nil, problem.Invalid("unknown_user", "name", "用户「"+strings.TrimSpace(userName)+"」不存在")
	}
	if err != nil {
		return nil, err
	}
	switch {
	case u.UnitID != unit.ID:
		return nil, problem.Invalid("head_other_unit", "name", "「"+u.Name+"」不是「"+unit.Name+"」的用户")
	case u.Role != RoleApprover:
		return nil, problem.Invalid("head_not_approver", "name", "主要负责人须为本单位审批人，「"+u.Name+"」是"+u.Role.Name())
	case u.Disabled:
		return nil, problem.Invalid("head_disabled", "name", "用户「"+u.Name+"」已停用")
	}
	err = d.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE units SET head_user_id = ? WHERE id = ?`, u.ID, unit.ID); err != nil {
			return err
		}
		return d.audit(ctx, tx, actor, "unit.set_head", unit.Name+" 主要负责人 "+u.Name)
	})
	if err != nil {
		return nil, internal("set unit head", err)
	}
	return u, nil
}

// UnitHead returns the head of unit unitID, or nil when none is named (or
// the one named is no longer an enabled approver of the unit).
func (d *Directory) UnitHead(ctx context.Context, unitID int64) (*User, error) {
	var id sql.NullInt64
	err := d.db.Reader().QueryRowContext(ctx, `SELECT head_user_id FROM units WHERE id = ?`, unitID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.NotFound("单位")
	}
	if err != nil {
		return nil, internal("unit head", err)
	}
	if !id.Valid {
		return nil, nil
	}
	u, err := d.GetUser(ctx, id.Int64)
	if err != nil {
		return nil, err
	}
	if u.UnitID != unitID || u.Role != RoleApprover || u.Disabled {
		return nil, nil
	}
	return u, nil
}
