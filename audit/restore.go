package audit

import (
	"context"
	"database/sql"
	"fmt"

	"wenshu/catalog"
)

// RestoreStats says what Restore did.
type RestoreStats struct {
	Restored    int64 `json:"restored"`    // events inserted into the catalog
	Checkpoints int   `json:"checkpoints"` // verified checkpoints in the bucket
	Head        int64 `json:"head_seq"`    // the catalog's head afterwards
	// Findings are problems of the bucket's trail; only the verified
	// events before the first of them are restored.
	Findings []Finding `json:"findings,omitempty"`
}

// Restore puts the events of the bucket's signed segments back into the
// catalog: after a lost catalog (`wenshu rebuild` on an empty one), every
// event up to the last checkpoint. Events the catalog already has are kept
// (they must equal the bucket's, or Restore refuses); events after the
// last checkpoint were never in the bucket and cannot come back.
func Restore(ctx context.Context, db *catalog.DB, sink Sink) (RestoreStats, error) {
	t, err := loadTrail(ctx, sink, defaultCallTimeout)
	if err != nil {
		return RestoreStats{}, err
	}
	st := RestoreStats{Checkpoints: len(t.checkpoints), Findings: t.findings}
	head, err := catalog.ChainHead(ctx, db.Reader())
	if err != nil {
		return st, fmt.Errorf("audit: restore: %w", err)
	}
	if head.Seq > 0 && head.Seq <= t.last && t.events[head.Seq].Hash != head.Hash {
		return st, fmt.Errorf("audit: restore: the catalog's event %d differs from the bucket's; restore into an empty catalog (run `wenshu audit verify`)", head.Seq)
	}
	if head.Seq > t.last && t.last > 0 {
		st.Head = head.Seq
		return st, nil
	}
	for _, cp := range t.checkpoints {
		if cp.Seq <= head.Seq {
			continue
		}
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			for s := max(cp.FirstSeq, head.Seq+1); s <= cp.Seq; s++ {
				if err := catalog.InsertChainedEvent(ctx, tx, t.events[s]); err != nil {
					return fmt.Errorf("seq %d: %w", s, err)
				}
				st.Restored++
			}
			return catalog.SaveAuditCheckpoint(ctx, tx, catalog.AuditCheckpoint{FirstSeq: cp.FirstSeq, LastSeq: cp.Seq,
				HeadHash: cp.HeadHash, CheckpointKey: cp.SegmentKey[:len(cp.SegmentKey)-len(".events")] + ".json",
				SegmentKey: cp.SegmentKey, CreatedAt: cp.CreatedAt})
		})
		if err != nil {
			return st, fmt.Errorf("audit: restore: %w", err)
		}
	}
	st.Head = max(head.Seq, t.last)
	return st, nil
}
