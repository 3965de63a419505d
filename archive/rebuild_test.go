package archive

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"wenshu/identity"
)

// snapshot dumps the derived catalog tables as text rows.
func snapshot(t testing.TB, s *Store) map[string][]string {
	t.Helper()
	queries := map[string]string{
		"records":             `SELECT ` + recordCols + ` FROM records ORDER BY id`,
		"filings":             `SELECT id, draft_id, source, status, doc_number, doc_agency, doc_seq, archive_code, fonds, year, retention, org, item_no, content_key, content_sm3, content_sha256, content_size, content_version, manifest, chain_seq, manifest_version, void_reason FROM filings ORDER BY id`,
		"void_numbers":        `SELECT filing_id, kind, number, draft_id, reason, voided_at FROM void_numbers ORDER BY kind, number`,
		"doc_number_counters": `SELECT agency_code, year, last_no FROM doc_number_counters ORDER BY agency_code, year`,
		"item_counters":       `SELECT fonds, year, retention, org, last_no FROM item_counters ORDER BY fonds, year, retention, org`,
		"chain_head":          `SELECT seq, manifest_sm3, record_id FROM chain_head`,
	}
	out := map[string][]string{}
	for name, q := range queries {
		rows, err := s.cat.Reader().Query(q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for i, v := range vals {
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, "%s=%v|", cols[i], v)
			}
			out[name] = append(out[name], b.String())
		}
		rows.Close()
	}
	return out
}

func compareSnapshots(t *testing.T, want, got map[string][]string) {
	t.Helper()
	for name := range want {
		if reflect.DeepEqual(want[name], got[name]) {
			continue
		}
		t.Errorf("table %s differs after rebuild: %d rows before, %d after", name, len(want[name]), len(got[name]))
		for i := 0; i < len(want[name]) && i < len(got[name]); i++ {
			if want[name][i] != got[name][i] {
				t.Errorf("row %d:\nwant %s\n got %s", i, want[name][i], got[name][i])
			}
		}
	}
}

func TestRebuildEqualsCatalog(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx
	for i := 0; i < 4; i++ {
		e.file(fmt.Sprintf("文书%d", i))
	}
	// A voided number: rendering fails after allocation.
	bad := e.draft(e.clerk, "notice", "渲染失败的文书")
	if _, err := e.s.ApproveDraft(ctx, e.approver, bad.ID); err == nil {
		t.Fatal("want a render failure")
	}
	if d, _ := e.s.GetDraft(ctx, e.clerk, bad.ID); d.Status != DraftOpen || d.ApproverID != 0 {
		t.Fatalf("draft after a voided filing: %+v", d)
	}
	voids, err := e.s.ListVoidNumbers(ctx, e.auditor)
	if err != nil || len(voids) != 2 {
		t.Fatalf("void numbers: %+v %v", voids, err)
	}
	e.file("作废号之后的文书")
	if _, err := e.s.Import(ctx, e.archiv, ImportRequest{FileName: "旧.txt", Data: []byte("旧档案正文"), Title: "旧档案",
		Kind: "报告", Year: 2020, Retention: Retention10, DocNumber: "驻测纪〔2020〕7号"}); err != nil {
		t.Fatal(err)
	}
	// A correction, so supersedes is rebuilt too.
	first, _ := e.s.ListRecords(ctx, e.auditor, RecordFilter{})
	cd, err := e.s.Supersede(ctx, e.clerk, first[len(first)-1].ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.ApproveDraft(ctx, e.approver, cd.ID); err != nil {
		t.Fatal(err)
	}

	before := snapshot(t, e.s)
	if len(before["records"]) != 7 || len(before["void_numbers"]) != 2 {
		t.Fatalf("setup: %d records, %d void numbers", len(before["records"]), len(before["void_numbers"]))
	}
	var calls int
	st, err := e.s.Rebuild(ctx, func(done, total int) { calls++ })
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != 7 || st.Voids != 1 || st.Invalid != 0 || !st.ChainOK || calls != 7 {
		t.Fatalf("rebuild stats %+v, progress calls %d", st, calls)
	}
	compareSnapshots(t, before, snapshot(t, e.s))

	// From the bucket alone into an empty catalog (same key pair).
	dir := filepath.Join(t.TempDir(), "fresh")
	if err := os.MkdirAll(filepath.Join(dir, "keys"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{privateKeyFile, publicKeyFile} {
		b, err := os.ReadFile(filepath.Join(e.opts.DataDir, "keys", f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "keys", f), b, 0o600)
	}
	o := e.opts
	o.DataDir = dir
	fresh, err := New(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if _, err := fresh.Rebuild(ctx, nil); err != nil {
		t.Fatal(err)
	}
	compareSnapshots(t, before, snapshot(t, fresh))
	units, _ := fresh.Identity().ListUnits(ctx)
	if len(units) != 1 || units[0].ID != e.unit.ID || units[0].Code != "驻测纪" {
		t.Errorf("units recreated from manifests: %+v", units)
	}
	op := identity.Operator("cli:test")
	recs, _ := fresh.ListRecords(ctx, op, RecordFilter{})
	for _, r := range recs {
		if v, err := fresh.Verify(ctx, op, r.ID); err != nil || !v.OK {
			t.Errorf("verify %s in the rebuilt catalog: %+v %v", r.ID, v, err)
		}
	}

	// Numbering continues after the void numbers: none is reused.
	next := e.file("重建之后")
	year := next.Year
	if next.DocNumber != FormatDocNumber("驻测纪", year, 8) || next.ItemNo != 8 {
		t.Errorf("after rebuild: %s %s", next.DocNumber, next.ArchiveCode)
	}
}
