package transfer

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"wenshu/archive"
)

// VerifyOptions configure Verify.
type VerifyOptions struct {
	// PublicKeyPEM is the key the package must be signed with (wenshu keys
	// export). Nil: the package's own key is used, and the report says so.
	PublicKeyPEM []byte
	Limits       Limits
}

// Verify checks a transfer package with nothing but its bytes: no server,
// catalog or bucket. In order: the zip is safe to unpack (entry count,
// sizes, names, duplicates, links; an unsafe package is refused and not
// read); manifest.json is canonical and SM2-signed (by the given key, or
// else by the package's own key, which the report then says); every
// listed file is present with its size, SM3 and SHA-256, and no file is
// unlisted; each record manifest is SM2-signed by a key in the package and
// sits where its 档号 says; each content has its manifest's size, SM3 and
// SHA-256; the chain segment is continuous and matches the manifests; the
// catalogue rows (CSV and XML) and each metadata.xml equal what the
// manifests say; the audit extract names only the package's records.
// Every finding names its file.
func Verify(r io.ReaderAt, size int64, opts VerifyOptions) *Report {
	rep := &Report{}
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		rep.Refused = true
		rep.find("", KindInvalid, "不是有效的 zip 文件："+err.Error())
		rep.check(CheckZip, 0, "")
		return rep.finish()
	}
	entries, ok := scanZip(zr, opts.Limits.withDefaults(), rep)
	rep.check(CheckZip, 0, fmt.Sprintf("%d 个条目，路径、大小与数量安全，无重名", len(zr.File)))
	if !ok {
		rep.Refused = true
		return rep.finish()
	}
	v := &verifier{rep: rep, entries: entries, names: slices.Sorted(maps.Keys(entries)), keys: map[string]*archive.PublicKey{}}
	v.loadKeys(opts.PublicKeyPEM)
	v.packageManifest()
	v.files()
	v.records()
	v.contents()
	v.voids()
	v.chain()
	v.catalogue()
	v.sequence()
	v.metadata()
	v.audit()
	return rep.finish()
}

// verifier holds what one Verify has read so far.
type verifier struct {
	rep     *Report
	entries map[string]*entry
	names   []string                      // of entries, sorted, so findings come in a stable order
	keys    map[string]*archive.PublicKey // from keys/, by key id
	given   *archive.PublicKey            // VerifyOptions.PublicKeyPEM
	pm      *Manifest                     // nil when manifest.json is missing or does not parse
	recs    []recordEntry                 // record manifests that parse, in 档号 order
	voidMs  []*archive.VoidMarker         // void markers that parse
}

// recordEntry is a record manifest in the package.
type recordEntry struct {
	path string
	m    *archive.Manifest
}

// data returns a file's bytes, or adds a finding and returns false.
func (v *verifier) data(p, what string) ([]byte, bool) {
	e := v.entries[p]
	switch {
	case e == nil:
		v.rep.find(p, KindMissing, what+"不在包内")
		return nil, false
	case e.err != nil:
		v.rep.find(p, KindAltered, "无法完整读取："+e.err.Error())
		return nil, false
	case e.data == nil && e.file.Size > 0:
		v.rep.find(p, KindInvalid, "文件过大，无法检查")
		return nil, false
	}
	return e.data, true
}

// loadKeys parses keys/*.pem (each named by its key id) and the given key.
func (v *verifier) loadKeys(given []byte) {
	for _, name := range v.names {
		e := v.entries[name]
		if !strings.HasPrefix(name, keysDir) || !strings.HasSuffix(name, ".pem") {
			continue
		}
		k, err := archive.ParsePublicKeyPEM(e.data)
		switch {
		case err != nil:
			v.rep.find(name, KindInvalid, "不是 SM2 公钥")
		case keyPath(k.ID) != name:
			v.rep.find(name, KindSignature, "文件名与公钥的密钥标识 "+k.ID+" 不符")
		default:
			v.keys[k.ID] = k
		}
	}
	if given != nil {
		k, err := archive.ParsePublicKeyPEM(given)
		if err != nil {
			v.rep.find("", KindInvalid, "给定的公钥不是 SM2 公钥")
			return
		}
		v.given = k
	}
}

// keyFor is the key a document signed by id is checked with: the given
// key if it has that id, else the package's key of that id.
func (v *verifier) keyFor(id string) *archive.PublicKey {
	if v.given != nil && v.given.ID == id {
		return v.given
	}
	return v.keys[id]
}

