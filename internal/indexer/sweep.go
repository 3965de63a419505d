package indexer

import (
	"context"
	"io"
	"log/slog"
	"time"

	"wenshu/archive"
)

// The index side of reconcile (对账): the sweep compares the catalog, the
// bucket and this index both ways (archive.Store.Reconcile with the index
// as its archive.IndexIDs) and names every discrepancy; each is an alert in
// the audit trail and on Store.Alerts, which /readyz shows.

// Reconcile runs one comparison of catalog, bucket and index.
func (x *Indexer) Reconcile(ctx context.Context) (*archive.ReconcileReport, error) {
	return x.Store.Reconcile(ctx, archive.ReconcileOptions{Index: x.Index})
}

// Sweep runs Reconcile first after first, then every every, until ctx is
// done (wenshu serve starts it in the background). A failed sweep is
// logged and tried again at the next tick; a sweep with findings is logged
// at error level with their count.
func (x *Indexer) Sweep(ctx context.Context, first, every time.Duration) {
	log := x.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	wait := first
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = every
		sctx, cancel := context.WithTimeout(ctx, max(every, time.Minute))
		start := time.Now()
		rep, err := x.Reconcile(sctx)
		cancel()
		switch {
		case err != nil:
			log.Error("reconcile sweep failed", "err", err)
		case !rep.OK:
			log.Error("reconcile sweep found discrepancies", "findings", len(rep.Findings), "rows", rep.Rows,
				"manifests", rep.Manifests, "took", time.Since(start).Round(time.Millisecond))
		default:
			log.Info("reconcile sweep ok", "rows", rep.Rows, "manifests", rep.Manifests, "indexed", rep.Indexed,
				"took", time.Since(start).Round(time.Millisecond))
		}
	}
}
