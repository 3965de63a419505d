package transfer

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm3"

	"wenshu/archive"
	"wenshu/catalog"
)

// ExtraFile is a file added to a package beyond the records: the 四性检测
// report (Role RoleFourProperties) or anything else an archivist attaches.
// Path must lie under reports/.
type ExtraFile struct {
	Path string
	Role string // default RoleExtra
	Data []byte
}

// WriteOptions are Write's optional parts.
type WriteOptions struct {
	Extra []ExtraFile
}

// Write streams the transfer package of x to w as a zip: per record its
// manifest and content exactly as stored and its DA/T 46 metadata; the
// public keys; the 归档文件目录 as CSV and XML; the chain segment; the
// audit extract; opts.Extra; and last the signed package manifest listing
// every other file with its size, SM3 and SHA-256. Records are read one at
// a time, so memory stays bounded by the largest record. An error leaves w
// holding an incomplete package without manifest.json, which Verify
// refuses.
func Write(ctx context.Context, w io.Writer, x *archive.Export, opts WriteOptions) (*Manifest, error) {
	if err := checkExtra(opts.Extra); err != nil {
		return nil, err
	}
	pw := &packageWriter{zw: zip.NewWriter(w), at: x.At}
	pm := &Manifest{Format: Format, PackageID: x.PackageID, CreatedAt: catalog.FormatTime(x.At), Exporter: x.Exporter,
		Retention: string(x.Selection.Retention), Year: x.Selection.Year,
		Unit: Unit{Code: x.Unit.Code, Fonds: x.Unit.Fonds, Name: x.Unit.Name, Org: x.Unit.Org}}
	for _, k := range x.PublicKeys() {
		if err := pw.add(keyPath(k.ID), RoleKey, k.PEM); err != nil {
			return nil, err
		}
	}
	ms, paths, err := pw.records(ctx, x)
	if err != nil {
		return nil, err
	}
	if err := pw.derived(ctx, x, pm, ms, paths); err != nil {
		return nil, err
	}
	for _, f := range opts.Extra {
		role := f.Role
		if role == "" {
			role = RoleExtra
		}
		if err := pw.add(f.Path, role, f.Data); err != nil {
			return nil, err
		}
	}
	if err := pw.seal(x, pm); err != nil {
		return nil, err
	}
	return pm, nil
}

// checkExtra refuses extra files outside reports/, with unsafe names or
// given twice.
func checkExtra(extra []ExtraFile) error {
	seen := map[string]bool{}
	for _, f := range extra {
		if !strings.HasPrefix(f.Path, ReportsDir) || unsafeName(f.Path) != "" || seen[f.Path] {
			return fmt.Errorf("transfer: extra file %q: must be a unique safe path under %s", f.Path, ReportsDir)
		}
		seen[f.Path] = true
	}
	return nil
}

// packageWriter adds zip entries and lists them with their digests.
type packageWriter struct {
	zw    *zip.Writer
	at    time.Time
	files []File
}

// add writes one entry and lists it.
func (pw *packageWriter) add(name, role string, data []byte) error {
	method := zip.Deflate
	if strings.HasSuffix(name, ".docx") {
		method = zip.Store // already compressed
	}
	fw, err := pw.zw.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: pw.at})
	if err != nil {
		return fmt.Errorf("transfer: %s: %w", name, err)
	}
	d := newDigester()
	if _, err := io.MultiWriter(fw, d).Write(data); err != nil {
		return fmt.Errorf("transfer: %s: %w", name, err)
	}
	pw.files = append(pw.files, d.file(name, role))
	return nil
}

// records writes each record's manifest, content and metadata, and
// returns the parsed manifests with their package paths.
func (pw *packageWriter) records(ctx context.Context, x *archive.Export) ([]*archive.Manifest, map[string]string, error) {
	var ms []*archive.Manifest
	paths := map[string]string{} // record id → manifest path
	for _, r := range x.Records {
		mb, content, err := x.ReadRecord(ctx, r)
		if err != nil {
			return nil, nil, err
		}
		m, err := archive.ParseManifest(mb)
		if err != nil {
			return nil, nil, fmt.Errorf("transfer: %s: %w", r.ArchiveCode, err)
		}
		md, err := recordMetadataXML(m)
		if err != nil {
			return nil, nil, fmt.Errorf("transfer: %s metadata: %w", r.ArchiveCode, err)
		}
		dir := recordDir(m)
		for _, f := range []struct {
			name, role string
			data       []byte
		}{{dir + recordManifest, RoleRecord, mb}, {contentPath(m), RoleContent, content}, {dir + recordMetadata, RoleMetadata, md}} {
			if err := pw.add(f.name, f.role, f.data); err != nil {
				return nil, nil, err
			}
		}
		ms = append(ms, m)
		paths[m.RecordID] = dir + recordManifest
	}
	return ms, paths, nil
}

