package archive

import (
	"fmt"
	"testing"
)

// The read benchmarks (issue 10, "Done when") time what a reader pays per
// request: GetRecord (record metadata) and RecordContent (the filed bytes,
// re-digested, audited), over readBenchRecords records read round-robin,
// at 1 and 8 workers. Since issue 10 both decide from the verified
// manifest; its cache makes that a cost paid once per process, so the
// figures should stay within 20 % of the catalog-only reads before it:
//
//	go test -run '^$' -bench RecordRead -benchtime 2000x ./archive/
//
// Figures go to archive/BENCH.md by hand, beside the earlier ones.

const readBenchRecords = 50

func readBenchEnv(b *testing.B) (*env, []string) {
	b.Helper()
	e := newEnv(b)
	ids := make([]string, readBenchRecords)
	for i := range ids {
		ids[i] = e.file(fmt.Sprintf("读取基准%d", i)).ID
	}
	// One warm-up read of each, as a running server has done long before.
	for _, id := range ids {
		if _, err := e.s.GetRecord(e.ctx, e.archiv, id); err != nil {
			b.Fatal(err)
		}
	}
	return e, ids
}

// BenchmarkRecordReadMetadata is GetRecord of a visible record.
func BenchmarkRecordReadMetadata(b *testing.B) {
	for _, c := range benchWorkers {
		b.Run(fmt.Sprintf("workers=%d", c), func(b *testing.B) {
			e, ids := readBenchEnv(b)
			measure(b, c, func(i int) error {
				_, err := e.s.GetRecord(e.ctx, e.archiv, ids[i%len(ids)])
				return err
			})
		})
	}
}

// BenchmarkRecordReadContent is RecordContent of a visible record.
func BenchmarkRecordReadContent(b *testing.B) {
	for _, c := range benchWorkers {
		b.Run(fmt.Sprintf("workers=%d", c), func(b *testing.B) {
			e, ids := readBenchEnv(b)
			measure(b, c, func(i int) error {
				_, err := e.s.RecordContent(e.ctx, e.archiv, ids[i%len(ids)])
				return err
			})
		})
	}
}

// BenchmarkRecordReadMetadataUncached is GetRecord with the verified-manifest
// cache emptied before each read: what the first read of a record in a
// process pays (one manifest GET, SM3, SM2 verification).
func BenchmarkRecordReadMetadataUncached(b *testing.B) {
	e, ids := readBenchEnv(b)
	measure(b, 1, func(i int) error {
		e.s.trust.cache.reset()
		_, err := e.s.GetRecord(e.ctx, e.archiv, ids[i%len(ids)])
		return err
	})
}
