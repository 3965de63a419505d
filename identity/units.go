package identity

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"strings"
	"unicode/utf8"
	"wenshu/catalog"
	"wenshu/problem"
)

// UnitInput describes a unit to add or update.
type UnitInput struct {
	Name  string // 全称, unique
	Code  string // 机关代字
	Fonds string // 全宗号: ASCII letters and digits
	Org   string // 机构(问题)代码: ASCII letters and digits, may be empty
}

var archiveCodePart = regexp.MustCompile(`^[A-Za-z0-9]{1,16}$`)

func (in *UnitInput) normalise() error {
	in.Name = strings.TrimSpace(in.Name)
	in.Code = strings.TrimSpace(in.Code)
	in.Fonds = strings.ToUpper(strings.TrimSpace(in.Fonds))
	in.Org = strings.ToUpper(strings.TrimSpace(in.Org))
	switch {
	case in.Name == "" || utf8.RuneCountInString(in.Name) > 100:
		return problem.Invalid("bad_unit_name", "name", "单位全称不能为空，且不超过100字")
	case in.Code == "" || utf8.RuneCountInString(in.Code) > 20 || strings.ContainsAny(in.Code, "〔〕[]-/ "):
		return problem.Invalid("bad_unit_code", "code", "机关代字不能为空，不超过20字，且不含〔〕、括号、连字符或空格")
	case !archiveCodePart.MatchString(in.Fonds):
		return problem.Invalid("bad_fonds", "fonds", "全宗号须为1至16位字母或数字")
	case in.Org != "" && !archiveCodePart.MatchString(in.Org):
		return problem.Invalid("bad_org", "org", "机构代码须为1至16位字母或数字，可为空")
	}
	if err := checkText("name", "单位全称", in.Name); err != nil {
		return err
	}
	return checkText("code", "机关代字", in.Code)
}

// AddUnit adds a unit. It is an operator action (the CLI's `unit add`); the
// HTTP layer must check the admin role before calling it. A duplicate name
// is a conflict.
func (d *Directory) AddUnit(ctx context.Context, in UnitInput) (*Unit, error) {
	if err := in.normalise(); err != nil {
		return nil, err
	}
	var id int64
	err := d.db.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO units (name, code, fonds, org, placeholder, created_at)
			VALUES (?, ?, ?, ?, 0, ?) RETURNING id`, in.Name, in.Code, in.Fonds, in.Org, catalog.FormatTime(d.now())).Scan(&id)
		if err != nil {
			return err
		}
		return d.audit(ctx, tx, nil, "unit.add", in.Name)
	})
	if catalog.IsUniqueViolation(err) {
		return nil, problem.Conflict("unit_exists", "单位「"+in.Name+"」已存在")
	}
	if err != nil {
		return nil, internal("add unit", err)
	}
	return &Unit{ID: id, Name: in.Name, Code: in.Code, Fonds: in.Fonds, Org: in.Org}, nil
}

// UpdateUnit sets a unit's name and codes (and clears Placeholder). Records
// already filed keep the codes they were filed with.
func (d *Directory) UpdateUnit(ctx context.Context, id int64, in UnitInput) (*Unit, error) {
	if err := in.normalise(); err != nil {
		return nil, err
	}
	err := d.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE units SET name = ?, code = ?, fonds = ?, org = ?, placeholder = 0 WHERE id = ?`,
			in.Name, in.Code, in.Fonds, in.Org, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.NotFound("单位")
		}
		return d.audit(ctx, tx, nil, "unit.update", in.Name)
	})
	if catalog.IsUniqueViolation(err) {
		return nil, problem.Conflict("unit_exists", "单位「"+in.Name+"」已存在")
	}
	if err != nil {
		return nil, internal("update unit", err)
	}
	return d.GetUnit(ctx, id)
}

const unitCols = `id, name, code, fonds, org, placeholder`

func scanUnit(row interface{ Scan(...any) error }) (*Unit, error) {
	var u Unit
	var ph int
	if err := row.Scan(&u.ID, &u.Name, &u.Code, &u.Fonds, &u.Org, &ph); err != nil {
		return nil, err
	}
	u.Placeholder = ph != 0
	return &u, nil
}

// GetUnit returns a unit by id.
func (d *Directory) GetUnit(ctx context.Context, id int64) (*Unit, error) {
	u, err := scanUnit(d.db.Reader().QueryRowContext(ctx, `SELECT `+unitCols+` FROM units WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.NotFound("单位")
	}
	return u, internal("get unit", err)
}

// UnitByName returns a unit by its full name.
func (d *Directory) UnitByName(ctx context.Context, name string) (*Unit, error) {
	u, err := scanUnit(d.db.Reader().QueryRowContext(ctx, `SELECT `+unitCols+` FROM units WHERE name = ?`, strings.TrimSpace(name)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.NotFound("单位")
	}
	return u, internal("get unit", err)
}

// ListUnits returns all units by id.
func (d *Directory) ListUnits(ctx context.Context) ([]*Unit, error) {
	rows, err := d.db.Reader().QueryContext(ctx, `SELECT `+unitCols+` FROM units ORDER BY id`)
	if err != nil {
		return nil, internal("list units", err)
	}
	defer rows.Close()
	var out []*Unit
	for rows.Next() {
		u, err := scanUnit(rows)
		if err != nil {
			return nil, internal("list units", err)
		}
		out = append(out, u)
	}
	return out, internal("list units", rows.Err())
}
