package transfer

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"os"
	"sort"
	"testing"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"wenshu/archive"
	"wenshu/identity"
	"wenshu/internal/testenv"
	"wenshu/templates"
)

func TestMain(m *testing.M) { os.Exit(testenv.RunWithMinIO(m)) }

const (
	unitA = "中共某某省纪委监委驻省财政厅纪检监察组"
	unitB = "中共某某省纪委监委驻省教育厅纪检监察组"
)

// fixture is an archive on the shared MinIO with two units whose filings
// interleave in the chain: unit A has generated and imported records of
// one year, unit B one generated record between them.
type fixture struct {
	ctx       context.Context
	st        *archive.Store
	unitA     *identity.Unit
	archivist *identity.User
	year      int
	titleB    string // the title of unit B's record, which A's package must not hold
}

func newFixture(t testing.TB) *fixture { return newFixtureOn(t, testenv.MinIO(t)) }

// newFixtureOn is newFixture on the given MinIO.
func newFixtureOn(t testing.TB, mio *testenv.MinIOServer) *fixture {
	t.Helper()
	ctx := context.Background()
	reg, err := templates.New(templates.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := archive.New(ctx, archive.Options{DataDir: testenv.TempDataDir(t), S3Endpoint: mio.Endpoint,
		S3AccessKey: mio.AccessKey, S3SecretKey: mio.SecretKey, Bucket: mio.Bucket(t), Templates: reg,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{ctx: ctx, st: st}
	ids := st.Identity()
	if f.unitA, err = ids.AddUnit(ctx, identity.UnitInput{Name: unitA, Code: "驻财纪", Fonds: "Z109", Org: "CZT"}); err != nil {
		t.Fatal(err)
	}
	if _, err := ids.AddUnit(ctx, identity.UnitInput{Name: unitB, Code: "驻教纪", Fonds: "Z110", Org: "JYT"}); err != nil {
		t.Fatal(err)
	}
	user := func(name string, role identity.Role, unit string) *identity.User {
		res, err := ids.AddUser(ctx, identity.NewUser{Name: name, Role: role, Unit: unit, Clearance: identity.ClearanceConfidential})
		if err != nil {
			t.Fatal(err)
		}
		return res.User
	}
	clerkA, apprA := user("李华", identity.RoleClerk, unitA), user("刘强", identity.RoleApprover, unitA)
	clerkB, apprB := user("周志明", identity.RoleClerk, unitB), user("王海燕", identity.RoleApprover, unitB)
	f.archivist = user("赵磊", identity.RoleArchivist, unitA)
	// The 谈话方案 and the 建议书 are signed off by the unit's head.
	if _, err := ids.SetUnitHead(ctx, identity.Operator("test"), f.unitA.ID, apprA.Name); err != nil {
		t.Fatal(err)
	}

	recA := f.file(t, reg, clerkA, apprA, "talk-plan", archive.Retention30)
	f.year = recA.Year
	recB := f.file(t, reg, clerkB, apprB, "integrity-reply", archive.Retention30)
	f.titleB = recB.Title
	f.importText(t, "关于2026年度谈话函询工作的报告", archive.Retention30)
	f.file(t, reg, clerkA, apprA, "supervision-suggestion", archive.Retention10)
	f.importText(t, "党风廉政建设责任制落实情况报告", archive.RetentionPermanent)
	return f
}

func (f *fixture) file(t testing.TB, reg *templates.Registry, clerk, approver *identity.User, tpl string, ret archive.Retention) *archive.Record {
	t.Helper()
	tp, err := reg.Get(tpl)
	if err != nil {
		t.Fatal(err)
	}
	fields := tp.Example()
	delete(fields, "doc_number")
	class, _ := fields["classification"].(string) // the 密级 printed must be the record's
	if class == "" {
		class = identity.ClearanceInternal
	}
	d, err := f.st.CreateDraft(f.ctx, clerk, archive.DraftInput{TemplateID: tpl, Fields: fields, CaseNo: "AJ-2026-007",
		Persons: []string{"张建国"}, Classification: class, Retention: ret})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := f.st.ApproveDraft(f.ctx, approver, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func (f *fixture) importText(t testing.TB, title string, ret archive.Retention) *archive.Record {
	t.Helper()
	rec, err := f.st.Import(f.ctx, f.archivist, archive.ImportRequest{FileName: title + ".txt",
		Data: []byte(title + "：全年开展谈话函询，督促落实三重一大决策制度。"), Title: title, Kind: "报告", Year: f.year,
		Classification: identity.ClearanceInternal, Retention: ret})
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// export writes unit A's package for the year (and retention) and returns it.
func (f *fixture) export(t *testing.T, ret archive.Retention, opts WriteOptions) []byte {
	t.Helper()
	x, err := f.st.OpenExport(f.ctx, f.archivist, archive.ExportSelection{UnitID: f.unitA.ID, Year: f.year, Retention: ret})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := Write(f.ctx, &buf, x, opts); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func verifyBytes(b []byte, opts VerifyOptions) *Report {
	return Verify(bytes.NewReader(b), int64(len(b)), opts)
}

// rezip copies a package entry by entry: edit returns the new bytes of
// an entry, or nil to drop it; add entries are appended (names may repeat
// or be unsafe: the writer's header is used as is).
func rezip(t *testing.T, pkg []byte, edit func(name string, data []byte) []byte, add ...[2]string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(rc)
		rc.Close()
		if edit != nil {
			if data = edit(f.Name, data); data == nil {
				continue
			}
		}
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: f.Modified})
		w.Write(data)
	}
	for _, a := range add {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: a[0], Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(a[1]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// entries reads a package's files by name.
func entries(t *testing.T, pkg []byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	rezip(t, pkg, func(name string, data []byte) []byte { out[name] = data; return data })
	return out
}

// otherKey is an SM2 key that is not the archive's.
type otherKey struct {
	priv *sm2.PrivateKey
	pem  []byte
	id   string
}

func newOtherKey(t *testing.T) *otherKey {
	t.Helper()
	priv, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := smx509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	p := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	pk, err := archive.ParsePublicKeyPEM(p)
	if err != nil {
		t.Fatal(err)
	}
	return &otherKey{priv: priv, pem: p, id: pk.ID}
}

func (k *otherKey) sign(t *testing.T, msg []byte) string {
	t.Helper()
	sig, err := k.priv.Sign(rand.Reader, msg, sm2.NewSM2SignerOption(true, nil))
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// resign lets edit change a package's entries (nil drops one), then lists
// the resulting files afresh and signs the package manifest with another
// key, added under keys/: what a forger without the archive's key can do.
func resign(t *testing.T, pkg []byte, edit func(name string, data []byte) []byte) ([]byte, *otherKey) {
	t.Helper()
	k := newOtherKey(t)
	files := entries(t, rezip(t, pkg, edit, [2]string{keyPath(k.id), string(k.pem)}))
	var pm Manifest
	if err := json.Unmarshal(files[ManifestPath], &pm); err != nil {
		t.Fatal(err)
	}
	roles := map[string]string{keyPath(k.id): RoleKey}
	for _, f := range pm.Files {
		roles[f.Path] = f.Role
	}
	pm.Files, pm.Counts.Files, pm.Counts.Bytes = nil, 0, 0
	for name, data := range files {
		if name == ManifestPath {
			continue
		}
		pm.Files = append(pm.Files, File{Path: name, Role: roles[name], Size: int64(len(data)), SM3: archive.SM3Hex(data), SHA256: sha256Hex(data)})
		pm.Counts.Files++
		pm.Counts.Bytes += int64(len(data))
	}
	sort.Slice(pm.Files, func(i, j int) bool { return pm.Files[i].Path < pm.Files[j].Path })
	pm.SignerKeyID = k.id
	msg, err := pm.signingBytes()
	if err != nil {
		t.Fatal(err)
	}
	pm.Signature = k.sign(t, msg)
	out, err := archive.CanonicalJSON(&pm)
	if err != nil {
		t.Fatal(err)
	}
	return rezip(t, rezip(t, pkg, edit, [2]string{keyPath(k.id), string(k.pem)}), func(name string, data []byte) []byte {
		if name == ManifestPath {
			return out
		}
		return data
	}), k
}
