package audit

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"wenshu/catalog"
)

// Kinds of findings.
const (
	KindEdited         = "edited"          // an event's content does not match its own hash
	KindUnlinked       = "unlinked"        // prev_hash is not the hash of the event before: inserted, reordered or a deletion before it
	KindMissing        = "missing"         // a sequence number has no event: deleted
	KindDuplicate      = "duplicate"       // two events with one sequence number
	KindUnsequenced    = "unsequenced"     // an event without a sequence number: inserted behind the chain's back
	KindDiffersSigned  = "differs_signed"  // the event differs from the one in the signed segment
	KindBadTime        = "bad_time"        // a time not in the fixed layout
	KindUnknownActor   = "unknown_actor"   // an actor id that is no user, or a user of another name
	KindBadCheckpoint  = "bad_checkpoint"  // a checkpoint or segment that does not verify
	KindBucketGap      = "bucket_gap"      // checkpoints that do not follow each other
	KindBucketTampered = "bucket_tampered" // extra versions or delete markers on audit objects
)

// Finding is one thing wrong with the trail. Seq is the first sequence
// number it concerns (0 when it concerns no single event).
type Finding struct {
	Seq    int64  `json:"seq"`
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
}

// Report is the result of Verify.
type Report struct {
	OK     bool  `json:"ok"`
	Events int64 `json:"events"`   // events in the catalog
	Head   int64 `json:"head_seq"` // highest sequence number in the catalog
	// Checkpoints verified in the bucket, and the last event they cover
	// contiguously from 1. Events after Sealed are covered by the chain
	// only (Unsealed of them): an attacker who rewrites those and
	// recomputes their hashes is not caught until a checkpoint exists.
	Checkpoints int   `json:"checkpoints"`
	Sealed      int64 `json:"sealed_seq"`
	Unsealed    int64 `json:"unsealed"`
	// FirstBad is the lowest sequence number of a finding (0: none, or
	// only findings about no single event).
	FirstBad int64     `json:"first_bad_seq"`
	Findings []Finding `json:"findings"`
}

// Verify walks the catalog's events (db; nil verifies the bucket alone)
// and the bucket's checkpoints and segments, and reports every edited,
// deleted, reordered or inserted event, whether or not the append-only
// triggers are in place.
func Verify(ctx context.Context, db *sql.DB, sink Sink) (*Report, error) {
	t, err := loadTrail(ctx, sink, defaultCallTimeout)
	if err != nil {
		return nil, err
	}
	r := &Report{Checkpoints: len(t.checkpoints), Sealed: t.last, Findings: t.findings}
	if db != nil {
		if err := walkCatalog(ctx, db, t, r); err != nil {
			return nil, err
		}
	}
	sort.SliceStable(r.Findings, func(i, j int) bool { return less(r.Findings[i].Seq, r.Findings[j].Seq) })
	for _, f := range r.Findings {
		if f.Seq > 0 {
			r.FirstBad = f.Seq
			break
		}
	}
	if r.Head > r.Sealed {
		r.Unsealed = r.Head - r.Sealed
	}
	r.OK = len(r.Findings) == 0
	return r, nil
}

// less orders findings by sequence number, those about no single event last.
func less(a, b int64) bool {
	if a == 0 || b == 0 {
		return a != 0 && b == 0
	}
	return a < b
}

// chainWalk is the state of walkCatalog.
type chainWalk struct {
	t        *trail
	r        *Report
	users    map[int64]string
	expected int64
	prevHash string
}

