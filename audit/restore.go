package audit

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"wenshu/catalog"
)

// RestoreStats says what Restore did.
type RestoreStats struct {
	Restored    int64 `json:"restored"`    // events inserted into the catalog
	Checkpoints int   `json:"checkpoints"` // verified checkpoints in the bucket
	Head        int64 `json:"head_seq"`    // the catalog's head afterwards
	// Findings are problems of the bucket's trail; only the verified
	// events before the first gap are restored.
	Findings []Finding `json:"findings,omitempty"`
}

// Restore puts the events of the bucket's signed segments back into the
// catalog: after a lost catalog (`wenshu rebuild` on an empty one), every
// event up to the last checkpoint. Events the catalog already has are kept
// (its head must be the bucket's event of that seq, or Restore refuses);
// events after the last checkpoint were never in the bucket and cannot
// come back. One transaction per checkpoint.
func Restore(ctx context.Context, db *catalog.DB, sink Sink) (RestoreStats, error) {
	b, err := openTrail(ctx, sink, defaultCallTimeout)
	if err != nil {
		return RestoreStats{}, err
	}
	head, err := catalog.ChainHead(ctx, db.Reader())
	if err != nil {
		return RestoreStats{}, fmt.Errorf("audit: restore: %w", err)
	}
	var st RestoreStats
	err = b.each(ctx, func(cp Checkpoint, evs []catalog.ChainedEvent) error {
		if head.Seq >= evs[0].Seq && head.Seq <= cp.Seq && evs[head.Seq-evs[0].Seq].Hash != head.Hash {
			return fmt.Errorf("the catalog's event %d differs from the bucket's; restore into an empty catalog (run `wenshu audit verify`)", head.Seq)
		}
		if cp.Seq <= head.Seq {
			return nil
		}
		return db.Tx(ctx, func(tx *sql.Tx) error {
			for _, e := range evs {
				if e.Seq <= head.Seq {
					continue
				}
				if err := catalog.InsertChainedEvent(ctx, tx, e); err != nil {
					return fmt.Errorf("seq %d: %w", e.Seq, err)
				}
				st.Restored++
			}
			return catalog.SaveAuditCheckpoint(ctx, tx, catalog.AuditCheckpoint{FirstSeq: cp.FirstSeq, LastSeq: cp.Seq,
				HeadHash: cp.HeadHash, CheckpointKey: strings.TrimSuffix(cp.SegmentKey, ".events") + ".json",
				SegmentKey: cp.SegmentKey, CreatedAt: cp.CreatedAt})
		})
	})
	st.Checkpoints, st.Findings, st.Head = b.checkpoints, b.findings, max(head.Seq, b.last)
	if err != nil {
		return st, fmt.Errorf("audit: restore: %w", err)
	}
	return st, nil
}
