package catalog

import (
	"bytes"
	"context"
	"database/sql"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"wenshu/internal/testenv"
)

// write commits one row, so that the -wal and -shm files exist.
func write(t *testing.T, d *DB, unit string) {
	t.Helper()
	err := d.Tx(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO units (name, code, fonds, org, placeholder, created_at) VALUES (?, 'j', 'J1', '', 0, 'now')`, unit)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestFileModesOnCreate: a new catalog is 0600 with its -wal and -shm, in
// a 0700 directory, whatever the umask lets through.
func TestFileModesOnCreate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "catalog.db")
	d, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	write(t, d, "甲")
	if m := testenv.FilePerm(t, dir); m != 0o700 {
		t.Errorf("directory %v", m)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if m := testenv.FilePerm(t, p); m != 0o600 {
			t.Errorf("%s: %v", filepath.Base(p), m)
		}
	}
}

// TestFileModesTightened: a catalog left readable by everyone (0644 in a
// 0755 directory, as an older wenshu made it) is tightened at open, and
// the change is logged.
func TestFileModesTightened(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "catalog.db")
	d, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	write(t, d, "甲")
	d.Close()
	// Close removed the -wal and -shm; leave empty ones, 0644, as a
	// crashed process would leave them.
	for _, p := range []string{path + "-wal", path + "-shm"} {
		if _, err := os.Stat(p); err != nil {
			if err := os.WriteFile(p, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	d, err = OpenLogged(ctx, path, slog.New(slog.NewTextHandler(&logged, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	write(t, d, "乙")
	if m := testenv.FilePerm(t, dir); m != 0o700 {
		t.Errorf("directory %v", m)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if m := testenv.FilePerm(t, p); m != 0o600 {
			t.Errorf("%s: %v", filepath.Base(p), m)
		}
	}
	if !strings.Contains(logged.String(), "tightened file mode") || !strings.Contains(logged.String(), "path="+path+"-wal") ||
		!strings.Contains(logged.String(), "path="+path+" ") || !strings.Contains(logged.String(), "-rw-r--r--") {
		t.Errorf("not logged:\n%s", logged.String())
	}
	// Already private: nothing to say.
	d.Close()
	logged.Reset()
	d2, err := OpenLogged(ctx, path, slog.New(slog.NewTextHandler(&logged, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	if logged.Len() != 0 {
		t.Errorf("logged for private files:\n%s", logged.String())
	}
}
