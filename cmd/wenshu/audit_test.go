package main

import (
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestAuditCommands: audit checkpoint and verify on a real MinIO; an edit
// of the catalog file with the triggers dropped makes verify fail naming
// the event; rebuild on a lost catalog restores the sealed trail.
func TestAuditCommands(t *testing.T) {
	data := t.TempDir()
	sa := storeArgs(t, data)
	with := func(args ...string) []string { return append(args, sa...) }
	for _, name := range []string{"甲", "乙", "丙"} {
		if _, errOut, code := cli(t, "", with("user", "add", "--name", name, "--role", "auditor", "--unit", "某纪检监察组")...); code != 0 {
			t.Fatalf("user add: %s", errOut)
		}
	}
	if out, errOut, code := cli(t, "", with("audit", "checkpoint")...); code != 0 || !strings.HasPrefix(out, "1 audit checkpoints") {
		t.Fatalf("audit checkpoint: %d %s %s", code, out, errOut)
	}
	out, _, code := cli(t, "", with("audit", "verify")...)
	if code != 0 || !strings.Contains(out, "ok") {
		t.Fatalf("audit verify: %d %s", code, out)
	}
	sealed := regexp.MustCompile(`sealing 1–(\d+)`).FindStringSubmatch(out)
	if sealed == nil || sealed[1] == "0" {
		t.Fatalf("audit verify output %q", out)
	}
	pem, _, _ := cli(t, "", with("keys", "export")...)
	pemFile := filepath.Join(t.TempDir(), "pub.pem")
	os.WriteFile(pemFile, []byte(pem), 0o644)
	out, _, code = cli(t, "", with("audit", "verify", "--bucket-only", "--json", "--pubkey", pemFile)...)
	var rep struct {
		OK     bool  `json:"ok"`
		Sealed int64 `json:"sealed_seq"`
	}
	json.Unmarshal([]byte(out), &rep)
	if code != 0 || !rep.OK || strconv.FormatInt(rep.Sealed, 10) != sealed[1] {
		t.Fatalf("audit verify --bucket-only: %d %s", code, out)
	}
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(data, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TRIGGER audit_events_no_update`, `UPDATE audit_events SET detail = '乙 admin' WHERE seq = 3`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	out, _, code = cli(t, "", with("audit", "verify")...)
	if code != 1 || !strings.Contains(out, "first bad sequence: 3") || !strings.Contains(out, "differs_signed") {
		t.Fatalf("audit verify of an edited trail: %d %s", code, out)
	}
	for _, f := range []string{"catalog.db", "catalog.db-wal", "catalog.db-shm"} {
		os.Remove(filepath.Join(data, f))
	}
	out, errOut, code := cli(t, "", with("rebuild")...)
	if code != 0 || !strings.Contains(out, "audit trail restored: "+sealed[1]+" events") {
		t.Fatalf("rebuild: %d %s %s", code, out, errOut)
	}
	out, _, code = cli(t, "", with("audit", "verify")...)
	if code != 0 || !strings.Contains(out, "1 events after the last checkpoint") {
		t.Fatalf("audit verify after rebuild: %d %s", code, out)
	}
}
