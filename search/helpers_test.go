package search

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/blevesearch/bleve/v2"
)

// sharedDictDir holds the dictionaries the test process's jieba is loaded
// from; it outlives every t.TempDir (jieba keeps its data in memory anyway).
var (
	sharedOnce sync.Once
	sharedDir  string
)

func testSegmenter(t testing.TB) *segmenter {
	t.Helper()
	sharedOnce.Do(func() {
		dir, err := os.MkdirTemp("", "wenshu-search-dict-")
		if err != nil {
			t.Fatal(err)
		}
		sharedDir = dir
		paths, hash, err := writeDictionaries(filepath.Join(dir, "dict"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := loadSegmenter(paths, hash); err != nil {
			t.Fatal(err)
		}
	})
	s, err := currentSegmenter()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func openTest(t testing.TB, opts Options, docs ...Doc) *Index {
	t.Helper()
	testSegmenter(t)
	ix, err := Open(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	if len(docs) > 0 {
		if err := ix.Index(context.Background(), docs...); err != nil {
			t.Fatal(err)
		}
	}
	return ix
}

// searchShards runs one Bleve request on every shard and merges the
// results as an alias would (hits by sr's sort, totals, facets); for tests that
// need no per-shard query.
func searchShards(ctx context.Context, shards []*shard, sr *bleve.SearchRequest) (*bleve.SearchResult, error) {
	results := make([]*bleve.SearchResult, len(shards))
	err := fanOut(ctx, shards, func(i int) error {
		c := *sr
		c.Sort = sr.Sort.Copy()
		c.From, c.Size = 0, sr.From+sr.Size
		var err error
		results[i], err = shards[i].idx.SearchInContext(ctx, &c)
		return err
	})
	if err != nil {
		return nil, err
	}
	runs := make([]*shardRun, len(shards))
	for i, res := range results {
		runs[i] = &shardRun{sh: shards[i], hits: res.Hits, total: res.Total}
	}
	page, total, _ := mergePage(runs, sr.Sort, sr.From, sr.Size)
	out := &bleve.SearchResult{Total: total, Request: sr}
	for _, h := range page {
		out.Hits = append(out.Hits, h.dm)
	}
	for _, res := range results {
		if out.Facets == nil {
			out.Facets = res.Facets
		} else {
			out.Facets.Merge(res.Facets)
		}
	}
	return out, nil
}
