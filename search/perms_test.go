package search

import (
	"bytes"
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// openToOthers lists every path under root open to group or others.
func openToOthers(t *testing.T, root string) []string {
	t.Helper()
	var wide []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Mode().Perm()&0o077 != 0 {
			wide = append(wide, path+" "+info.Mode().Perm().String())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return wide
}

// TestIndexFilesPrivate: with no umask at all, a new index and the shard
// made by indexing a record have no directory or file that group or
// others may use; an index left with wider modes (an older version's
// 0755 directories and 0644 dictionaries) is tightened at Open, with a
// warning.
func TestIndexFilesPrivate(t *testing.T) {
	testSegmenter(t)
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	ctx := context.Background()
	doc := fixture()[0]
	check := func(t *testing.T, dir string) {
		t.Helper()
		if wide := openToOthers(t, dir); len(wide) > 0 {
			t.Errorf("open to group or others:\n%s", strings.Join(wide, "\n"))
		}
	}
	t.Run("new", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "search")
		ix, err := Open(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer ix.Close()
		if err := ix.Index(ctx, doc); err != nil {
			t.Fatal(err)
		}
		if n, _ := ix.Count(); n != 1 {
			t.Fatalf("count %d", n)
		}
		check(t, dir)
		if _, err := os.Stat(filepath.Join(dir, "index", shardDirName(doc.Unit), "index_meta.json")); err != nil {
			t.Fatalf("shard not where expected: %v", err)
		}
	})
	t.Run("wider modes of an older index", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "search")
		ix, err := Open(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := ix.Index(ctx, doc); err != nil {
			t.Fatal(err)
		}
		ix.Close()
		err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return os.Chmod(path, 0o755)
			}
			return os.Chmod(path, 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
		var logged bytes.Buffer
		ix, err = Open(dir, Options{Log: slog.New(slog.NewTextHandler(&logged, nil))})
		if err != nil {
			t.Fatal(err)
		}
		defer ix.Close()
		check(t, dir)
		if !strings.Contains(logged.String(), "tightened") {
			t.Errorf("no warning logged: %q", logged.String())
		}
		if res := mustSearch(t, ix, Request{Q: "谈话函询"}, allUnits); res.Total != 1 {
			t.Errorf("after tightening: %d hits", res.Total)
		}
	})
}
