package archive

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"wenshu/calendar"
	"wenshu/catalog"
	"wenshu/deadline"
	"wenshu/identity"
	"wenshu/problem"
)

// Deadlines (期限): the ledger of time limits started by events of a case
// (a letter's service starts the reply deadline, rule "reply"). The rules
// are package deadline's, built in plus the admin's files in
// DataDir/deadline-rules; they are counted over the registry's holiday
// calendar. A due date that needs a year without a table is counted over
// weekends only and marked provisional; it is never printed in a document.

// DayLayout is the layout of dates in the API: YYYY-MM-DD.
const DayLayout = "2006-01-02"

// Deadline statuses.
const (
	DeadlineOpen    = "open"    // not closed, due date not passed
	DeadlineOverdue = "overdue" // not closed, due date before as_of
	DeadlineDone    = "done"    // closed (on time or late)
)

// Deadline is one row of the ledger as the API shows it.
type Deadline struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"` // the rule id, e.g. reply
	Name        string `json:"name"` // the rule's Chinese name
	RecordID    string `json:"record_id"`
	CaseNo      string `json:"case_no"`
	Person      string `json:"person"`
	Start       string `json:"start"`
	Due         string `json:"due"`
	Status      string `json:"status"`
	OnTime      *bool  `json:"on_time"` // set once done
	DoneOn      string `json:"done_on,omitempty"`
	ClosedBy    string `json:"closed_by,omitempty"` // the record that closed it (the reply)
	Provisional bool   `json:"provisional"`
	Basis       string `json:"basis"`
}

// DeadlineFilter selects ledger rows; AsOf (default today in Location)
// decides overdue.
type DeadlineFilter struct {
	Status string // "", open, overdue or done
	AsOf   time.Time
	CaseNo string
	Person string
}

// calendarSource is what gives the working-day calendar
// (*templates.Registry has it).
type calendarSource interface{ Calendar() *calendar.Calendar }

// deadlineBook returns the rules and the calendar: built-in rules plus
// DataDir/deadline-rules, the registry's calendar.
func (s *Store) deadlineBook() (deadline.Book, error) {
	src, ok := s.opts.Templates.(calendarSource)
	if !ok || src.Calendar() == nil {
		return deadline.Book{}, errors.New("archive: the template registry has no holiday calendar")
	}
	dir := filepath.Join(s.opts.DataDir, "deadline-rules")
	if _, err := os.Stat(dir); err != nil {
		dir = ""
	}
	rules, err := deadline.Load(dir)
	if err != nil {
		return deadline.Book{}, fmt.Errorf("archive: deadline rules: %w", err)
	}
	return deadline.Book{Calendar: src.Calendar(), Rules: rules}, nil
}

// Today is the current date in the Store's time zone (UTC+8 by default),
// as a UTC midnight.
func (s *Store) Today() time.Time { return calendar.Day(s.now().In(s.opts.Location)) }

