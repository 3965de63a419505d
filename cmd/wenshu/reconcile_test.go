package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"wenshu/internal/testenv"
)

// TestVerifyCatalogBucketOnlyAndRebuildReport: an insider edits the
// catalog file and stacks a version in the bucket; verify --catalog and
// verify --bucket-only name each change and exit non-zero, rebuild prints
// the fields it reverted, and afterwards verify --catalog passes again.
func TestVerifyCatalogBucketOnlyAndRebuildReport(t *testing.T) {
	data := t.TempDir()
	sa := storeArgs(t, data)
	bucket := sa[len(sa)-1]
	with := func(args ...string) []string { return append(args, sa...) }
	unit := "驻财政厅纪检监察组"
	if _, errOut, code := cli(t, "", with("unit", "add", "--name", unit, "--code", "驻财纪", "--fonds", "Z109", "--org", "CZT")...); code != 0 {
		t.Fatalf("unit add: %s", errOut)
	}
	txt := filepath.Join(t.TempDir(), "年度报告.txt")
	os.WriteFile(txt, []byte("年度谈话函询工作报告正文。"), 0o644)
	out, errOut, code := cli(t, "", append(with("import", "--unit", unit, "--kind", "报告", "--year", "2025", "--classification", "机密"), txt)...)
	if code != 0 {
		t.Fatalf("import: %s", errOut)
	}
	id := strings.Fields(out)[0]
	// import runs without the index (a running serve catches up at start).
	out, _, code = cli(t, "", with("verify", "--catalog")...)
	if code == 0 || !strings.Contains(out, "not_indexed record="+id) {
		t.Fatalf("verify --catalog before the index caught up: %d %s", code, out)
	}
	if _, errOut, code := cli(t, "", with("reindex")...); code != 0 {
		t.Fatalf("reindex: %s", errOut)
	}
	if out, errOut, code := cli(t, "", with("verify", "--catalog")...); code != 0 || !strings.Contains(out, "reconcile: ok=true") {
		t.Fatalf("verify --catalog untouched: %d %s %s", code, out, errOut)
	}

	db, err := sql.Open("sqlite3", "file:"+filepath.Join(data, "catalog.db")+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE records SET classification = '内部', title = '无关紧要' WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out, _, code = cli(t, "", with("verify", "--catalog")...)
	if code == 0 || !strings.Contains(out, "field_mismatch record="+id+" fields=classification,title") || !strings.Contains(out, "目录 内部 → 清单 机密") {
		t.Errorf("verify --catalog after the catalog edit: %d\n%s", code, out)
	}

	m := testenv.MinIO(t)
	cl := m.Client(t)
	var key string
	for oi := range cl.ListObjects(context.Background(), bucket, minio.ListObjectsOptions{Prefix: "records/", Recursive: true}) {
		if strings.HasSuffix(oi.Key, ".txt") {
			key = oi.Key
		}
	}
	if _, err := cl.PutObject(context.Background(), bucket, key, bytes.NewReader([]byte("伪造")), 6, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	pem, _, _ := cli(t, "", with("keys", "export")...)
	pemFile := filepath.Join(t.TempDir(), "pub.pem")
	os.WriteFile(pemFile, []byte(pem), 0o644)
	out, _, code = cli(t, "", with("verify", "--bucket-only", "--pubkey", pemFile)...)
	if code == 0 || !strings.Contains(out, "extra_version record="+id+" key="+key) {
		t.Errorf("verify --bucket-only after a stacked version: %d\n%s", code, out)
	}

	out, _, code = cli(t, "", with("rebuild")...)
	if code != 0 || !strings.Contains(out, "catalog changes: 1") || !strings.Contains(out, "changed "+id+" (classification, title): classification：目录 内部 → 清单 机密；title：目录 无关紧要 → 清单 年度报告") {
		t.Errorf("rebuild: %d\n%s", code, out)
	}
	out, _, code = cli(t, "", with("verify", "--catalog")...)
	if code == 0 || strings.Contains(out, "field_mismatch") || !strings.Contains(out, "extra_version") {
		t.Errorf("verify --catalog after rebuild (the stacked version stays reported): %d\n%s", code, out)
	}
}

// TestBadSweepIntervalExit2: serve refuses a sweep interval that is not a
// duration, naming flag and variable, before it opens anything.
func TestBadSweepIntervalExit2(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	for _, bad := range []string{"soon", "-1h"} {
		t.Setenv("WENSHU_SWEEP_INTERVAL", bad)
		_, errOut, code := cli(t, "", "serve", "--data-dir", data)
		if code != 2 || !strings.Contains(errOut, "--sweep-interval (WENSHU_SWEEP_INTERVAL)") {
			t.Errorf("serve with WENSHU_SWEEP_INTERVAL=%s: exit %d, %q", bad, code, errOut)
		}
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("the refused command opened the store: %v", err)
	}
}

// TestBadFixityIntervalRefused: serve refuses a fixity interval that is
// not a duration (named with its variable) or is negative.
func TestBadFixityIntervalRefused(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	for _, bad := range []string{"daily", "-1h"} {
		t.Setenv("WENSHU_FIXITY_INTERVAL", bad)
		_, errOut, code := cli(t, "", "serve", "--data-dir", data)
		if code != 2 || !strings.Contains(errOut, "--fixity-interval (WENSHU_FIXITY_INTERVAL)") {
			t.Errorf("serve with WENSHU_FIXITY_INTERVAL=%s: exit %d, %q", bad, code, errOut)
		}
	}
	t.Setenv("WENSHU_FIXITY_INTERVAL", "")
	if _, errOut, code := cli(t, "", "serve", "--data-dir", data, "--fixity-interval", "-2h"); code == 0 || !strings.Contains(errOut, "fixity-interval") {
		t.Errorf("serve --fixity-interval -2h: exit %d, %q", code, errOut)
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("the refused command opened the store: %v", err)
	}
}
