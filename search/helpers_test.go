package search

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
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