// ListDeadlines lists the deadlines of the caller's unit (clerks,
// approvers and auditors), overdue first, then by due date.
func (s *Store) ListDeadlines(ctx context.Context, u *identity.User, f DeadlineFilter) ([]Deadline, error) {
	if err := identity.RequireRole(u, identity.RoleClerk, identity.RoleApprover, identity.RoleAuditor); err != nil {
		return nil, err
	}
	switch f.Status {
	case "", DeadlineOpen, DeadlineOverdue, DeadlineDone:
	default:
		return nil, problem.Invalid("bad_status", "status", "status 须为 open、overdue 或 done")
	}
	if f.AsOf.IsZero() {
		f.AsOf = s.Today()
	}
	q := `SELECT ` + deadlineCols + ` FROM deadlines WHERE unit_id = ?`
	args := []any{u.UnitID}
	if c := strings.TrimSpace(f.CaseNo); c != "" {
		q, args = q+` AND case_no = ?`, append(args, c)
	}
	if p := strings.TrimSpace(f.Person); p != "" {
		q, args = q+` AND person = ?`, append(args, p)
	}
	rows, err := s.cat.Reader().QueryContext(ctx, q+` ORDER BY due, id LIMIT 10000`, args...)
	if err != nil {
		return nil, internal("list deadlines", err)
	}
	defer rows.Close()
	out := []Deadline{}
	asOf := f.AsOf.Format(DayLayout)
	for rows.Next() {
		d, err := scanDeadline(rows, asOf)
		if err != nil {
			return nil, internal("list deadlines", err)
		}
		if f.Status == "" || f.Status == d.Status {
			out = append(out, *d)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, internal("list deadlines", err)
	}
	sort.SliceStable(out, func(i, j int) bool {
		return (out[i].Status == DeadlineOverdue) && out[j].Status != DeadlineOverdue
	})
	return out, nil
}

// builtinRules names the kinds of the ledger (loaded once).
var builtinRules = sync.OnceValues(deadline.Builtin)

const deadlineCols = `id, kind, record_id, case_no, person, start_on, due, provisional, basis, status, done_on, closed_by`

// scanDeadline reads a row; asOf (YYYY-MM-DD) turns an open row past its
// due date into overdue.
func scanDeadline(row interface{ Scan(...any) error }, asOf string) (*Deadline, error) {
	var d Deadline
	var prov int
	var doneOn, closedBy sql.NullString
	if err := row.Scan(&d.ID, &d.Kind, &d.RecordID, &d.CaseNo, &d.Person, &d.Start, &d.Due, &prov, &d.Basis, &d.Status,
		&doneOn, &closedBy); err != nil {
		return nil, err
	}
	d.Provisional, d.DoneOn, d.ClosedBy = prov != 0, doneOn.String, closedBy.String
	if rules, err := builtinRules(); err == nil {
		if r, err := rules.Get(d.Kind); err == nil {
			d.Name = r.Name
		}
	}
	switch {
	case d.Status == DeadlineDone:
		onTime := d.DoneOn <= d.Due
		d.OnTime = &onTime
	case d.Due < asOf:
		d.Status = DeadlineOverdue
	}
	return &d, nil
}

// deadlineOf returns the deadline of kind started by record recordID.
func (s *Store) deadlineOf(ctx context.Context, q catalog.QueryRower, recordID, kind string) (*Deadline, error) {
	d, err := scanDeadline(q.QueryRowContext(ctx, `SELECT `+deadlineCols+` FROM deadlines WHERE record_id = ? AND kind = ?`,
		recordID, kind), s.Today().Format(DayLayout))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, internal("get deadline", err)
	}
	return d, nil
}

// Warning is a condition an admin must act on (shown by /readyz and the
// admin page).
type Warning struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Warnings reports what an admin must fix soon: from 1 November (and at
// any time for the current year) a missing holiday table, without which
// working-day deadlines are provisional. The /readyz handler and the admin
// page show them; they never make the server unready.
func (s *Store) Warnings() []Warning {
	src, ok := s.opts.Templates.(calendarSource)
	if !ok || src.Calendar() == nil {
		return nil
	}
	today := s.Today()
	year, missing := src.Calendar().MissingNextYear(today)
	if !missing {
		return nil
	}
	return []Warning{{Code: "holiday_table_missing", Message: "缺少" + strconv.Itoa(year) +
		"年节假日安排表：跨入该年的工作日期限只能按周末推算（暂定），请管理员上传国务院办公厅公布的" + strconv.Itoa(year) + "年放假安排"}}
}

// recomputeProvisional counts the open provisional deadlines again (after
// a holiday table was added): those whose years now all have tables get
// their real due date and lose the mark. Audited per deadline changed.
func (s *Store) recomputeProvisional(ctx context.Context, u *identity.User) error {
	book, err := s.deadlineBook()
	if err != nil {
		return err
	}
	rows, err := s.cat.Reader().QueryContext(ctx, `SELECT `+deadlineCols+` FROM deadlines WHERE status = 'open' AND provisional = 1`)
	if err != nil {
		return internal("recompute deadlines", err)
	}
	var open []*Deadline
	for rows.Next() {
		d, err := scanDeadline(rows, "")
		if err != nil {
			rows.Close()
			return internal("recompute deadlines", err)
		}
		open = append(open, d)
	}
	rows.Close()
	for _, d := range open {
		start, _ := time.Parse(DayLayout, d.Start)
		dl, err := book.Compute(d.Kind, start)
		if err != nil || dl.Provisional {
			continue
		}
		due := dl.Due.Format(DayLayout)
		err = s.cat.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE deadlines SET due = ?, provisional = 0 WHERE id = ?`, due, d.ID); err != nil {
				return err
			}
			return s.audit(ctx, tx, u, "deadline.recompute", d.RecordID, "", d.Kind+" 暂定期限 "+d.Due+" 按新节假日安排表改为 "+due)
		})
		if err != nil {
			return internal("recompute deadlines", err)
		}
	}
	return nil
}