// derived writes the catalogue (CSV, XML), the chain segment and the
// audit extract.
func (pw *packageWriter) derived(ctx context.Context, x *archive.Export, pm *Manifest, ms []*archive.Manifest, paths map[string]string) error {
	sorted := append([]*archive.Manifest(nil), ms...)
	sortManifests(sorted)
	csvBytes, err := catalogueCSV(sorted)
	if err != nil {
		return fmt.Errorf("transfer: catalogue: %w", err)
	}
	xmlBytes, err := marshalCatalogueXML(pm, sorted)
	if err != nil {
		return fmt.Errorf("transfer: catalogue: %w", err)
	}
	links, err := x.ChainLinks(ctx)
	if err != nil {
		return err
	}
	chain := Chain{FirstSeq: links[0].Seq, LastSeq: links[len(links)-1].Seq, PredecessorSM3: links[0].PrevManifestSM3}
	for _, l := range links {
		chain.Links = append(chain.Links, ChainLink{ManifestPath: paths[l.RecordID], ManifestSM3: l.ManifestSM3,
			PrevManifestSM3: l.PrevManifestSM3, Seq: l.Seq})
	}
	events, err := x.AuditEvents(ctx)
	if err != nil {
		return err
	}
	chainBytes, err := json.MarshalIndent(chain, "", "  ")
	if err != nil {
		return err
	}
	auditBytes, err := json.MarshalIndent(Audit{Events: nonNil(events)}, "", "  ")
	if err != nil {
		return err
	}
	if err := pw.voids(ctx, x); err != nil {
		return err
	}
	for _, f := range []struct {
		name, role string
		data       []byte
	}{{CatalogueCSVPath, RoleCatalogue, csvBytes}, {CatalogueXMLPath, RoleCatalogue, xmlBytes},
		{ChainPath, RoleChain, chainBytes}, {AuditPath, RoleAudit, auditBytes}} {
		if err := pw.add(f.name, f.role, f.data); err != nil {
			return err
		}
	}
	pm.Counts.Records = len(ms)
	return nil
}

// voids writes the void markers that explain gaps in the 件号 sequence.
func (pw *packageWriter) voids(ctx context.Context, x *archive.Export) error {
	raws, err := x.VoidMarkers(ctx)
	if err != nil {
		return err
	}
	for _, raw := range raws {
		vm, err := archive.ParseVoidMarker(raw)
		if err != nil {
			return fmt.Errorf("transfer: %w", err)
		}
		if err := pw.add(voidPath(vm), RoleVoid, raw); err != nil {
			return err
		}
	}
	return nil
}

func nonNil(evs []archive.AuditEvent) []archive.AuditEvent {
	if evs == nil {
		return []archive.AuditEvent{}
	}
	return evs
}

// seal lists the files in pm, signs it and writes manifest.json last.
func (pw *packageWriter) seal(x *archive.Export, pm *Manifest) error {
	sort.Slice(pw.files, func(i, j int) bool { return pw.files[i].Path < pw.files[j].Path })
	pm.Files = pw.files
	pm.Counts.Files = len(pw.files)
	for _, f := range pw.files {
		pm.Counts.Bytes += f.Size
	}
	keys := x.PublicKeys()
	pm.SignatureAlg, pm.SignerKeyID = archive.SignatureAlgorithm, keys[0].ID
	msg, err := pm.signingBytes()
	if err != nil {
		return fmt.Errorf("transfer: manifest: %w", err)
	}
	sig, err := x.Sign(msg)
	if err != nil {
		return err
	}
	if sig.KeyID != pm.SignerKeyID {
		return fmt.Errorf("transfer: signed with key %s, expected %s", sig.KeyID, pm.SignerKeyID)
	}
	pm.Signature = sig.Value
	b, err := archive.CanonicalJSON(pm)
	if err != nil {
		return fmt.Errorf("transfer: manifest: %w", err)
	}
	fw, err := pw.zw.CreateHeader(&zip.FileHeader{Name: ManifestPath, Method: zip.Deflate, Modified: pw.at})
	if err != nil {
		return fmt.Errorf("transfer: manifest: %w", err)
	}
	if _, err := fw.Write(b); err != nil {
		return fmt.Errorf("transfer: manifest: %w", err)
	}
	if err := pw.zw.Close(); err != nil {
		return fmt.Errorf("transfer: closing the zip: %w", err)
	}
	return nil
}

// digester computes a file's size, SM3 and SHA-256 as it is written or read.
type digester struct {
	sm3, sha hash.Hash
	n        int64
}

func newDigester() *digester { return &digester{sm3: sm3.New(), sha: sha256.New()} }

func (d *digester) Write(p []byte) (int, error) {
	d.sm3.Write(p)
	d.sha.Write(p)
	d.n += int64(len(p))
	return len(p), nil
}

func (d *digester) file(name, role string) File {
	return File{Path: name, Role: role, Size: d.n, SM3: hex.EncodeToString(d.sm3.Sum(nil)), SHA256: hex.EncodeToString(d.sha.Sum(nil))}
}
