package indexer

import "time"

// DefaultBatchLinger is Indexer.BatchLinger's default. Under continuous
// filing each index write makes a new segment per unit that Bleve's
// merger must fold into the others, and that merging is the largest CPU
// cost of filing left beside searches (bench/README.md, "Search under
// filing load"); waiting this long lets the filings that arrive meanwhile
// share one batch.
const DefaultBatchLinger = 0

func (x *Indexer) batchLinger() time.Duration {
	switch {
	case x.BatchLinger < 0:
		return 0
	case x.BatchLinger == 0:
		return DefaultBatchLinger
	}
	return x.BatchLinger
}
