package indexer

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// Startup says what Prepare did.
type Startup struct {
	// Reindexed: the index needed a full rebuild (its dictionaries or
	// mapping changed, or a bulk reindex was cut short), so every record
	// was indexed again; otherwise only the missing ones were (catch-up).
	Reindexed bool
	Stats
}

// Prepare brings the index level with the catalog before the server takes
// requests (启动补建): it reindexes every record when the index says it
// needs that (search.Index.NeedsReindex), else it catches up on whatever
// was catalogued but not indexed. Records whose text could not be read are
// logged and left for the next start — they are filed and safe, only not
// yet findable — so that alone does not fail Prepare; any other failure
// does.
func (x *Indexer) Prepare(ctx context.Context) (Startup, error) {
	log := x.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	stale, err := x.Index.NeedsReindex()
	if err != nil {
		return Startup{}, fmt.Errorf("indexer: %w", err)
	}
	s := Startup{Reindexed: stale}
	if stale {
		log.Warn("search dictionary changed since the index was built; reindexing every record")
		s.Stats, err = x.Reindex(ctx, nil)
	} else {
		s.Stats, err = x.CatchUp(ctx, nil)
	}
	if s.Indexed > 0 || s.Failed > 0 {
		log.Info("search index caught up", "records", s.Records, "indexed", s.Indexed, "failed", s.Failed, "took", s.Took.Round(time.Millisecond))
	}
	if err != nil && s.Failed > 0 {
		log.Error("search catch-up incomplete", "err", err)
		return s, nil
	}
	return s, err
}
