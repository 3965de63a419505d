package transfer

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"wenshu/archive"
	"wenshu/identity"
	"wenshu/internal/testenv"
)

// TestExportVerifies: a unit-year with generated and imported records,
// interleaved in the chain with another unit's, exports to a package that
// verifies with the package's key and with the archive's key given; the
// package holds what the layout says and nothing of the other unit.
func TestExportVerifies(t *testing.T) {
	f := newFixture(t)
	pkg := f.export(t, "", WriteOptions{Extra: []ExtraFile{{Path: "reports/four-properties.json", Role: RoleFourProperties, Data: []byte(`{"ok":true}`)}}})
	rep := verifyBytes(pkg, VerifyOptions{})
	if !rep.OK || rep.Records != 4 || rep.KeySource != KeyPackage || len(rep.Checks) != 11 {
		t.Fatalf("verify: %s", strings.Join(rep.Lines(), "\n"))
	}
	if !slices.Equal(rep.Reports, []string{"reports/four-properties.json"}) {
		t.Errorf("reports %v", rep.Reports)
	}
	rep = verifyBytes(pkg, VerifyOptions{PublicKeyPEM: f.st.PublicKeyPEM()})
	if !rep.OK || rep.KeySource != KeyGiven || rep.KeyID != f.st.KeyID() {
		t.Fatalf("verify with the archive's key: %s", strings.Join(rep.Lines(), "\n"))
	}

	files := entries(t, pkg)
	for _, p := range []string{ManifestPath, CatalogueCSVPath, CatalogueXMLPath, ChainPath, AuditPath, keyPath(f.st.KeyID())} {
		if files[p] == nil {
			t.Errorf("%s missing from the package", p)
		}
	}
	if n := len(files); n != 6+1+4*3 {
		t.Errorf("%d files in the package, want 19", n)
	}
	csv := string(files[CatalogueCSVPath])
	if !strings.HasPrefix(csv, "\ufeff序号,档号,文号,责任者,题名,日期,密级,页数,备注\r\n") || strings.Count(csv, "\r\n") != 5 {
		t.Errorf("catalogue.csv:\n%s", csv)
	}
	// 档号 order: D10, D30 (generated 0001, imported 0002), Y.
	for i, code := range []string{"Z109-WS·%d-D10-CZT-0001", "Z109-WS·%d-D30-CZT-0001", "Z109-WS·%d-D30-CZT-0002", "Z109-WS·%d-Y-CZT-0001"} {
		code = strings.Replace(code, "%d", itoa(f.year), 1)
		line := strings.Split(csv, "\r\n")[i+1]
		if !strings.HasPrefix(line, itoa(i+1)+","+code+",") {
			t.Errorf("catalogue row %d = %q, want 档号 %s", i+1, line, code)
		}
		if files["records/"+code+"/manifest.json"] == nil || files["records/"+code+"/metadata.xml"] == nil {
			t.Errorf("record %s: manifest or metadata missing", code)
		}
	}
	for name, data := range files {
		if bytes.Contains(data, []byte(f.titleB)) || bytes.Contains(data, []byte(unitB)) {
			t.Errorf("%s holds unit B's record", name)
		}
	}
	md := string(files["records/Z109-WS·"+itoa(f.year)+"-Y-CZT-0001/metadata.xml"])
	for _, want := range []string{`<文件实体 依据="DA/T 46-2009">`, "<计算机文件名>content.txt</计算机文件名>", `<数字摘要 算法="SM3">`, "<签名算法标识>SM2-SM3</签名算法标识>", "<全宗号>Z109</全宗号>"} {
		if !strings.Contains(md, want) {
			t.Errorf("metadata.xml lacks %s:\n%s", want, md)
		}
	}
	var chain Chain
	if err := json.Unmarshal(files[ChainPath], &chain); err != nil {
		t.Fatal(err)
	}
	// Chain: A(1) B(2) A(3) A(4) A(5); B's position carries hashes only.
	if chain.FirstSeq != 1 || chain.LastSeq != 5 || len(chain.Links) != 5 || chain.Links[1].ManifestPath != "" || chain.Links[2].ManifestPath == "" {
		t.Errorf("chain: %+v", chain)
	}
	var audit Audit
	json.Unmarshal(files[AuditPath], &audit)
	exports := 0
	for _, e := range audit.Events {
		if e.Action == "record.export" {
			exports++
		}
	}
	if exports != 4 {
		t.Errorf("%d record.export events in the extract, want 4", exports)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestExportByRetention: --retention selects one 保管期限; the chain
// segment then starts after the first record with its predecessor stated.
func TestExportByRetention(t *testing.T) {
	f := newFixture(t)
	pkg := f.export(t, archive.Retention10, WriteOptions{})
	rep := verifyBytes(pkg, VerifyOptions{PublicKeyPEM: f.st.PublicKeyPEM()})
	if !rep.OK || rep.Records != 1 || rep.Retention != "D10" {
		t.Fatalf("verify: %s", strings.Join(rep.Lines(), "\n"))
	}
	var chain Chain
	json.Unmarshal(entries(t, pkg)[ChainPath], &chain)
	if chain.FirstSeq != 4 || chain.PredecessorSM3 == "" || len(chain.Links) != 1 {
		t.Errorf("chain of the D10 package: %+v", chain)
	}
}

// TestExportRefused: the archive refuses what may not be exported.
func TestExportRefused(t *testing.T) {
	f := newFixture(t)
	for name, sel := range map[string]archive.ExportSelection{
		"empty year":    {UnitID: f.unitA.ID, Year: f.year - 1},
		"bad retention": {UnitID: f.unitA.ID, Year: f.year, Retention: "D20"},
		"other unit":    {UnitID: f.unitA.ID + 1, Year: f.year},
	} {
		if _, err := f.st.OpenExport(f.ctx, f.archivist, sel); err == nil {
			t.Errorf("%s: export allowed", name)
		}
	}
}

// TestVerifyNamesTampering: each kind of tampering is named by its file.
func TestVerifyNamesTampering(t *testing.T) {
	f := newFixture(t)
	pkg := f.export(t, "", WriteOptions{})
	code := "Z109-WS·" + itoa(f.year) + "-D30-CZT-0002"
	content := "records/" + code + "/content.txt"
	cases := []struct {
		name  string
		pkg   []byte
		path  string
		kinds []string
	}{
		{"one altered byte", rezip(t, pkg, func(n string, d []byte) []byte {
			if n == content {
				d = bytes.Clone(d)
				d[3] ^= 1
			}
			return d
		}), content, []string{KindAltered, KindContent}},
		{"removed file", rezip(t, pkg, func(n string, d []byte) []byte {
			if n == content {
				return nil
			}
			return d
		}), content, []string{KindMissing}},
		{"added file", rezip(t, pkg, nil, [2]string{"records/" + code + "/note.txt", "added"}), "records/" + code + "/note.txt", []string{KindExtra}},
		{"altered catalogue", rezip(t, pkg, func(n string, d []byte) []byte {
			if n == CatalogueCSVPath {
				return bytes.Replace(d, []byte("党风廉政建设责任制落实情况报告"), []byte("党风廉政建设责任制落实情况汇报"), 1)
			}
			return d
		}), CatalogueCSVPath, []string{KindAltered, KindCatalogue}},
		{"manifest re-signed by another key", resignRecord(t, pkg, "records/"+code+"/manifest.json"), "records/" + code + "/manifest.json", []string{KindAltered, KindSignature}},
	}
	for _, c := range cases {
		rep := verifyBytes(c.pkg, VerifyOptions{})
		if rep.OK || rep.Refused {
			t.Errorf("%s: ok=%v refused=%v", c.name, rep.OK, rep.Refused)
		}
		for _, k := range c.kinds {
			if !rep.Has(c.path, k) {
				t.Errorf("%s: no %s finding for %s:\n%s", c.name, k, c.path, strings.Join(rep.Lines(), "\n"))
			}
		}
		if c.name != "manifest re-signed by another key" && !slices.Equal(rep.Paths(), []string{c.path}) {
			t.Errorf("%s: findings name %v, want only %s", c.name, rep.Paths(), c.path)
		}
	}
}

// resignRecord changes a record manifest's title and signs it with another
// key, as a forger without the archive's key would.
func resignRecord(t *testing.T, pkg []byte, p string) []byte {
	k := newOtherKey(t)
	return rezip(t, pkg, func(n string, d []byte) []byte {
		if n != p {
			return d
		}
		m, err := archive.ParseManifest(d)
		if err != nil {
			t.Fatal(err)
		}
		m.Title += "（修订）"
		m.SignerKeyID = k.id
		msg, _ := m.SigningBytes()
		m.Signature = k.sign(t, msg)
		out, _ := archive.CanonicalJSON(m)
		return out
	})
}

// TestVerifyPackageKey: a package re-signed wholesale by another key (its
// own key added, an extra file listed) passes only on its own word; with
// the archive's key given it fails, naming manifest.json.
func TestVerifyPackageKey(t *testing.T) {
	f := newFixture(t)
	pkg := f.export(t, "", WriteOptions{})
	forged, k := resign(t, rezip(t, pkg, nil, [2]string{"reports/说明.txt", "forged"}), nil)
	rep := verifyBytes(forged, VerifyOptions{})
	if !rep.OK || rep.KeySource != KeyPackage || rep.KeyID != k.id {
		t.Fatalf("forged package on its own key: %s", strings.Join(rep.Lines(), "\n"))
	}
	if !strings.Contains(strings.Join(rep.Lines(), "\n"), "taken from the package itself") {
		t.Error("the report does not say the key came from the package")
	}
	rep = verifyBytes(forged, VerifyOptions{PublicKeyPEM: f.st.PublicKeyPEM()})
	if rep.OK || !rep.Has(ManifestPath, KindSignature) {
		t.Fatalf("forged package with the archive's key: %s", strings.Join(rep.Lines(), "\n"))
	}
}

// TestVoidsExplainGaps: a filing voided while MinIO was down leaves a gap
// in the 件号 sequence; its void marker travels in the package and
// explains it. Without the marker (package re-listed and re-signed) the
// gap is named.
func TestVoidsExplainGaps(t *testing.T) {
	mio := testenv.StartMinIO(t)
	f := newFixtureOn(t, mio)
	if err := mio.Kill(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(f.ctx, 2*time.Second)
	_, err := f.st.Import(ctx, f.archivist, archive.ImportRequest{FileName: "存储中断.txt", Data: []byte("存储中断时导入。"),
		Title: "存储中断", Kind: "报告", Year: f.year, Classification: identity.ClearanceInternal, Retention: archive.Retention30})
	cancel()
	if err == nil {
		t.Fatal("import with MinIO down succeeded")
	}
	if err := mio.Restart(); err != nil {
		t.Fatal(err)
	}
	if st, err := f.st.Recover(f.ctx); err != nil || st.Voided != 1 {
		t.Fatalf("recover: %+v %v", st, err)
	}
	f.importText(t, "存储恢复后导入的报告", archive.Retention30)
	pkg := f.export(t, archive.Retention30, WriteOptions{})
	rep := verifyBytes(pkg, VerifyOptions{PublicKeyPEM: f.st.PublicKeyPEM()})
	voidFile := "voids/Z109-WS·" + itoa(f.year) + "-D30-CZT-0003.json"
	if !rep.OK || rep.Records != 3 || entries(t, pkg)[voidFile] == nil {
		t.Fatalf("package with a void: %s", strings.Join(rep.Lines(), "\n"))
	}
	gap, _ := resign(t, pkg, func(name string, data []byte) []byte {
		if name == voidFile {
			return nil
		}
		return data
	})
	rep = verifyBytes(gap, VerifyOptions{})
	if rep.OK || !rep.Has(CatalogueCSVPath, KindSequence) || !slices.Equal(rep.Paths(), []string{CatalogueCSVPath}) {
		t.Fatalf("package without the void marker: %s", strings.Join(rep.Lines(), "\n"))
	}
}

// TestVerifyRefusesUnsafeZip: zip-slip, absolute paths, duplicate entries,
// too many entries and a non-zip are refused before anything is read.
func TestVerifyRefusesUnsafeZip(t *testing.T) {
	f := newFixture(t)
	pkg := f.export(t, archive.Retention10, WriteOptions{})
	for _, c := range []struct{ name, entry, kind string }{
		{"zip slip", "../../etc/cron.d/evil", KindUnsafe},
		{"nested zip slip", "records/../../evil", KindUnsafe},
		{"absolute path", "/etc/passwd", KindUnsafe},
		{"backslash path", `..\evil.txt`, KindUnsafe},
		{"duplicate entry", CatalogueCSVPath, KindDuplicate},
	} {
		rep := verifyBytes(rezip(t, pkg, nil, [2]string{c.entry, "x"}), VerifyOptions{})
		if rep.OK || !rep.Refused || !rep.Has(c.entry, c.kind) || len(rep.Checks) != 1 {
			t.Errorf("%s: %s", c.name, strings.Join(rep.Lines(), "\n"))
		}
	}
	rep := verifyBytes(pkg, VerifyOptions{Limits: Limits{MaxEntries: 3}})
	if rep.OK || !rep.Refused {
		t.Errorf("too many entries: %s", strings.Join(rep.Lines(), "\n"))
	}
	rep = verifyBytes(pkg, VerifyOptions{Limits: Limits{MaxEntryBytes: 100}})
	if rep.OK || !rep.Refused || !rep.Has(ManifestPath, KindUnsafe) {
		t.Errorf("entry over the size limit: %s", strings.Join(rep.Lines(), "\n"))
	}
	rep = verifyBytes(pkg, VerifyOptions{Limits: Limits{MaxKeptTotal: 1000}})
	if rep.OK || rep.Refused || !rep.Has(ManifestPath, KindInvalid) {
		t.Errorf("over the memory budget: %s", strings.Join(rep.Lines(), "\n"))
	}
	rep = verifyBytes([]byte("not a zip at all"), VerifyOptions{})
	if rep.OK || !rep.Refused {
		t.Errorf("not a zip: %s", strings.Join(rep.Lines(), "\n"))
	}
}
