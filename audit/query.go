package audit

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"wenshu/catalog"
)

// Query selects events for an auditor (审计查询). Empty fields do not
// filter. Units nil means every unit (an operator); otherwise an event is
// returned when it is attributed to one of Units or its actor belonged to
// one of them (see doc.go).
type Query struct {
	Units    []int64
	Actor    string // the actor's user name, exactly
	Action   string
	Record   string
	From, To time.Time // inclusive
	Page     int       // from 1
	Size     int       // events per page
}

// Maximum and default page sizes.
const (
	MaxPageSize     = 500
	DefaultPageSize = 50
)

// Actor names the user of an event at the time.
type Actor struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Role string `json:"role"`
}

// Target is what an event was about.
type Target struct {
	RecordID string `json:"record_id,omitempty"`
	DraftID  string `json:"draft_id,omitempty"`
	UserID   int64  `json:"user_id,omitempty"`
}

// Entry is one event as the query returns it.
type Entry struct {
	Seq     int64     `json:"seq"`
	Time    time.Time `json:"time"`
	Actor   Actor     `json:"actor"`
	Action  string    `json:"action"`
	Target  Target    `json:"target"`
	Detail  string    `json:"detail"`
	Outcome string    `json:"outcome"`
}

// Page is one page of a query, oldest event first.
type Page struct {
	Total  int64   `json:"total"`
	Events []Entry `json:"events"`
}

// Search runs q on the catalog's readers. Page and Size out of range are
// clamped (the server rejects them first).
func Search(ctx context.Context, db *sql.DB, q Query) (Page, error) {
	where, args := q.where()
	var p Page
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_events WHERE `+where, args...).Scan(&p.Total); err != nil {
		return p, fmt.Errorf("audit: query: %w", err)
	}
	size := q.Size
	if size <= 0 || size > MaxPageSize {
		size = DefaultPageSize
	}
	page := max(q.Page, 1)
	rows, err := db.QueryContext(ctx, `SELECT seq, at, actor_id, actor_name, actor_role, action, record_id, draft_id,
		target_user_id, detail, outcome FROM audit_events WHERE `+where+` ORDER BY seq LIMIT ? OFFSET ?`,
		append(args, size, (page-1)*size)...)
	if err != nil {
		return p, fmt.Errorf("audit: query: %w", err)
	}
	defer rows.Close()
	p.Events = []Entry{}
	for rows.Next() {
		var e Entry
		var at string
		var actor, user sql.NullInt64
		var rec, dr sql.NullString
		if err := rows.Scan(&e.Seq, &at, &actor, &e.Actor.Name, &e.Actor.Role, &e.Action, &rec, &dr, &user, &e.Detail, &e.Outcome); err != nil {
			return p, fmt.Errorf("audit: query: %w", err)
		}
		e.Time, e.Actor.ID, e.Target = catalog.ParseTime(at), actor.Int64, Target{RecordID: rec.String, DraftID: dr.String, UserID: user.Int64}
		p.Events = append(p.Events, e)
	}
	return p, rows.Err()
}

// where builds the portable WHERE clause of q.
func (q Query) where() (string, []any) {
	conds := []string{"seq IS NOT NULL"}
	var args []any
	if q.Units != nil {
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(q.Units)), ", ")
		if len(q.Units) == 0 {
			marks = "NULL"
		}
		conds = append(conds, "(unit_id IN ("+marks+") OR actor_unit_id IN ("+marks+"))")
		for range 2 {
			for _, u := range q.Units {
				args = append(args, u)
			}
		}
	}
	for _, f := range []struct{ col, v string }{{"actor_name", q.Actor}, {"action", q.Action}, {"record_id", q.Record}} {
		if f.v != "" {
			conds = append(conds, f.col+" = ?")
			args = append(args, f.v)
		}
	}
	if !q.From.IsZero() {
		conds, args = append(conds, "at >= ?"), append(args, catalog.FormatTime(q.From))
	}
	if !q.To.IsZero() {
		conds, args = append(conds, "at <= ?"), append(args, catalog.FormatTime(q.To))
	}
	return strings.Join(conds, " AND "), args
}
