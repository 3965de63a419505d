package search

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
)

// The index holds the titles, bodies, persons and case numbers of every
// record, so only the server's own account may read it (issue 10):
// directories are kept 0700 and files 0600. Bleve makes its shard and
// store directories 0700 and scorch its segments and root.bolt 0600
// (merged segments too), but index_meta.json 0666 less the umask; an
// index made by an older version has 0750/0755 directories and 0644
// dictionaries. Open tightens whatever is wider, createShard the
// index_meta.json of a new shard.
const (
	dirMode  fs.FileMode = 0o700
	fileMode fs.FileMode = 0o600
)

// makePrivateDir creates dir 0700, or tightens it if it exists open to
// group or others (not a shared, sticky directory such as /tmp: that one
// is not ours to close, and is only warned about).
func makePrivateDir(dir string, log *slog.Logger) error {
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return fmt.Errorf("search: index dir: %w", err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("search: index dir: %w", err)
	}
	if st.Mode()&fs.ModeSticky != 0 {
		log.Warn("search: the index directory is shared (sticky); keep the index in a directory of its own", "dir", dir)
		return nil
	}
	if st.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, dirMode); err != nil {
			return fmt.Errorf("search: index dir: %w", err)
		}
		log.Warn("search: tightened directory mode", "path", dir, "was", st.Mode().Perm().String(), "now", dirMode.String())
	}
	return nil
}

// tightenTree chmods every directory (0700) and regular file (0600) under
// root that grants group or others anything, except under skip (an
// admin's synonym files, which the index only reads). It returns how many
// it tightened and the first of them.
func tightenTree(root, skip string) (n int, first string, err error) {
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // removed meanwhile (a temporary file)
		}
		if err != nil {
			return err
		}
		if path == root {
			return nil // makePrivateDir's
		}
		if d.IsDir() && path == skip {
			return filepath.SkipDir
		}
		mode := fileMode
		switch {
		case d.IsDir():
			mode = dirMode
		case !d.Type().IsRegular():
			return nil
		}
		info, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if info.Mode().Perm()&0o077 == 0 {
			return nil
		}
		if err := os.Chmod(path, mode); err != nil {
			return err
		}
		if n++; n == 1 {
			first = path
		}
		return nil
	})
	if err != nil {
		return n, first, fmt.Errorf("search: tighten file modes: %w", err)
	}
	return n, first, nil
}

// secureIndexDir makes dir private and tightens what lies under it,
// logging what it changed.
func secureIndexDir(dir, synonymDir string, log *slog.Logger) error {
	if err := makePrivateDir(dir, log); err != nil {
		return err
	}
	n, first, err := tightenTree(dir, synonymDir)
	if n > 0 {
		log.Warn("search: tightened file modes of the index (directories 0700, files 0600)", "dir", dir, "count", n, "first", first)
	}
	return err
}
