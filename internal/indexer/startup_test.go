package indexer

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"wenshu/search"
)

// TestPrepareCatchUpOrReindex: at start an index in step with its
// dictionaries only catches up (indexes the records it lacks); one whose
// dictionaries changed is rebuilt from every record and then no longer
// needs a reindex.
func TestPrepareCatchUpOrReindex(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	f.file(t, 3)
	h, err := Open(f.dir, search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	x := &Indexer{Store: f.store, Index: h.Index}
	s, err := x.Prepare(ctx)
	if err != nil || s.Reindexed || s.Records != 3 || s.Indexed != 3 {
		t.Fatalf("first start: %+v %v, want a catch-up of 3", s, err)
	}
	if s, err := x.Prepare(ctx); err != nil || s.Reindexed || s.Indexed != 0 {
		t.Fatalf("second start: %+v %v, want a catch-up of nothing", s, err)
	}
	hash := h.Index.DictionaryHash()
	h.Close()

	// The dictionaries change between two starts: the index was built
	// with another hash than this process segments with.
	meta := filepath.Join(f.dir, "search", "index", "meta.json")
	b, err := os.ReadFile(meta)
	if err != nil || !strings.Contains(string(b), hash) {
		t.Fatalf("meta.json %q does not hold the dictionary hash %s: %v", b, hash, err)
	}
	changed := strings.Replace(string(b), hash, "0000"+hash[4:], 1)
	if err := os.WriteFile(meta, []byte(changed), 0o640); err != nil {
		t.Fatal(err)
	}
	h, err = Open(f.dir, search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if stale, err := h.Index.NeedsReindex(); err != nil || !stale {
		t.Fatalf("index with another dictionary hash: NeedsReindex %v %v", stale, err)
	}
	x.Index = h.Index
	s, err = x.Prepare(ctx)
	if err != nil || !s.Reindexed || s.Records != 3 || s.Indexed != 3 {
		t.Fatalf("start after a dictionary change: %+v %v, want a reindex of 3", s, err)
	}
	if stale, err := h.Index.NeedsReindex(); err != nil || stale {
		t.Errorf("after the reindex NeedsReindex %v %v", stale, err)
	}
	if s, err := x.Prepare(ctx); err != nil || s.Reindexed || s.Indexed != 0 {
		t.Errorf("start after the reindex: %+v %v, want a catch-up of nothing", s, err)
	}
}
