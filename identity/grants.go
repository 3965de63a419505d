package identity

import (
	"context"
	"database/sql"
	"fmt"
	"wenshu/catalog"
	"wenshu/problem"
)

// Grants: an archivist or an auditor may be granted other units (授权查阅),
// whose records it then reads, searches and verifies like its own. Other
// roles see their own unit only, whatever grants they hold.

// loadGrants reads the units granted to a user.
func (d *Directory) loadGrants(ctx context.Context, userID int64) ([]int64, error) {
	rows, err := d.db.Reader().QueryContext(ctx, `SELECT unit_id FROM unit_grants WHERE user_id = ? ORDER BY unit_id`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// GrantUnit lets an archivist or auditor see another unit. It is an
// operator action (`wenshu user grant`), audited.
func (d *Directory) GrantUnit(ctx context.Context, userID, unitID int64) error {
	u, err := d.GetUser(ctx, userID)
	if err != nil {
		return err
	}
	if !mayUseGrants(u) {
		return problem.Conflict("grant_role", "只有档案员和审计员可以授权查阅其他单位")
	}
	if _, err := d.GetUnit(ctx, unitID); err != nil {
		return err
	}
	err = d.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO unit_grants (user_id, unit_id, granted_at) VALUES (?, ?, ?)
			ON CONFLICT (user_id, unit_id) DO NOTHING`, userID, unitID, catalog.FormatTime(d.now())); err != nil {
			return err
		}
		return d.audit(ctx, tx, nil, "grant_unit", fmt.Sprintf("user %d unit %d", userID, unitID))
	})
	if err != nil {
		return internal("grant unit", err)
	}
	return nil
}
