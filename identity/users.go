package identity

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
	"wenshu/catalog"
	"wenshu/problem"
)

// NewUser describes a user to add.
type NewUser struct {
	Name      string
	Role      Role
	Unit      string // the unit's full name; see AddUser and AdminAddUser for a unit that does not exist
	Clearance string // 公开, 内部, 秘密 or 机密
}

// AddUserResult is what AddUser did.
type AddUserResult struct {
	User        *User
	Unit        *Unit
	UnitCreated bool   // the unit did not exist and was created with placeholder codes (AddUser only)
	Token       string // the bearer token, shown once; only its SHA-256 is stored
}

// normalise trims a NewUser and checks every field, naming the first bad
// one.
func (in *NewUser) normalise() error {
	in.Name = strings.TrimSpace(in.Name)
	in.Unit = strings.TrimSpace(in.Unit)
	switch {
	case in.Name == "" || utf8.RuneCountInString(in.Name) > 50:
		return problem.Invalid("bad_user_name", "name", "用户名不能为空，且不超过50字")
	case !in.Role.Valid():
		return problem.Invalid("bad_role", "role", "角色须为 clerk、approver、archivist、auditor 或 admin")
	case ClearanceRank(in.Clearance) < 0:
		return problem.Invalid("bad_clearance", "clearance", "密级须为 公开、内部、秘密 或 机密")
	case in.Unit == "" || utf8.RuneCountInString(in.Unit) > 100:
		return problem.Invalid("bad_unit_name", "unit", "单位全称不能为空，且不超过100字")
	}
	if err := checkText("name", "用户名", in.Name); err != nil {
		return err
	}
	return checkText("unit", "单位全称", in.Unit)
}

// errUnitNotFound is the answer to a unit name that does not exist: an
// error naming the field, never a new unit.
func errUnitNotFound(name string) error {
	return problem.Invalid("unit_not_found", "unit", "单位「"+name+"」不存在。请核对单位全称；新单位由运维人员在服务器上用 wenshu unit add 建立")
}

// AddUser adds a user and issues its first token. It is an operator action
// (the CLI's `user add`): the web UI uses AdminAddUser, which refuses a
// unit that does not exist. Here, on the host, a unit named but not yet
// known is created with placeholder codes and UnitCreated is set (the CLI
// says so): nothing can be filed for it until UpdateUnit (`wenshu unit
// add` with the same name) sets its 机关代字, 全宗号 and 机构代码.
func (d *Directory) AddUser(ctx context.Context, in NewUser) (*AddUserResult, error) {
	if err := in.normalise(); err != nil {
		return nil, err
	}
	res := &AddUserResult{}
	now := catalog.FormatTime(d.now())
	err := d.db.Tx(ctx, func(tx *sql.Tx) error {
		unit, err := scanUnit(tx.QueryRowContext(ctx, `SELECT `+unitCols+` FROM units WHERE name = ?`, in.Unit))
		if errors.Is(err, sql.ErrNoRows) {
			unit = &Unit{Name: in.Unit, Placeholder: true}
			if err := tx.QueryRowContext(ctx, `INSERT INTO units (name, code, fonds, org, placeholder, created_at)
				VALUES (?, '', '', '', 1, ?) RETURNING id`, in.Unit, now).Scan(&unit.ID); err != nil {
				return err
			}
			res.UnitCreated = true
			if err := d.audit(ctx, tx, nil, "unit.add_placeholder", in.Unit); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		res.Unit = unit
		res.User, res.Token, err = d.insertUser(ctx, tx, nil, in, unit)
		return err
	})
	if catalog.IsUniqueViolation(err) {
		return nil, problem.Conflict("user_exists", "用户「"+in.Name+"」已存在")
	}
	if err != nil {
		return nil, internal("add user", err)
	}
	return res, nil
}

// insertUser inserts a checked NewUser of unit and its first token inside
// tx, audited (user.add) under actor (nil: the operator).
func (d *Directory) insertUser(ctx context.Context, tx *sql.Tx, actor *User, in NewUser, unit *Unit) (*User, string, error) {
	token, hash := newToken()
	now := catalog.FormatTime(d.now())
	u := &User{Name: in.Name, Role: in.Role, UnitID: unit.ID, Clearance: in.Clearance}
	if err := tx.QueryRowContext(ctx, `INSERT INTO users (name, role, unit_id, clearance, disabled, created_at)
		VALUES (?, ?, ?, ?, 0, ?) RETURNING id`, u.Name, string(u.Role), u.UnitID, u.Clearance, now).Scan(&u.ID); err != nil {
		return nil, "", err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO tokens (hash, user_id, created_at) VALUES (?, ?, ?)`, hash, u.ID, now); err != nil {
		return nil, "", err
	}
	return u, token, d.audit(ctx, tx, actor, "user.add", userDetail(u, unit))
}

// userDetail names a user in an audit event: name, role, unit, clearance.
func userDetail(u *User, unit *Unit) string {
	return u.Name + " " + string(u.Role) + " " + unit.Name + " " + u.Clearance
}

// newToken returns a bearer token (32 random bytes, base64url, prefixed
// "ws_") and the hex SHA-256 that is stored.
func newToken() (token, hash string) {
	token = "ws_" + randomToken()
	return token, tokenHash(token)
}

// tokenHash is what the catalog keeps of a bearer token or a session id:
// its hex SHA-256.
func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// IssueToken issues another bearer token for a user (shown once).
func (d *Directory) IssueToken(ctx context.Context, userID int64) (string, error) {
	token, hash := newToken()
	err := d.db.Tx(ctx, func(tx *sql.Tx) error {
		var name string
		if err := tx.QueryRowContext(ctx, `SELECT name FROM users WHERE id = ?`, userID).Scan(&name); errors.Is(err, sql.ErrNoRows) {
			return problem.NotFound("用户")
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO tokens (hash, user_id, created_at) VALUES (?, ?, ?)`, hash, userID, catalog.FormatTime(d.now())); err != nil {
			return err
		}
		return d.audit(ctx, tx, nil, "token.issue", name)
	})
	if err != nil {
		return "", internal("issue token", err)
	}
	return token, nil
}