// packageManifest parses manifest.json strictly and checks its signature.
func (v *verifier) packageManifest() {
	mark := len(v.rep.Findings)
	defer func() { v.rep.check(CheckPackageSig, mark, "包清单规范，SM2 签名有效，密钥 "+v.rep.KeyID) }()
	b, ok := v.data(ManifestPath, "包清单 manifest.json ")
	if !ok {
		return
	}
	var pm Manifest
	if err := decodeStrict(b, &pm); err != nil || pm.Format != Format {
		v.rep.find(ManifestPath, KindInvalid, fmt.Sprintf("不是 %s 包清单", Format))
		return
	}
	v.pm = &pm
	rep := v.rep
	rep.PackageID, rep.Unit, rep.Year, rep.Retention, rep.KeyID = pm.PackageID, pm.Unit.Name, pm.Year, pm.Retention, pm.SignerKeyID
	if again, err := archive.CanonicalJSON(&pm); err != nil || !bytes.Equal(again, b) {
		rep.find(ManifestPath, KindSignature, "包清单不是规范格式（被改动过）")
		return
	}
	key := v.keys[pm.SignerKeyID]
	rep.KeySource = KeyPackage
	if v.given != nil {
		rep.KeySource = KeyGiven
		if pm.SignerKeyID != v.given.ID {
			rep.find(ManifestPath, KindSignature, fmt.Sprintf("包清单由密钥 %s 签名，不是给定的公钥 %s", pm.SignerKeyID, v.given.ID))
			return
		}
		key = v.given
	}
	if key == nil {
		rep.find(ManifestPath, KindSignature, "签名密钥 "+pm.SignerKeyID+" 不在包内 keys/")
		return
	}
	msg, err := pm.signingBytes()
	if err == nil {
		err = archive.VerifySignature(key, msg, archive.Signature{Alg: pm.SignatureAlg, KeyID: pm.SignerKeyID, Value: pm.Signature})
	}
	if err != nil {
		rep.find(ManifestPath, KindSignature, "包清单签名无效："+err.Error())
	}
}

// files checks the listing against the zip: present, intact, nothing extra.
func (v *verifier) files() {
	mark := len(v.rep.Findings)
	if v.pm == nil {
		v.rep.Checks = append(v.rep.Checks, Check{Name: CheckFiles, Detail: "没有可用的包清单，无法核对文件"})
		return
	}
	listed := map[string]bool{}
	for _, f := range v.pm.Files {
		if listed[f.Path] {
			v.rep.find(ManifestPath, KindInvalid, "包清单重复列出 "+f.Path)
		}
		listed[f.Path] = true
		if f.Role == RoleFourProperties {
			v.rep.Reports = append(v.rep.Reports, f.Path)
		}
		v.fileIntact(f)
	}
	var total int64
	for _, f := range v.pm.Files {
		total += f.Size
	}
	for _, name := range v.names {
		if !listed[name] && name != ManifestPath {
			v.rep.find(name, KindExtra, "包清单没有列出此文件")
		}
	}
	v.rep.Files = len(v.pm.Files)
	if v.pm.Counts.Files != len(v.pm.Files) || v.pm.Counts.Bytes != total {
		v.rep.find(ManifestPath, KindInvalid, fmt.Sprintf("包清单记载 %d 个文件 %d 字节，实际列出 %d 个 %d 字节",
			v.pm.Counts.Files, v.pm.Counts.Bytes, len(v.pm.Files), total))
	}
	v.rep.check(CheckFiles, mark, fmt.Sprintf("%d 个文件齐全，大小、SM3、SHA-256 一致，无多余文件", len(v.pm.Files)))
}

func (v *verifier) fileIntact(f File) {
	e := v.entries[f.Path]
	switch {
	case e == nil:
		v.rep.find(f.Path, KindMissing, "包清单列出的文件不在包内")
	case e.err != nil:
		v.rep.find(f.Path, KindAltered, "无法完整读取："+e.err.Error())
	case e.file.Size != f.Size:
		v.rep.find(f.Path, KindAltered, fmt.Sprintf("大小 %d 字节，包清单记载 %d", e.file.Size, f.Size))
	case e.file.SM3 != f.SM3:
		v.rep.find(f.Path, KindAltered, fmt.Sprintf("SM3 %s，包清单记载 %s", e.file.SM3, f.SM3))
	case e.file.SHA256 != f.SHA256:
		v.rep.find(f.Path, KindAltered, fmt.Sprintf("SHA-256 %s，包清单记载 %s", e.file.SHA256, f.SHA256))
	}
}