func walkCatalog(ctx context.Context, db *sql.DB, t *trail, r *Report) error {
	users, err := userNames(ctx, db)
	if err != nil {
		return err
	}
	w := &chainWalk{t: t, r: r, expected: 1, users: users}
	if err := catalog.ScanChain(ctx, db, 1, w.event); err != nil {
		return fmt.Errorf("audit: reading the catalog: %w", err)
	}
	var maxSigned int64
	for s := range t.events {
		maxSigned = max(maxSigned, s)
	}
	if w.expected <= maxSigned {
		w.add(w.expected, KindMissing, fmt.Sprintf("签名检查点中的事件 %d–%d 不在目录中（被删除或截断）", w.expected, maxSigned))
	}
	n, err := catalog.CountUnsequenced(ctx, db)
	if err != nil {
		return fmt.Errorf("audit: reading the catalog: %w", err)
	}
	if n > 0 {
		w.add(0, KindUnsequenced, fmt.Sprintf("%d 条事件没有序号（绕过哈希链插入）", n))
	}
	return nil
}

func (w *chainWalk) add(seq int64, kind, detail string) {
	w.r.Findings = append(w.r.Findings, Finding{Seq: seq, Kind: kind, Detail: detail})
}

// event checks one catalog row, in sequence order.
func (w *chainWalk) event(e catalog.ChainedEvent) error {
	w.r.Events++
	w.r.Head = max(w.r.Head, e.Seq)
	if e.Seq < w.expected {
		w.add(e.Seq, KindDuplicate, fmt.Sprintf("序号 %d 出现不止一次（第二条：%s %s）", e.Seq, e.ActorName, e.Action))
		return nil
	}
	if e.Seq > w.expected {
		w.add(w.expected, KindMissing, fmt.Sprintf("事件 %d–%d 缺失（被删除）", w.expected, e.Seq-1))
	}
	h := e.ComputeHash()
	signed, isSigned := w.t.events[e.Seq]
	switch {
	case isSigned && signed.Hash != h:
		w.add(e.Seq, KindDiffersSigned, fmt.Sprintf("事件 %d 与桶中签名段不同：目录为 %s，签名段为 %s", e.Seq, describe(e), describe(signed)))
	case h != e.Hash:
		w.add(e.Seq, KindEdited, fmt.Sprintf("事件 %d 的内容与其哈希不符（被修改）：%s", e.Seq, describe(e)))
	case e.PrevHash != w.prevHash && e.Seq == w.expected:
		w.add(e.Seq, KindUnlinked, fmt.Sprintf("事件 %d 的 prev_hash 不是事件 %d 的哈希（插入、调换或其前有删除）", e.Seq, e.Seq-1))
	}
	// Sealed events are proven by the signature; the users of a restored
	// catalog may be gone or new, so only unsealed ones are checked here.
	if name, ok := w.users[e.ActorID]; e.Seq > w.t.last && e.ActorID != 0 && (!ok || name != e.ActorName) {
		w.add(e.Seq, KindUnknownActor, fmt.Sprintf("事件 %d 的操作人 %d %s 不是目录中的用户", e.Seq, e.ActorID, e.ActorName))
	}
	if _, err := time.Parse(catalog.TimeLayout, e.Time); err != nil {
		w.add(e.Seq, KindBadTime, fmt.Sprintf("事件 %d 的时间 %q 不是规定格式", e.Seq, e.Time))
	}
	w.prevHash, w.expected = e.Hash, e.Seq+1
	return nil
}

// describe names an event for a finding.
func describe(e catalog.ChainedEvent) string {
	return fmt.Sprintf("%s %s（%s）%s %s", e.Time, e.ActorName, e.Action, target(e), e.Detail)
}

func target(e catalog.ChainedEvent) string {
	switch {
	case e.RecordID != "":
		return e.RecordID
	case e.DraftID != "":
		return e.DraftID
	case e.UserID != 0:
		return fmt.Sprintf("user:%d", e.UserID)
	}
	return "-"
}

// userNames maps every user id to its name.
func userNames(ctx context.Context, db *sql.DB) (map[int64]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT id, name FROM users`)
	if err != nil {
		return nil, fmt.Errorf("audit: reading users: %w", err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, fmt.Errorf("audit: reading users: %w", err)
		}
		out[id] = name
	}
	return out, rows.Err()
}