// RevokeTokens revokes every token of a user.
func (d *Directory) RevokeTokens(ctx context.Context, userID int64) error {
	return internal("revoke tokens", d.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`, catalog.FormatTime(d.now()), userID); err != nil {
			return err
		}
		return d.audit(ctx, tx, nil, "token.revoke", "")
	}))
}

// SetUserDisabled disables or re-enables a user; a disabled user's tokens
// no longer authenticate.
func (d *Directory) SetUserDisabled(ctx context.Context, userID int64, disabled bool) error {
	return internal("disable user", d.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET disabled = ? WHERE id = ?`, catalog.BoolInt(disabled), userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.NotFound("用户")
		}
		action := "user.enable"
		if disabled {
			action = "user.disable"
		}
		return d.audit(ctx, tx, nil, action, "")
	}))
}

// Authenticate resolves a bearer token to its user and unit. Unknown,
// revoked or malformed tokens and disabled users give problem.ErrUnauthenticated.
func (d *Directory) Authenticate(ctx context.Context, token string) (*User, *Unit, error) {
	token = strings.TrimSpace(token)
	if token == "" || len(token) > 200 {
		return nil, nil, problem.New(problem.ErrUnauthenticated, "bad_token", "令牌无效")
	}
	row := d.db.Reader().QueryRowContext(ctx, `SELECT u.id, u.name, u.role, u.unit_id, u.clearance, u.disabled,
			n.id, n.name, n.code, n.fonds, n.org, n.placeholder
		FROM tokens t JOIN users u ON u.id = t.user_id JOIN units n ON n.id = u.unit_id
		WHERE t.hash = ? AND t.revoked_at IS NULL`, tokenHash(token))
	var u User
	var n Unit
	var role string
	var dis, ph int
	err := row.Scan(&u.ID, &u.Name, &role, &u.UnitID, &u.Clearance, &dis, &n.ID, &n.Name, &n.Code, &n.Fonds, &n.Org, &ph)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, problem.New(problem.ErrUnauthenticated, "bad_token", "令牌无效")
	}
	if err != nil {
		return nil, nil, internal("authenticate", err)
	}
	u.Role, u.Disabled, n.Placeholder = Role(role), dis != 0, ph != 0
	if u.Disabled {
		return nil, nil, problem.New(problem.ErrUnauthenticated, "user_disabled", "该用户已停用")
	}
	if u.Grants, err = d.loadGrants(ctx, u.ID); err != nil {
		return nil, nil, internal("authenticate", err)
	}
	return &u, &n, nil
}

const userCols = `id, name, role, unit_id, clearance, disabled`

func scanUser(row interface{ Scan(...any) error }) (*User, error) {
	var u User
	var role string
	var dis int
	if err := row.Scan(&u.ID, &u.Name, &role, &u.UnitID, &u.Clearance, &dis); err != nil {
		return nil, err
	}
	u.Role, u.Disabled = Role(role), dis != 0
	return &u, nil
}

// GetUser returns a user by id.
func (d *Directory) GetUser(ctx context.Context, id int64) (*User, error) {
	u, err := scanUser(d.db.Reader().QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.NotFound("用户")
	}
	return u, internal("get user", err)
}

// ListUsers returns all users by id (for the operator; an admin's page
// uses AdminListUsers).
func (d *Directory) ListUsers(ctx context.Context) ([]*User, error) {
	return d.listUsers(ctx, `SELECT `+userCols+` FROM users ORDER BY id`)
}

func (d *Directory) listUsers(ctx context.Context, query string, args ...any) ([]*User, error) {
	rows, err := d.db.Reader().QueryContext(ctx, query, args...)
	if err != nil {
		return nil, internal("list users", err)
	}
	defer rows.Close()
	var out []*User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, internal("list users", err)
		}
		out = append(out, u)
	}
	return out, internal("list users", rows.Err())
}

// UserByName returns the user with the given name (names are unique).
func (d *Directory) UserByName(ctx context.Context, name string) (*User, error) {
	u, err := scanUser(d.db.Reader().QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.NotFound("用户「" + name + "」")
	}
	if err != nil {
		return nil, internal("user by name", err)
	}
	return u, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