// isRecordManifest: records/<dir>/manifest.json.
func isRecordManifest(name string) bool {
	parts := strings.Split(name, "/")
	return len(parts) == 3 && parts[0]+"/" == recordsDir && parts[2] == recordManifest
}

// records verifies each record manifest's signature and place.
func (v *verifier) records() {
	mark := len(v.rep.Findings)
	var ms []*archive.Manifest
	byManifest := map[*archive.Manifest]recordEntry{}
	for _, name := range v.names {
		if !isRecordManifest(name) {
			continue
		}
		b, ok := v.data(name, "清单")
		if !ok {
			continue
		}
		m, err := archive.ParseManifest(b)
		if err != nil {
			v.rep.find(name, KindInvalid, "不是有效的档案清单")
			continue
		}
		if key := v.keyFor(m.SignerKeyID); key == nil {
			v.rep.find(name, KindSignature, "签名密钥 "+m.SignerKeyID+" 不在包内 keys/")
		} else if _, err := archive.VerifyManifest(b, key); err != nil {
			v.rep.find(name, KindSignature, err.Error())
		}
		v.recordPlace(name, m)
		v.entries[name].data = nil // parsed; the digest stays
		ms = append(ms, m)
		byManifest[m] = recordEntry{path: name, m: m}
	}
	sortManifests(ms)
	for _, m := range ms {
		v.recs = append(v.recs, byManifest[m])
	}
	v.rep.Records = len(ms)
	if v.pm != nil && v.pm.Counts.Records != len(ms) {
		v.rep.find(ManifestPath, KindMissing, fmt.Sprintf("包清单记载 %d 件档案，包内有 %d 份有效清单", v.pm.Counts.Records, len(ms)))
	}
	v.rep.check(CheckRecords, mark, fmt.Sprintf("%d 份档案清单 SM2 签名有效", len(ms)))
}

// recordPlace checks that a record manifest sits where its 档号 says and
// belongs to the package's 年度 and 保管期限.
func (v *verifier) recordPlace(name string, m *archive.Manifest) {
	if want := recordDir(m) + recordManifest; want != name {
		v.rep.find(name, KindInvalid, "清单记载的档号 "+m.ArchiveCode+" 应位于 "+want)
	}
	if v.pm == nil {
		return
	}
	if m.Year != v.pm.Year {
		v.rep.find(name, KindInvalid, fmt.Sprintf("档案年度 %d 不是移交包的年度 %d", m.Year, v.pm.Year))
	}
	if v.pm.Retention != "" && string(m.Retention) != v.pm.Retention {
		v.rep.find(name, KindInvalid, fmt.Sprintf("档案保管期限 %s 不是移交包的保管期限 %s", m.Retention, v.pm.Retention))
	}
}

// contents checks each content file against its record manifest.
func (v *verifier) contents() {
	mark := len(v.rep.Findings)
	for _, r := range v.recs {
		p, c := contentPath(r.m), r.m.Content
		e := v.entries[p]
		switch {
		case e == nil:
			v.rep.find(p, KindMissing, "档案 "+r.m.ArchiveCode+" 的正文不在包内")
		case e.err != nil:
			v.rep.find(p, KindContent, "无法完整读取："+e.err.Error())
		case e.file.Size != c.Size:
			v.rep.find(p, KindContent, fmt.Sprintf("正文大小 %d 字节，档案清单记载 %d", e.file.Size, c.Size))
		case e.file.SM3 != c.SM3:
			v.rep.find(p, KindContent, fmt.Sprintf("正文 SM3 %s，档案清单记载 %s", e.file.SM3, c.SM3))
		case e.file.SHA256 != c.SHA256:
			v.rep.find(p, KindContent, fmt.Sprintf("正文 SHA-256 %s，档案清单记载 %s", e.file.SHA256, c.SHA256))
		}
	}
	v.rep.check(CheckContent, mark, fmt.Sprintf("%d 份正文与清单的大小、SM3、SHA-256 一致", len(v.recs)))
}

// decodeStrict decodes one JSON value, refusing unknown members and
// trailing data.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data")
	}
	return nil
}
