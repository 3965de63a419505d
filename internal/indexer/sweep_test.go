package indexer

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"wenshu/archive"
	"wenshu/search"
)

// attack edits the catalog file with SQL, as an insider with write access
// to it would.
func attack(t *testing.T, dir, q string, args ...any) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "catalog.db")+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if res, err := db.Exec(q, args...); err != nil {
		t.Fatal(err)
	} else if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("%q changed %d rows", q, n)
	}
}

func findingOf(rep *archive.ReconcileReport, kind, id string) bool {
	for _, f := range rep.Findings {
		if f.Kind == kind && f.RecordID == id {
			return true
		}
	}
	return false
}

// TestReconcileNamesIndexDiscrepancies: a deleted catalog row leaves its
// search entry behind (index entry for a missing record), a record filed
// while the index was down is missing from it, and both are named.
func TestReconcileNamesIndexDiscrepancies(t *testing.T) {
	h, err := Open(t.TempDir(), search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	x := &Indexer{Index: h.Index}
	f := newFixture(t, x.OnFiled)
	x.Store = f.store
	ids := f.file(t, 2)
	rep, err := x.Reconcile(context.Background())
	if err != nil || !rep.OK || !rep.IndexCompared || rep.Indexed != 2 {
		t.Fatalf("untouched: %v %v", rep.Lines(), err)
	}
	attack(t, f.dir, `DELETE FROM records WHERE id = ?`, ids[0])
	if err := h.Index.Delete(context.Background(), ids[1]); err != nil {
		t.Fatal(err)
	}
	rep, err = x.Reconcile(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || !findingOf(rep, archive.FindingIndexOrphan, ids[0]) || !findingOf(rep, archive.FindingManifestWithoutRow, ids[0]) ||
		!findingOf(rep, archive.FindingNotIndexed, ids[1]) || len(rep.Findings) != 3 {
		t.Fatalf("reconcile: %v", rep.Lines())
	}
}

// TestReindexTakesTheManifestsClassification: a row whose 密级 was lowered
// in the catalog is indexed with the manifest's, so search does not show it
// to a reader below it.
func TestReindexTakesTheManifestsClassification(t *testing.T) {
	f := newFixture(t, nil)
	ids := f.file(t, 1)
	attack(t, f.dir, `UPDATE records SET classification = '内部' WHERE id = ?`, ids[0])
	h, err := Open(f.dir, search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	x := &Indexer{Store: f.store, Index: h.Index}
	if st, err := x.Reindex(context.Background(), nil); err != nil || st.Indexed != 1 {
		t.Fatalf("reindex %+v %v", st, err)
	}
	for clearance, want := range map[string]uint64{"内部": 0, "秘密": 1} {
		res, err := h.Index.Search(context.Background(), search.Request{Q: "三重一大"}, search.Viewer{Units: []string{UnitKey(1)}, Clearance: clearance})
		if err != nil || res.Total != want {
			t.Errorf("search as %s: %v hits, want %d (%v)", clearance, res, want, err)
		}
	}
}

func TestSweepRunsSoonAfterStartAndRepeats(t *testing.T) {
	f := newFixture(t, nil)
	h, err := Open(f.dir, search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	x := &Indexer{Store: f.store, Index: h.Index}
	f.file(t, 1) // not indexed: the sweep reports it
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { x.Sweep(ctx, 10*time.Millisecond, 50*time.Millisecond); close(done) }()
	deadline := time.Now().Add(20 * time.Second)
	var first time.Time
	for time.Now().Before(deadline) {
		if rep := f.store.LastSweep(); rep != nil {
			if first.IsZero() {
				first = rep.At
			} else if rep.At.After(first) {
				break
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	rep := f.store.LastSweep()
	if rep == nil || !rep.At.After(first) || rep.OK || len(f.store.Alerts()) != 1 || f.store.Alerts()[0].Finding != archive.FindingNotIndexed {
		t.Fatalf("sweeps: first %v, last %+v, alerts %+v", first, rep, f.store.Alerts())
	}
}
