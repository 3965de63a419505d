package identity

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"
	"wenshu/catalog"
	"wenshu/problem"
	"wenshu/textrule"
)

// SavedSearch is a user's named search (保存的检索): the query parameters
// of /search, kept as JSON. Only its owner sees it.
type SavedSearch struct {
	ID        int64           `json:"id"`
	Name      string          `json:"name"`
	Query     json.RawMessage `json:"query"`
	CreatedAt time.Time       `json:"created_at"`
}

// MaxSavedSearches bounds how many searches one user keeps.
const MaxSavedSearches = 100

// SaveSearch stores a named search for u. The query is opaque JSON here;
// the server validates it as search parameters before saving.
func (d *Directory) SaveSearch(ctx context.Context, u *User, name string, query json.RawMessage) (*SavedSearch, error) {
	if err := RequireUser(u); err != nil {
		return nil, err
	}
	if u.IsOperator() {
		return nil, problem.Forbidden("operator_no_saved", "操作员身份不能保存检索")
	}
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 50 || textrule.Refused(name) {
		return nil, problem.Invalid("bad_name", "name", "名称不能为空，不超过50字，且不含控制字符")
	}
	if len(query) == 0 || len(query) > 4096 || !json.Valid(query) {
		return nil, problem.Invalid("bad_query", "query", "检索条件应为不超过4KB的JSON对象")
	}
	now := d.now()
	var id int64
	err := d.db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM saved_searches WHERE user_id = ?`, u.ID).Scan(&n); err != nil {
			return err
		}
		if n >= MaxSavedSearches {
			return problem.Conflict("too_many_saved", "保存的检索已达上限（100条），请先删除不用的")
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO saved_searches (user_id, name, query, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
			u.ID, name, string(query), catalog.FormatTime(now)).Scan(&id)
		if catalog.IsUniqueViolation(err) {
			return problem.Conflict("name_taken", "已有同名的保存检索「"+name+"」")
		}
		return err
	})
	if err != nil {
		return nil, internal("save search", err)
	}
	return &SavedSearch{ID: id, Name: name, Query: query, CreatedAt: now}, nil
}

// ListSavedSearches returns u's saved searches, newest first.
func (d *Directory) ListSavedSearches(ctx context.Context, u *User) ([]SavedSearch, error) {
	if err := RequireUser(u); err != nil {
		return nil, err
	}
	rows, err := d.db.Reader().QueryContext(ctx, `SELECT id, name, query, created_at FROM saved_searches WHERE user_id = ? ORDER BY id DESC`, u.ID)
	if err != nil {
		return nil, internal("list saved searches", err)
	}
	defer rows.Close()
	out := []SavedSearch{}
	for rows.Next() {
		var ss SavedSearch
		var q, at string
		if err := rows.Scan(&ss.ID, &ss.Name, &q, &at); err != nil {
			return nil, internal("list saved searches", err)
		}
		ss.Query, ss.CreatedAt = json.RawMessage(q), catalog.ParseTime(at)
		out = append(out, ss)
	}
	if err := rows.Err(); err != nil {
		return nil, internal("list saved searches", err)
	}
	return out, nil
}

// DeleteSavedSearch deletes one of u's saved searches; another user's is
// not found.
func (d *Directory) DeleteSavedSearch(ctx context.Context, u *User, id int64) error {
	if err := RequireUser(u); err != nil {
		return err
	}
	var n int64
	err := d.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM saved_searches WHERE id = ? AND user_id = ?`, id, u.ID)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return internal("delete saved search", err)
	}
	if n == 0 {
		return problem.NotFound("保存的检索")
	}
	return nil
}
