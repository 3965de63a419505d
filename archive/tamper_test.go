package archive

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/lifecycle"

	"wenshu/identity"
	"wenshu/internal/testenv"
	"wenshu/problem"
)

// The insider attacks of issue 10 on the catalog: each edits catalog.db
// with SQL, as anyone with write access to the file can, and asserts that
// the signed manifest still decides the read, that the edit is reported
// (an alert, audited; a reconcile finding) and that rebuild names what it
// reverts.

// attackerDB opens the catalog file directly, as the attacker does.
func attackerDB(t *testing.T, e *env) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(e.opts.DataDir, "catalog.db")+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func attack(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	res, err := db.Exec(q, args...)
	if err != nil {
		t.Fatalf("attack %q: %v", q, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("attack %q changed %d rows", q, n)
	}
}

// confidential files a 机密 record of the test unit.
func (e *env) confidential(title string) *Record {
	e.t.Helper()
	author := e.user("机密承办"+title, identity.RoleClerk, e.unit.Name, identity.ClearanceConfidential)
	d, err := e.s.CreateDraft(e.ctx, author, DraftInput{TemplateID: "notice", Fields: map[string]any{"title": title},
		CaseNo: "驻测纪案〔2026〕9号", Persons: []string{"某丙"}, Classification: identity.ClearanceConfidential, Retention: Retention30})
	if err != nil {
		e.t.Fatal(err)
	}
	r, err := e.s.ApproveDraft(e.ctx, e.approver, d.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// auditDetails returns the details of the catalog's events of action.
func auditDetails(t *testing.T, e *env, action string) []string {
	t.Helper()
	rows, err := e.s.cat.Reader().Query(`SELECT record_id, detail FROM audit_events WHERE action = ? ORDER BY id`, action)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var rec sql.NullString
		var d string
		if err := rows.Scan(&rec, &d); err != nil {
			t.Fatal(err)
		}
		out = append(out, rec.String+" "+d)
	}
	return out
}

func anyContains(list []string, subs ...string) bool {
	for _, s := range list {
		ok := true
		for _, sub := range subs {
			ok = ok && strings.Contains(s, sub)
		}
		if ok {
			return true
		}
	}
	return false
}

// finding returns the first finding of kind about record (or key).
func finding(rep []Finding, kind, record, key string) *Finding {
	for i, f := range rep {
		if f.Kind == kind && (record == "" || f.RecordID == record) && (key == "" || f.Key == key) {
			return &rep[i]
		}
	}
	return nil
}

func reconcile(t *testing.T, e *env) *ReconcileReport {
	t.Helper()
	rep, err := e.s.Reconcile(e.ctx, ReconcileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestAttackClassificationLoweredInCatalog(t *testing.T) {
	e := newEnv(t)
	rec := e.confidential("机密的线索处置报告")
	low := e.user("内部承办", identity.RoleClerk, e.unit.Name, identity.ClearanceInternal)
	if rep := reconcile(t, e); !rep.OK || rep.Rows != 1 || rep.Manifests != 1 {
		t.Fatalf("untouched archive: %v", rep.Lines())
	}
	attack(t, attackerDB(t, e), `UPDATE records SET classification = '内部' WHERE id = ?`, rec.ID)

	_, err := e.s.GetRecord(e.ctx, low, rec.ID)
	wantErr(t, err, ErrNotFound, "not_found")
	_, err = e.s.RecordContent(e.ctx, low, rec.ID)
	wantErr(t, err, ErrNotFound, "not_found")
	if list, err := e.s.ListRecords(e.ctx, low, RecordFilter{}); err != nil || len(list) != 0 {
		t.Fatalf("list of the 内部 clerk: %d records, %v", len(list), err)
	}
	// A reader who may see it gets the manifest's classification.
	got, err := e.s.GetRecord(e.ctx, e.approver, rec.ID)
	if err != nil || got.Classification != identity.ClearanceConfidential {
		t.Fatalf("approver reads %+v, %v", got, err)
	}
	if !anyContains(auditDetails(t, e, "alert.tamper"), rec.ID, "classification") {
		t.Errorf("no alert.tamper event naming classification: %v", auditDetails(t, e, "alert.tamper"))
	}
	alerts := e.s.Alerts()
	if len(alerts) == 0 || alerts[0].Kind != AlertCatalogMismatch || alerts[0].RecordID != rec.ID {
		t.Errorf("Alerts() = %+v", alerts)
	}
	rep := reconcile(t, e)
	f := finding(rep.Findings, FindingFieldMismatch, rec.ID, "")
	if rep.OK || f == nil || !slices.Equal(f.Fields, []string{"classification"}) || !strings.Contains(f.Detail, "目录 内部 → 清单 机密") {
		t.Fatalf("reconcile after the attack: %v", rep.Lines())
	}
	st, err := e.s.Rebuild(e.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Changes) != 1 || st.Changes[0].Change != ChangeChanged || !slices.Equal(st.Changes[0].Fields, []string{"classification"}) {
		t.Fatalf("rebuild changes %+v", st.Changes)
	}
	if rep := reconcile(t, e); !rep.OK || len(e.s.Alerts()) != 0 {
		t.Errorf("after rebuild: %v, alerts %+v", rep.Lines(), e.s.Alerts())
	}
}

func TestAttackContentPointedAtForgedVersion(t *testing.T) {
	e := newEnv(t)
	rec := e.file("原始通知")
	genuine, err := e.s.RecordContent(e.ctx, e.archiv, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	forged := []byte("伪造的正文")
	info, err := e.srv.Client(t).PutObject(e.ctx, e.s.Bucket(), rec.ContentKey, bytes.NewReader(forged), int64(len(forged)), minio.PutObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	attack(t, attackerDB(t, e), `UPDATE records SET content_version = ?, sm3 = ?, sha256 = ?, content_size = ? WHERE id = ?`,
		info.VersionID, sm3Hex(forged), sha256Hex(forged), len(forged), rec.ID)

	c, err := e.s.RecordContent(e.ctx, e.archiv, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c.Data, genuine.Data) || c.SM3 != rec.SM3 || c.VersionID != rec.ContentVersion || bytes.Contains(c.Data, forged) {
		t.Fatalf("served %d bytes (sm3 %s, version %s), not the filed version", len(c.Data), c.SM3, c.VersionID)
	}
	if text, err := e.s.RecordText(e.ctx, rec.ID); err != nil || strings.Contains(text, "伪造") {
		t.Errorf("text for the index: %q %v", text, err)
	}
	if !anyContains(auditDetails(t, e, "alert.tamper"), rec.ID, "content_version", "sm3", "sha256") {
		t.Errorf("alerts: %v", auditDetails(t, e, "alert.tamper"))
	}
	rep := reconcile(t, e)
	if f := finding(rep.Findings, FindingFieldMismatch, rec.ID, ""); f == nil || !slices.Contains(f.Fields, "content_version") {
		t.Errorf("reconcile: %v", rep.Lines())
	}
	if f := finding(rep.Findings, FindingExtraVersion, rec.ID, rec.ContentKey); f == nil || f.VersionID != info.VersionID {
		t.Errorf("bucket watch: %v", rep.Lines())
	}
	st, err := e.s.Rebuild(e.ctx, nil)
	if err != nil || len(st.Changes) != 1 || !slices.Equal(st.Changes[0].Fields, []string{"content_size", "content_version", "sha256", "sm3"}) {
		t.Fatalf("rebuild: %+v %v", st.Changes, err)
	}
}

// TestContentCheckedBeforeServing: bytes that differ from what the
// verified manifest says never leave RecordContent. A manifest naming other
// bytes cannot be signed without the key, so the test puts one into the
// cache, where a verified manifest would be.
func TestContentCheckedBeforeServing(t *testing.T) {
	e := newEnv(t)
	rec := e.file("校验后才提供")
	row, err := e.s.loadRow(e.ctx, e.s.cat.Reader(), rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	vm, err := e.s.verifiedManifest(e.ctx, row)
	if err != nil {
		t.Fatal(err)
	}
	bad := *vm.m
	bad.Content.SM3 = strings.Repeat("0", 64)
	e.s.trust.cache.put(manifestCacheKey{row.ManifestVersion, row.ManifestSM3}, &bad)
	_, err = e.s.RecordContent(e.ctx, e.archiv, rec.ID)
	wantErr(t, err, ErrConflict, "record_tampered")
	if !anyContains(auditDetails(t, e, "alert.tamper"), rec.ID, "已拒绝") {
		t.Errorf("alerts: %v", auditDetails(t, e, "alert.tamper"))
	}
	if n := len(auditDetails(t, e, "record.read")); n != 0 {
		t.Errorf("%d record.read events for a refused download", n)
	}
}

func TestAttackFakeRow(t *testing.T) {
	e := newEnv(t)
	rec := e.file("真实档案")
	db := attackerDB(t, e)
	// Row 1: a copy of a real row under a new id, pointing at the real
	// manifest; row 2: pointing at a manifest version that does not exist.
	fake1, fake2 := newID(), newID()
	for i, fake := range []struct{ id, version string }{{fake1, rec.ManifestVersion}, {fake2, "00000000-0000-0000-0000-000000000000"}} {
		attack(t, db, `INSERT INTO records (`+recordCols+`) SELECT ?, source, NULL, template_id, '伪造档案', kind, NULL,
			archive_code || ?, fonds, year, retention, org, item_no, unit_id, unit_name, unit_code, '公开', case_no, persons, fields,
			author_id, author_name, approver_id, approver_name, filed_at, retain_until, content_key, content_version, content_size,
			media_type, original_name, sm3, sha256, manifest_key, ?, manifest_sm3, ?, prev_manifest_sm3,
			signer_key_id, supersedes FROM records WHERE id = ?`, fake.id, fake.id, fake.version, 100+i, rec.ID)
		for _, u := range []*identity.User{e.clerk, e.archiv, identity.Operator("cli:test")} {
			_, err := e.s.GetRecord(e.ctx, u, fake.id)
			wantErr(t, err, ErrConflict, "record_tampered")
			_, err = e.s.RecordContent(e.ctx, u, fake.id)
			wantErr(t, err, ErrConflict, "record_tampered")
		}
	}
	list, err := e.s.ListRecords(e.ctx, e.archiv, RecordFilter{})
	if err != nil || len(list) != 1 || list[0].ID != rec.ID {
		t.Fatalf("list shows %d records, %v", len(list), err)
	}
	details := auditDetails(t, e, "alert.tamper")
	if !anyContains(details, fake1, "另一件档案") || !anyContains(details, fake2, "不存在") {
		t.Errorf("alerts: %v", details)
	}
	rep := reconcile(t, e)
	if finding(rep.Findings, FindingRowWithoutManifest, fake1, "") == nil || finding(rep.Findings, FindingRowWithoutManifest, fake2, "") == nil {
		t.Errorf("reconcile: %v", rep.Lines())
	}
	st, err := e.s.Rebuild(e.ctx, nil)
	removed := []string{"removed " + fake1, "removed " + fake2}
	slices.Sort(removed)
	if err != nil || len(st.Changes) != 2 || st.Changes[0].String() != removed[0] || st.Changes[1].String() != removed[1] {
		t.Fatalf("rebuild: %+v %v", st.Changes, err)
	}
}

func TestAttackDeletedRow(t *testing.T) {
	e := newEnv(t)
	rec := e.file("被删目录的档案")
	keep := e.file("留下的档案")
	attack(t, attackerDB(t, e), `DELETE FROM records WHERE id = ?`, rec.ID)
	_, err := e.s.GetRecord(e.ctx, e.archiv, rec.ID)
	wantErr(t, err, ErrNotFound, "not_found")
	rep := reconcile(t, e)
	f := finding(rep.Findings, FindingManifestWithoutRow, rec.ID, rec.ManifestKey)
	if f == nil || f.VersionID != rec.ManifestVersion || len(rep.Findings) != 1 {
		t.Fatalf("reconcile: %v", rep.Lines())
	}
	if !anyContains(auditDetails(t, e, "alert.reconcile"), rec.ID, FindingManifestWithoutRow) {
		t.Errorf("alerts: %v", auditDetails(t, e, "alert.reconcile"))
	}
	if a := e.s.Alerts(); len(a) != 1 || a[0].Finding != FindingManifestWithoutRow {
		t.Errorf("Alerts() = %+v", a)
	}
	st, err := e.s.Rebuild(e.ctx, nil)
	if err != nil || len(st.Changes) != 1 || st.Changes[0].String() != "added "+rec.ID {
		t.Fatalf("rebuild: %+v %v", st.Changes, err)
	}
	for _, id := range []string{rec.ID, keep.ID} {
		if _, err := e.s.GetRecord(e.ctx, e.archiv, id); err != nil {
			t.Errorf("after rebuild %s: %v", id, err)
		}
	}
}

// TestManifestUnavailableIsNotNotFound: a bucket that does not answer is
// told as unavailable (503), never as a missing or tampered record.
func TestManifestUnavailableIsNotNotFound(t *testing.T) {
	srv := testenv.StartMinIO(t)
	e := newEnvOn(t, srv)
	rec := e.file("存储不可用时")
	e.s.trust.cache.reset() // a fresh process: nothing verified yet
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(e.ctx, 3*time.Second)
	defer cancel()
	_, err := e.s.GetRecord(ctx, e.archiv, rec.ID)
	if !errors.Is(err, problem.ErrUnavailable) || errors.Is(err, problem.ErrNotFound) || errors.Is(err, problem.ErrConflict) {
		t.Fatalf("GetRecord with MinIO down: %v", err)
	}
	if n := len(auditDetails(t, e, "alert.tamper")); n != 0 {
		t.Errorf("%d tamper alerts for an unavailable bucket", n)
	}
}

// TestAttackBucketWithRootCredentials performs, with MinIO's root
// credentials through the S3 API, the bucket operations MinIO accepts on a
// locked bucket, and asserts that the bucket watch (verify --bucket-only
// and the sweep) names each, and that wenshu keeps serving the filed
// versions.
func TestAttackBucketWithRootCredentials(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx
	a, b := e.file("甲件"), e.file("乙件")
	bad := e.draft(e.clerk, "notice", "渲染失败的文书")
	if _, err := e.s.ApproveDraft(ctx, e.approver, bad.ID); err == nil {
		t.Fatal("want a render failure (a void marker)")
	}
	aContent, err := e.s.RecordContent(ctx, e.archiv, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rep := reconcile(t, e); !rep.OK || rep.Voids != 1 {
		t.Fatalf("untouched bucket: %v", rep.Lines())
	}
	cl := e.srv.Client(t)
	bucket := e.s.Bucket()
	put := func(key string, data []byte) string {
		t.Helper()
		info, err := cl.PutObject(ctx, bucket, key, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{})
		if err != nil {
			t.Fatalf("put %s: %v", key, err)
		}
		return info.VersionID
	}
	del := func(key string) string {
		t.Helper()
		if err := cl.RemoveObject(ctx, bucket, key, minio.RemoveObjectOptions{}); err != nil {
			t.Fatalf("delete marker on %s: %v", key, err)
		}
		return key
	}
	// New versions of a content object and of a manifest (title changed,
	// old signature).
	contentVer := put(a.ContentKey, []byte("伪造的正文"))
	mb, err := e.s.getObject(ctx, bucket, a.ManifestKey, a.ManifestVersion)
	if err != nil {
		t.Fatal(err)
	}
	manifestVer := put(a.ManifestKey, bytes.Replace(mb, []byte("甲件"), []byte("伪件"), 1))
	// Delete markers on content, manifest and void marker.
	voids, err := listKeys(ctx, &bucketView{s: e.s, bucket: bucket}, "voids/")
	if err != nil || len(voids) != 1 {
		t.Fatalf("void keys %v %v", voids, err)
	}
	del(b.ContentKey)
	del(b.ManifestKey)
	del(voids[0])
	// An unsigned content + manifest pair.
	fakeID := newID()
	fakeContent, fakeManifest := "records/2026/"+fakeID+".docx", "records/2026/"+fakeID+".json"
	put(fakeContent, []byte("无签名的正文"))
	put(fakeManifest, bytes.ReplaceAll(mb, []byte(a.ID), []byte(fakeID)))
	// The bucket's default retention to GOVERNANCE 1 day, and a lifecycle
	// expiry rule.
	mode, days, unit := minio.Governance, uint(1), minio.Days
	if err := cl.SetObjectLockConfig(ctx, bucket, &mode, &days, &unit); err != nil {
		t.Fatal(err)
	}
	lc := lifecycle.NewConfiguration()
	lc.Rules = []lifecycle.Rule{{ID: "expire-records", Status: "Enabled", RuleFilter: lifecycle.Filter{Prefix: "records/"},
		Expiration: lifecycle.Expiration{Days: 1}}}
	if err := cl.SetBucketLifecycle(ctx, bucket, lc); err != nil {
		t.Fatal(err)
	}

	want := []struct{ kind, key, detail string }{
		{FindingExtraVersion, a.ContentKey, contentVer},
		{FindingExtraVersion, a.ManifestKey, manifestVer},
		{FindingDeleteMarker, b.ContentKey, ""},
		{FindingDeleteMarker, b.ManifestKey, ""},
		{FindingDeleteMarker, voids[0], ""},
		{FindingUnsigned, fakeManifest, ""},
		{FindingStrayKey, fakeContent, ""},
		{FindingBucketSetting, "", "GOVERNANCE 1 DAYS"},
		{FindingBucketSetting, "", "expire-records"},
	}
	check := func(what string, got []Finding) {
		t.Helper()
		for _, w := range want {
			found := false
			for _, f := range got {
				found = found || (f.Kind == w.kind && f.Key == w.key && (w.detail == "" || f.VersionID == w.detail || strings.Contains(f.Detail, w.detail)))
			}
			if !found {
				t.Errorf("%s does not report %s %s %s", what, w.kind, w.key, w.detail)
			}
		}
		if len(got) != len(want) {
			for _, f := range got {
				t.Logf("%s: %s", what, f)
			}
			t.Errorf("%s: %d findings, want %d", what, len(got), len(want))
		}
	}
	watched, err := WatchBucketOnly(ctx, BucketConfig{Endpoint: e.srv.Endpoint, AccessKey: e.srv.AccessKey,
		SecretKey: e.srv.SecretKey, Bucket: bucket}, e.s.PublicKeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	check("verify --bucket-only", watched)
	rep := reconcile(t, e)
	check("the sweep", rep.Findings)
	if !anyContains(auditDetails(t, e, "alert.reconcile"), FindingBucketSetting, "GOVERNANCE") || len(e.s.Alerts()) != len(want) {
		t.Errorf("alerts: %v / %+v", auditDetails(t, e, "alert.reconcile"), e.s.Alerts())
	}

	// wenshu keeps serving the filed versions.
	e.s.trust.cache.reset()
	got, err := e.s.GetRecord(ctx, e.archiv, a.ID)
	if err != nil || got.Title != a.Title {
		t.Fatalf("record after the attacks: %+v %v", got, err)
	}
	c, err := e.s.RecordContent(ctx, e.archiv, a.ID)
	if err != nil || !bytes.Equal(c.Data, aContent.Data) {
		t.Fatalf("content after the attacks: %v", err)
	}
	if _, err := e.s.RecordContent(ctx, e.archiv, b.ID); err != nil {
		t.Fatalf("content under a delete marker: %v", err)
	}
}

// TestReconcileLeavesFilingsInProgressAlone: in the middle of a filing —
// content stored and no manifest yet, manifest stored and no row yet — the
// sweep reports nothing.
func TestReconcileLeavesFilingsInProgressAlone(t *testing.T) {
	e := newEnv(t)
	e.file("先归档的一件")
	seen := map[string]*ReconcileReport{}
	crashHook = func(point string) {
		if point == "content_stored" || point == "manifest_stored" {
			rep, err := e.s.Reconcile(e.ctx, ReconcileOptions{})
			if err != nil {
				t.Errorf("reconcile at %s: %v", point, err)
			}
			seen[point] = rep
		}
	}
	defer func() { crashHook = nil }()
	e.file("正在归档的一件")
	for _, point := range []string{"content_stored", "manifest_stored"} {
		if rep := seen[point]; rep == nil {
			t.Errorf("no reconcile ran at %s", point)
		} else if !rep.OK {
			t.Errorf("reconcile at %s: %v", point, rep.Lines())
		}
	}
	if rep := reconcile(t, e); !rep.OK || rep.Rows != 2 {
		t.Errorf("after the filing: %v", rep.Lines())
	}
}
