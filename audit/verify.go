package audit

import (
	"context"
	"database/sql"
	"fmt"
	"math"
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
	b, err := openTrail(ctx, sink, defaultCallTimeout)
	if err != nil {
		return nil, err
	}
	r := &Report{}
	w := &chainWalk{r: r, expected: 1}
	if db != nil {
		if w.users, err = userNames(ctx, db); err != nil {
			return nil, err
		}
	}
	// Each checkpoint's range of the catalog is compared with its segment;
	// then the unsealed rest with the chain alone.
	err = b.each(ctx, func(cp Checkpoint, evs []catalog.ChainedEvent) error {
		if db == nil {
			return nil
		}
		return w.scan(ctx, db, cp.Seq, evs)
	})
	if err != nil {
		return nil, err
	}
	w.unsealed = true
	if db != nil {
		if err := w.scan(ctx, db, math.MaxInt64, nil); err != nil {
			return nil, err
		}
		if err := w.unsequenced(ctx, db); err != nil {
			return nil, err
		}
	}
	r.Checkpoints, r.Sealed = b.checkpoints, b.last
	r.Findings = append(b.findings, r.Findings...)
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

// chainWalk is the state of the walk over the catalog.
type chainWalk struct {
	r        *Report
	users    map[int64]string
	expected int64                          // the next seq
	prevHash string                         // hash of seq expected-1 as stored
	signed   map[int64]catalog.ChainedEvent // the current segment's events
	unsealed bool                           // past the last checkpoint
}

// scan checks the catalog's events from the next expected seq up to to
// against signed (the segment sealing that range; nil past the last
// checkpoint). Signed events the catalog lacks are reported as deleted.
func (w *chainWalk) scan(ctx context.Context, db *sql.DB, to int64, signed []catalog.ChainedEvent) error {
	w.signed = make(map[int64]catalog.ChainedEvent, len(signed))
	for _, e := range signed {
		w.signed[e.Seq] = e
	}
	if err := catalog.ScanChainRange(ctx, db, w.expected, to, w.event); err != nil {
		return fmt.Errorf("audit: reading the catalog: %w", err)
	}
	if n := len(signed); n > 0 && w.expected <= signed[n-1].Seq {
		last := signed[n-1]
		w.add(w.expected, KindMissing, fmt.Sprintf("签名检查点中的事件 %d–%d 不在目录中（被删除或截断）", w.expected, last.Seq))
		w.expected, w.prevHash = last.Seq+1, last.Hash
	}
	return nil
}

// unsequenced reports rows inserted without a sequence number.
func (w *chainWalk) unsequenced(ctx context.Context, db *sql.DB) error {
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
	signed, isSigned := w.signed[e.Seq]
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
	if name, ok := w.users[e.ActorID]; w.unsealed && e.ActorID != 0 && (!ok || name != e.ActorName) {
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
