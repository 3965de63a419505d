package archive

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
)

// Grants: an archivist or an auditor may be granted other units (授权查阅),
// whose records it then reads, searches and verifies like its own. Other
// roles see their own unit only, whatever grants they hold.

// mayUseGrants reports whether u's role reads granted units.
func mayUseGrants(u *User) bool {
	return u.Role == RoleArchivist || u.Role == RoleAuditor
}

// VisibleUnits lists the units whose records u may see: its own, plus the
// granted ones for archivists and auditors. Operators see every unit.
func (s *Store) VisibleUnits(ctx context.Context, u *User) ([]int64, error) {
	if err := requireUser(u); err != nil {
		return nil, err
	}
	if u.IsOperator() {
		units, err := s.ListUnits(ctx)
		if err != nil {
			return nil, err
		}
		ids := make([]int64, 0, len(units))
		for _, n := range units {
			ids = append(ids, n.ID)
		}
		return ids, nil
	}
	ids := []int64{u.UnitID}
	if mayUseGrants(u) {
		for _, g := range u.Grants {
			if !slices.Contains(ids, g) {
				ids = append(ids, g)
			}
		}
	}
	return ids, nil
}

// loadGrants reads the units granted to a user.
func (s *Store) loadGrants(ctx context.Context, userID int64) ([]int64, error) {
	rows, err := s.cat.r.QueryContext(ctx, `SELECT unit_id FROM unit_grants WHERE user_id = ? ORDER BY unit_id`, userID)
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
func (s *Store) GrantUnit(ctx context.Context, userID, unitID int64) error {
	u, err := s.GetUser(ctx, userID)
	if err != nil {
		return err
	}
	if !mayUseGrants(u) {
		return conflict("grant_role", "只有档案员和审计员可以授权查阅其他单位")
	}
	if _, err := s.GetUnit(ctx, unitID); err != nil {
		return err
	}
	err = s.cat.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO unit_grants (user_id, unit_id, granted_at) VALUES (?, ?, ?)
			ON CONFLICT (user_id, unit_id) DO NOTHING`, userID, unitID, fmtTime(s.now())); err != nil {
			return err
		}
		return s.audit(ctx, tx, nil, "grant_unit", "", "", fmt.Sprintf("user %d unit %d", userID, unitID))
	})
	if err != nil {
		return internal("grant unit", err)
	}
	return nil
}

// UserByName returns the user with the given name (names are unique).
func (s *Store) UserByName(ctx context.Context, name string) (*User, error) {
	u, err := scanUser(s.cat.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("用户「" + name + "」")
	}
	if err != nil {
		return nil, internal("user by name", err)
	}
	return u, nil
}
