package audit_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"wenshu/audit"
	"wenshu/catalog"
)

func openCatalog(t testing.TB) *catalog.DB {
	t.Helper()
	db, err := catalog.Open(context.Background(), filepath.Join(t.TempDir(), "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func countEvents(t testing.TB, db *catalog.DB) int {
	t.Helper()
	var n int
	if err := db.Reader().QueryRow(`SELECT COUNT(*) FROM audit_events`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// chainOK checks the catalog's chain without a bucket: consecutive
// sequence numbers, each hash recomputed and linked.
func chainOK(t testing.TB, db *catalog.DB) {
	t.Helper()
	want, prev := int64(1), ""
	err := catalog.ScanChain(context.Background(), db.Reader(), 1, func(e catalog.ChainedEvent) error {
		if e.Seq != want || e.PrevHash != prev || e.ComputeHash() != e.Hash {
			return fmt.Errorf("chain broken at %d", e.Seq)
		}
		want, prev = want+1, e.Hash
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRecorderCommitsEveryEventInOrder(t *testing.T) {
	db := openCatalog(t)
	r := audit.NewRecorder(db, audit.RecorderOptions{Batch: 64})
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 250 {
				if err := r.Record(ctx, audit.Event{ActorName: fmt.Sprintf("g%d", g), Action: "record.read", Detail: fmt.Sprint(i)}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n := countEvents(t, db); n != 2000 {
		t.Fatalf("%d events committed, want 2000", n)
	}
	chainOK(t, db)
	// Each goroutine's events keep their order.
	last := map[string]int{}
	err := catalog.ScanChain(ctx, db.Reader(), 1, func(e catalog.ChainedEvent) error {
		var i int
		fmt.Sscan(e.Detail, &i)
		if p, ok := last[e.ActorName]; ok && i != p+1 {
			return fmt.Errorf("%s: %d after %d", e.ActorName, i, p)
		}
		last[e.ActorName] = i
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.Record(ctx, audit.Event{Action: "late"}); !errors.Is(err, audit.ErrClosed) {
		t.Fatalf("Record after Close: %v", err)
	}
}

// A full queue blocks Record and then refuses with an error: no event is
// dropped silently, and every accepted one is committed once the catalog
// can be written again.
func TestRecorderFullQueueRefusesNeverDrops(t *testing.T) {
	db := openCatalog(t)
	ctx := context.Background()
	release, held := make(chan struct{}), make(chan struct{})
	go db.Tx(ctx, func(*sql.Tx) error { close(held); <-release; return nil }) // holds the one writer connection
	<-held
	r := audit.NewRecorder(db, audit.RecorderOptions{Queue: 4, Batch: 2, FullWait: 50 * time.Millisecond})
	accepted, refused := 0, 0
	for i := range 12 {
		start := time.Now()
		err := r.Record(ctx, audit.Event{Action: "record.read", Detail: fmt.Sprint(i)})
		if err == nil {
			accepted++
			continue
		}
		refused++
		if time.Since(start) < 50*time.Millisecond {
			t.Fatalf("Record refused after %s without blocking", time.Since(start))
		}
	}
	if refused == 0 || accepted < 4 {
		t.Fatalf("accepted %d, refused %d", accepted, refused)
	}
	close(release)
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if n := countEvents(t, db); n != accepted {
		t.Fatalf("%d events committed, %d accepted", n, accepted)
	}
	chainOK(t, db)
}

// BenchmarkRecord is what an audited read pays: one Record call (enqueue;
// the batch commits in the background). p99-ns is the 99th percentile of
// single calls. Run with -cpu 1,8 for 1 and 8 concurrent readers.
func BenchmarkRecord(b *testing.B) {
	db := openCatalog(b)
	r := audit.NewRecorder(db, audit.RecorderOptions{})
	ctx := context.Background()
	var mu sync.Mutex
	var all []time.Duration
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			start := time.Now()
			if err := r.Record(ctx, audit.Event{ActorID: 0, ActorName: "孙审计", Action: "record.read", RecordID: "01J0000000000000000000000", Detail: "下载正文"}); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(start))
		}
		mu.Lock()
		all = append(all, mine...)
		mu.Unlock()
	})
	if err := r.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	reportP99(b, all)
	r.Close(ctx)
}

// BenchmarkAppendAuditSync is the baseline: one durable transaction per
// event, as archive's auditNow does today.
func BenchmarkAppendAuditSync(b *testing.B) {
	db := openCatalog(b)
	ctx := context.Background()
	var all []time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			return catalog.AppendAudit(ctx, tx, catalog.AuditEntry{At: time.Now(), ActorName: "孙审计", Action: "record.read", RecordID: "01J0000000000000000000000", Detail: "下载正文"})
		})
		if err != nil {
			b.Fatal(err)
		}
		all = append(all, time.Since(start))
	}
	b.StopTimer()
	reportP99(b, all)
}

func reportP99(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	b.ReportMetric(float64(d[len(d)*99/100].Nanoseconds()), "p99-ns")
	b.ReportMetric(float64(d[len(d)/2].Nanoseconds()), "p50-ns")
}
