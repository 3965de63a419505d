package identity

import (
	"context"
	"database/sql"
	"time"

	"wenshu/catalog"
	"wenshu/problem"
	"wenshu/textrule"
)

// Options configure a Directory. All have defaults.
type Options struct {
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// LoginMaxFailures wrong passwords in a row lock an account for
	// LockoutDuration (defaults 5 and 15 minutes). See passwords.go.
	LoginMaxFailures int
	LockoutDuration  time.Duration
	// SessionIdle ends a browser session unused this long (default 30
	// minutes); SessionLifetime ends any session this long after login
	// (default 12 hours).
	SessionIdle     time.Duration
	SessionLifetime time.Duration
}

func (o *Options) defaults() {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.LoginMaxFailures <= 0 {
		o.LoginMaxFailures = 5
	}
	if o.LockoutDuration <= 0 {
		o.LockoutDuration = 15 * time.Minute
	}
	if o.SessionIdle <= 0 {
		o.SessionIdle = 30 * time.Minute
	}
	if o.SessionLifetime <= 0 {
		o.SessionLifetime = 12 * time.Hour
	}
}

// Directory is the identity store (人员与权限) on a catalog: units, users,
// tokens, passwords, sessions, grants and saved searches. Safe for
// concurrent use; it does not own the catalog (the caller closes it).
type Directory struct {
	db   *catalog.DB
	opts Options
}

// New returns the directory kept in db.
func New(db *catalog.DB, opts Options) *Directory {
	opts.defaults()
	return &Directory{db: db, opts: opts}
}

func (d *Directory) now() time.Time { return d.opts.Now().UTC() }

// audit appends an event inside tx. actor nil means the system itself.
func (d *Directory) audit(ctx context.Context, tx *sql.Tx, actor *User, action, detail string) error {
	e := catalog.AuditEntry{At: d.now(), Action: action, Detail: detail}
	if actor != nil {
		e.ActorID, e.ActorName = actor.ID, actor.Name
	}
	return catalog.AppendAudit(ctx, tx, e)
}

// auditNow appends an event in its own transaction.
func (d *Directory) auditNow(ctx context.Context, actor *User, action, detail string) error {
	return d.db.Tx(ctx, func(tx *sql.Tx) error { return d.audit(ctx, tx, actor, action, detail) })
}

// internal wraps an unexpected failure for the log (see problem.Internal).
func internal(op string, err error) error { return problem.Internal("identity: "+op, err) }

// checkText refuses a name that breaks the text rule (textrule, one-line),
// naming its field.
func checkText(field, label, s string) error {
	switch code, _ := textrule.Problem(s, false); code {
	case textrule.CodeControlChar:
		return problem.Invalid(code, field, label+"含有不可见的控制字符或格式控制字符（如换行、文字方向控制符、零宽字符）")
	case textrule.CodeInvalidChar:
		return problem.Invalid(code, field, label+"含有无效的字符编码（损坏的 UTF-8、不成对的代理项或替换字符 U+FFFD）")
	}
	return nil
}
