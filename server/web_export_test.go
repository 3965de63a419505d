package server

import (
	"bytes"
	"context"
	"net/url"
	"strconv"
	"testing"

	"wenshu/archive"
	"wenshu/identity"
	"wenshu/transfer"
)

// TestWebExport: an archivist downloads a unit-year's transfer package
// from the records area and over the API; it verifies offline against the
// archive's key and the export is audited. Other roles, other units and
// empty years are refused before anything is streamed.
func TestWebExport(t *testing.T) {
	e := newWebEnv(t)
	ctx := context.Background()
	arch := mustUserT(t, e, userNames["archivist"])
	rec, err := e.store.Import(ctx, arch, archive.ImportRequest{FileName: "谈话函询工作报告.txt",
		Data: []byte("全年开展谈话函询，督促落实三重一大决策制度。"), Title: "谈话函询工作报告", Kind: "报告", Year: 2025,
		Classification: identity.ClearanceInternal, Retention: archive.Retention30})
	if err != nil {
		t.Fatal(err)
	}
	unitID := strconv.FormatInt(rec.UnitID, 10)

	b := e.as(t, "archivist")
	wantBody(t, b.get("/records"), "records page", `href="/records/export"`)
	r := b.get("/records/export")
	wantStatus(t, r, 200, "export page")
	wantBody(t, r, "export page", `<option value="`+unitID+`">`+unitA, `name="year"`)
	r = b.post("/records/export", url.Values{"unit": {unitID}, "year": {"2025"}})
	wantStatus(t, r, 200, "export download")
	if ct := r.header.Get("Content-Type"); ct != "application/zip" || r.header.Get("Content-Disposition") == "" {
		t.Errorf("download headers: %v", r.header)
	}
	rep := transfer.Verify(bytes.NewReader(r.body), int64(len(r.body)), transfer.VerifyOptions{PublicKeyPEM: e.store.PublicKeyPEM()})
	if !rep.OK || rep.Records != 1 || rep.Unit != unitA || rep.Year != 2025 {
		t.Fatalf("downloaded package: %v", rep.Lines())
	}
	ev, err := e.store.ListAudit(ctx, arch, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if last := ev[len(ev)-1]; last.Action != "record.export" || last.ActorName != arch.Name {
		t.Errorf("last audit event %+v, want record.export by the archivist", last)
	}

	wantStatus(t, b.post("/records/export", url.Values{"unit": {unitID}, "year": {"2024"}}), 404, "empty year")
	wantStatus(t, b.post("/records/export", url.Values{"unit": {"x"}, "year": {"2025"}}), 422, "bad unit")
	wantStatus(t, b.post("/records/export", url.Values{"unit": {strconv.FormatInt(rec.UnitID+1, 10)}, "year": {"2025"}}), 404, "other unit")
	wantStatus(t, e.as(t, "clerk").get("/records/export"), 403, "clerk's export page")

	r = e.do(t, "archivist", "POST", "/api/v1/exports", map[string]any{"unit_id": rec.UnitID, "year": 2025, "retention": "D30"})
	wantStatus(t, r, 200, "API export")
	if rep := transfer.Verify(bytes.NewReader(r.body), int64(len(r.body)), transfer.VerifyOptions{}); !rep.OK || rep.Retention != "D30" {
		t.Fatalf("API package: %v", rep.Lines())
	}
	if r := e.do(t, "clerk", "POST", "/api/v1/exports", map[string]any{"unit_id": rec.UnitID, "year": 2025}); r.status != 403 || r.errorCode(t) != "forbidden_role" {
		t.Errorf("clerk's API export: %d %s", r.status, r.body)
	}
	if r := e.do(t, "", "POST", "/api/v1/exports", map[string]any{"unit_id": rec.UnitID, "year": 2025}); r.status != 401 {
		t.Errorf("anonymous API export: %d", r.status)
	}
	if r := e.do(t, "archivist", "POST", "/api/v1/exports", map[string]any{"unit_id": rec.UnitID, "year": 2025, "retention": "D20"}); r.status != 422 {
		t.Errorf("bad retention: %d %s", r.status, r.body)
	}
}
