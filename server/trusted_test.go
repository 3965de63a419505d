package server

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"wenshu/archive"
	"wenshu/identity"
	"wenshu/internal/testenv"
)

// The catalog attacks of issue 10 (item 1) through the real API routes:
// the insider edits catalog.db with SQL and PUTs a version into MinIO; the
// signed manifest still decides what is served and to whom.
func TestCatalogTamperingThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	body := []byte("机密的问题线索处置情况报告正文。")
	rec, err := e.store.Import(ctx, identity.OperatorForUnit("cli:test", mustUnit(t, e, unitA)), archive.ImportRequest{
		FileName: "报告.txt", Data: body, Title: "问题线索处置情况报告", Kind: "报告", Year: 2025,
		Classification: identity.ClearanceConfidential, Retention: archive.Retention30})
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(e.opts.DataDir, "catalog.db")+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatal(err)
		}
	}

	// 密级 lowered in the catalog: the 内部 clerk still cannot read it.
	exec(`UPDATE records SET classification = '内部' WHERE id = ?`, rec.ID)
	for _, path := range []string{"/api/v1/records/" + rec.ID, "/api/v1/records/" + rec.ID + "/content"} {
		if r := e.do(t, "lowclerk", "GET", path, nil); r.status != 404 {
			t.Errorf("内部 clerk GET %s: %d %s", path, r.status, r.body)
		}
	}
	r := e.do(t, "archivist", "GET", "/api/v1/records/"+rec.ID, nil)
	var got map[string]any
	r.json(t, &got)
	if r.status != 200 || got["classification"] != identity.ClearanceConfidential {
		t.Errorf("archivist reads %d %v", r.status, got["classification"])
	}

	// content_version and digests pointed at a version the attacker PUT.
	forged := []byte("伪造的正文")
	info, err := testenv.MinIO(t).Client(t).PutObject(ctx, e.store.Bucket(), rec.ContentKey, bytes.NewReader(forged),
		int64(len(forged)), minio.PutObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	exec(`UPDATE records SET content_version = ?, sm3 = ?, sha256 = ?, content_size = ? WHERE id = ?`,
		info.VersionID, "5993c920ca2f931afd3e30117ea22dffd67af85c0000000000000000000000ff", strings.Repeat("ab", 32), len(forged), rec.ID)
	r = e.do(t, "archivist", "GET", "/api/v1/records/"+rec.ID+"/content", nil)
	if r.status != 200 || !bytes.Equal(r.body, body) || r.header.Get("X-Wenshu-SM3") != rec.SM3 || r.header.Get("X-Wenshu-Version") != rec.ContentVersion {
		t.Errorf("content: %d, %d bytes, SM3 header %s, version %s (forged version %s)", r.status, len(r.body),
			r.header.Get("X-Wenshu-SM3"), r.header.Get("X-Wenshu-Version"), info.VersionID)
	}

	// A fake row pointing at the real manifest is refused, and not listed.
	exec(`INSERT INTO records (id, source, template_id, title, kind, archive_code, fonds, year, retention, org, item_no,
		unit_id, unit_name, unit_code, classification, case_no, persons, fields, author_id, author_name, approver_name,
		filed_at, retain_until, content_key, content_version, content_size, media_type, original_name, sm3, sha256,
		manifest_key, manifest_version, manifest_sm3, chain_seq, prev_manifest_sm3, signer_key_id)
		SELECT '01ZZZZZZZZZZZZZZZZZZZZZZZZ', source, template_id, '伪造', kind, archive_code || 'x', fonds, year, retention,
		org, item_no, unit_id, unit_name, unit_code, '公开', case_no, persons, fields, author_id, author_name, approver_name,
		filed_at, retain_until, content_key, content_version, content_size, media_type, original_name, sm3, sha256,
		manifest_key, manifest_version, manifest_sm3, chain_seq + 1000, prev_manifest_sm3, signer_key_id FROM records WHERE id = ?`, rec.ID)
	r = e.do(t, "archivist", "GET", "/api/v1/records/01ZZZZZZZZZZZZZZZZZZZZZZZZ", nil)
	if r.status != 409 || r.errorCode(t) != "record_tampered" {
		t.Errorf("fake row: %d %s", r.status, r.body)
	}
	r = e.do(t, "archivist", "GET", "/api/v1/records", nil)
	if r.status != 200 || strings.Contains(string(r.body), "01ZZZZZZZZZZZZZZZZZZZZZZZZ") || !strings.Contains(string(r.body), rec.ID) {
		t.Errorf("list: %d %s", r.status, r.body)
	}
	if a := e.store.Alerts(); len(a) < 3 {
		t.Errorf("alerts: %+v", a)
	}
	// /readyz warns, by kind and count only, and stays ready.
	r = e.do(t, "", "GET", "/readyz", nil)
	var ready struct {
		Status   string
		Warnings []struct{ Code, Message string }
	}
	r.json(t, &ready)
	var codes []string
	for _, x := range ready.Warnings {
		codes = append(codes, x.Code+" "+x.Message)
	}
	w := strings.Join(codes, "\n")
	if r.status != 200 || ready.Status != "ready" || !strings.Contains(w, "catalog_mismatch") || !strings.Contains(w, "tamper") ||
		strings.Contains(string(r.body), rec.ID) {
		t.Errorf("/readyz after the attacks: %d %s", r.status, r.body)
	}
}
