package catalog

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/emmansun/gmsm/sm3"
)

// The audit hash chain (审计链). Every row of audit_events carries seq
// (1, 2, 3… in commit order), prev_hash (the hash of seq-1; "" for seq 1)
// and hash = lower-case hex SM3 of the event's canonical bytes, which
// include prev_hash. The canonical bytes are compact JSON with keys sorted
// by code point at every level, no insignificant white space and no HTML
// escaping:
//
//	{"action":…,"actor":{"id":…,"name":…,"role":…,"unit":…},"detail":…,
//	 "outcome":…,"prev_hash":…,"seq":…,"target":{"draft":…,"record":…,
//	 "user":…},"time":"2006-01-02T15:04:05.000Z","unit":…}
//
// Absent values are "" and 0, never omitted. The same line is what a
// checkpoint segment in the bucket holds (package audit), so an event can
// be restored from the bucket and its hash recomputed by anyone.

// ChainedEvent is one stored audit event with its place in the chain.
type ChainedEvent struct {
	RowID       int64 // the table's row id; not part of the chain
	Seq         int64
	Time        string // TimeLayout, UTC
	ActorID     int64
	ActorName   string
	ActorRole   string
	ActorUnitID int64
	Action      string
	RecordID    string
	DraftID     string
	UserID      int64
	Detail      string
	Outcome     string
	UnitID      int64
	PrevHash    string
	Hash        string // as stored; ComputeHash recomputes it
}

// canonicalEvent lists its members in sorted order, so encoding/json
// writes the canonical form.
type canonicalEvent struct {
	Action   string          `json:"action"`
	Actor    canonicalActor  `json:"actor"`
	Detail   string          `json:"detail"`
	Outcome  string          `json:"outcome"`
	PrevHash string          `json:"prev_hash"`
	Seq      int64           `json:"seq"`
	Target   canonicalTarget `json:"target"`
	Time     string          `json:"time"`
	Unit     int64           `json:"unit"`
}

type canonicalActor struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Role string `json:"role"`
	Unit int64  `json:"unit"`
}

type canonicalTarget struct {
	Draft  string `json:"draft"`
	Record string `json:"record"`
	User   int64  `json:"user"`
}

// Canonical returns the event's canonical bytes (see the top of chain.go).
func (e *ChainedEvent) Canonical() []byte {
	c := canonicalEvent{
		Action: e.Action, Detail: e.Detail, Outcome: e.Outcome, PrevHash: e.PrevHash, Seq: e.Seq, Time: e.Time, Unit: e.UnitID,
		Actor:  canonicalActor{ID: e.ActorID, Name: e.ActorName, Role: e.ActorRole, Unit: e.ActorUnitID},
		Target: canonicalTarget{Draft: e.DraftID, Record: e.RecordID, User: e.UserID},
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	// Encoding a struct of strings and integers cannot fail.
	_ = enc.Encode(&c)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// ComputeHash is the hex SM3 of the canonical bytes.
func (e *ChainedEvent) ComputeHash() string { return HashHex(e.Canonical()) }

// HashHex is the lower-case hex SM3 of b.
func HashHex(b []byte) string {
	s := sm3.Sum(b)
	return hex.EncodeToString(s[:])
}

// ParseCanonicalEvent reads one canonical line back (strictly: unknown
// members are an error, and the line must be exactly the canonical
// encoding of what it holds). Hash is set to the line's SM3.
func ParseCanonicalEvent(line []byte) (ChainedEvent, error) {
	var c canonicalEvent
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return ChainedEvent{}, fmt.Errorf("catalog: audit event: %w", err)
	}
	e := ChainedEvent{
		Seq: c.Seq, Time: c.Time, ActorID: c.Actor.ID, ActorName: c.Actor.Name, ActorRole: c.Actor.Role,
		ActorUnitID: c.Actor.Unit, Action: c.Action, RecordID: c.Target.Record, DraftID: c.Target.Draft,
		UserID: c.Target.User, Detail: c.Detail, Outcome: c.Outcome, UnitID: c.Unit, PrevHash: c.PrevHash,
	}
	if !bytes.Equal(e.Canonical(), line) {
		return ChainedEvent{}, errors.New("catalog: audit event: not in canonical form")
	}
	e.Hash = HashHex(line)
	return e, nil
}

// ChainHead returns the event with the highest sequence number (a zero
// ChainedEvent for an empty trail).
func ChainHead(ctx context.Context, q QueryRower) (ChainedEvent, error) {
	var e ChainedEvent
	err := q.QueryRowContext(ctx, `SELECT seq, hash FROM audit_events WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1`).Scan(&e.Seq, &e.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		return ChainedEvent{}, nil
	}
	return e, err
}

// InsertChainedEvent inserts e as it is (seq, prev_hash and hash
// included): AppendAuditBatch after chaining it, and a restore from the
// bucket.
func InsertChainedEvent(ctx context.Context, tx *sql.Tx, e ChainedEvent) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_events (seq, at, actor_id, actor_name, actor_role, actor_unit_id,
		action, record_id, draft_id, target_user_id, detail, outcome, unit_id, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Seq, e.Time, NullInt(e.ActorID), e.ActorName, e.ActorRole, NullInt(e.ActorUnitID),
		e.Action, NullString(e.RecordID), NullString(e.DraftID), NullInt(e.UserID), e.Detail, e.Outcome,
		NullInt(e.UnitID), e.PrevHash, e.Hash)
	return err
}

