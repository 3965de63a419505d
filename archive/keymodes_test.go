package archive

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"wenshu/internal/testenv"
)

// TestKeyFileModes: new key files are 0600 in a 0700 directory whatever
// the umask; files left wider (a public key at 0644, the directory at
// 0755) are tightened at the next start and the change is logged, and the
// same key is loaded.
func TestKeyFileModes(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "keys")
	kp, err := loadOrCreateKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		if m := testenv.FilePerm(t, dir); m != 0o700 {
			t.Errorf("%s: directory %v", when, m)
		}
		for _, f := range []string{privateKeyFile, publicKeyFile} {
			if m := testenv.FilePerm(t, filepath.Join(dir, f)); m != 0o600 {
				t.Errorf("%s: %s %v", when, f, m)
			}
		}
	}
	check("created")
	for p, m := range map[string]os.FileMode{dir: 0o755, filepath.Join(dir, privateKeyFile): 0o640, filepath.Join(dir, publicKeyFile): 0o644} {
		if err := os.Chmod(p, m); err != nil {
			t.Fatal(err)
		}
	}
	var logged bytes.Buffer
	again, err := loadOrCreateKeysLogged(dir, slog.New(slog.NewTextHandler(&logged, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if again.id != kp.id {
		t.Fatalf("another key after tightening: %s, was %s", again.id, kp.id)
	}
	check("tightened")
	for _, f := range []string{privateKeyFile, publicKeyFile} {
		if !strings.Contains(logged.String(), filepath.Join(dir, f)) {
			t.Errorf("%s not logged:\n%s", f, logged.String())
		}
	}
	if n := strings.Count(logged.String(), "tightened key file mode"); n != 3 {
		t.Errorf("%d warnings:\n%s", n, logged.String())
	}
}