// chainColumns are the columns ScanChain reads, in scanChained's order.
const chainColumns = `id, seq, at, actor_id, actor_name, actor_role, actor_unit_id, action, record_id, draft_id,
	target_user_id, detail, outcome, unit_id, prev_hash, hash`

func scanChained(rows *sql.Rows) (ChainedEvent, error) {
	var e ChainedEvent
	var seq, actor, actorUnit, user, unit sql.NullInt64
	var rec, dr sql.NullString
	err := rows.Scan(&e.RowID, &seq, &e.Time, &actor, &e.ActorName, &e.ActorRole, &actorUnit, &e.Action, &rec, &dr,
		&user, &e.Detail, &e.Outcome, &unit, &e.PrevHash, &e.Hash)
	e.Seq, e.ActorID, e.ActorUnitID, e.UserID, e.UnitID = seq.Int64, actor.Int64, actorUnit.Int64, user.Int64, unit.Int64
	e.RecordID, e.DraftID = rec.String, dr.String
	return e, err
}

// ScanChain calls fn for every event with seq ≥ from in sequence order
// (rows without a sequence number are left out: CountUnsequenced counts
// them).
func ScanChain(ctx context.Context, db *sql.DB, from int64, fn func(ChainedEvent) error) error {
	return ScanChainRange(ctx, db, from, math.MaxInt64, fn)
}

// ScanChainRange is ScanChain for from ≤ seq ≤ to; rows with the same
// seq (possible only once the unique index is dropped) come in row order.
func ScanChainRange(ctx context.Context, db *sql.DB, from, to int64, fn func(ChainedEvent) error) error {
	rows, err := db.QueryContext(ctx, `SELECT `+chainColumns+` FROM audit_events WHERE seq >= ? AND seq <= ? ORDER BY seq, id`, from, to)
	if err != nil {
		return fmt.Errorf("catalog: audit chain: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanChained(rows)
		if err != nil {
			return fmt.Errorf("catalog: audit chain: %w", err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// CountUnsequenced counts events without a valid sequence number (NULL,
// zero or negative): rows inserted behind the chain's back.
func CountUnsequenced(ctx context.Context, q QueryRower) (int64, error) {
	var n int64
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_events WHERE seq IS NULL OR seq < 1`).Scan(&n)
	return n, err
}
