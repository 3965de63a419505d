package archive

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
	"time"

	"wenshu/identity"
	"wenshu/problem"
)

// Export (移交导出): the read accessors a transfer package (归档信息包,
// package transfer) is written from. OpenExport checks the caller, selects
// the records of one unit × 年度 [× 保管期限] in 档号 order (保管期限, 机构,
// 件号), appends record.export for each of them, and returns an Export;
// the writer then reads each record's stored bytes (ReadRecord), the chain
// links around them (ChainLinks), their audit extract (AuditEvents) and
// the public keys, and seals its own package manifest with Sign. Nothing
// here writes to the bucket.

// ExportSelection chooses the records of a transfer package.
type ExportSelection struct {
	UnitID    int64
	Year      int       // 年度
	Retention Retention // "" for every 保管期限
}

// KeyPEM is a public verification key and its key id, as manifests name it.
type KeyPEM struct {
	ID  string
	PEM []byte
}

// Export is an opened export of one selection. Its Records never change.
type Export struct {
	s         *Store
	u         *identity.User
	PackageID string
	Unit      identity.Unit
	Selection ExportSelection
	Exporter  string    // the caller's name
	At        time.Time // when the export was opened (UTC)
	Records   []*Record // in 档号 order
}

// OpenExport selects the records of sel for a transfer package. Archivists
// export their own unit or a granted one (operators any); every record of
// the selection must be readable by the caller, since a package that left
// some out would not be complete (移交 is all or nothing). An empty
// selection is ErrNotFound (export_empty). Each record gets an audit event
// record.export naming the package.
func (s *Store) OpenExport(ctx context.Context, u *identity.User, sel ExportSelection) (*Export, error) {
	if err := identity.RequireRole(u, identity.RoleArchivist); err != nil {
		return nil, err
	}
	if sel.Retention != "" && !sel.Retention.Valid() {
		return nil, problem.Invalid("bad_retention", "retention", "保管期限应为 Y、D30 或 D10")
	}
	if sel.Year < 1900 || sel.Year > 9999 {
		return nil, problem.Invalid("bad_year", "year", "年度应为四位数字")
	}
	unit, err := s.id.GetUnit(ctx, sel.UnitID)
	if err != nil || !identity.CanRead(u, unit.ID, identity.ClearancePublic) {
		return nil, problem.NotFound("单位")
	}
	recs, err := s.selectExport(ctx, sel)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, problem.New(problem.ErrNotFound, "export_empty", "所选单位、年度和保管期限内没有档案")
	}
	for _, r := range recs {
		if !identity.CanRead(u, r.UnitID, r.Classification) {
			return nil, problem.Forbidden("export_clearance", "所选范围内有密级高于您的权限的档案，不能导出不完整的移交包")
		}
	}
	x := &Export{s: s, u: u, PackageID: newID(), Unit: *unit, Selection: sel, Exporter: u.Name, At: s.now(), Records: recs}
	if err := s.auditExport(ctx, x); err != nil {
		return nil, err
	}
	return x, nil
}

func (s *Store) selectExport(ctx context.Context, sel ExportSelection) ([]*Record, error) {
	q := `SELECT ` + recordCols + ` FROM records WHERE unit_id = ? AND year = ?`
	args := []any{sel.UnitID, sel.Year}
	if sel.Retention != "" {
		q += ` AND retention = ?`
		args = append(args, string(sel.Retention))
	}
	return s.queryRecords(ctx, q+` ORDER BY fonds, retention, org, item_no`, args...)
}

// auditExport appends record.export for every record, in one transaction.
func (s *Store) auditExport(ctx context.Context, x *Export) error {
	detail := fmt.Sprintf("导出移交包 %s（%s %d年 %s）", x.PackageID, x.Unit.Name, x.Selection.Year, orAll(x.Selection.Retention))
	return internal("audit", s.cat.Tx(ctx, func(tx *sql.Tx) error {
		for _, r := range x.Records {
			if err := s.audit(ctx, tx, x.u, "record.export", r.ID, "", detail); err != nil {
				return err
			}
		}
		return nil
	}))
}

func orAll(r Retention) string {
	if r == "" {
		return "全部保管期限"
	}
	return string(r)
}

// ReadRecord returns r's manifest and content exactly as stored: the
// manifest at the catalogued version (its SM3 must equal the catalog's),
// the content at the version the manifest names, with SM3, SHA-256 and
// size equal to the manifest's. A record that fails these is not exported
// (ErrConflict export_damaged, naming the 档号): run verify.
func (x *Export) ReadRecord(ctx context.Context, r *Record) (manifest, content []byte, err error) {
	s := x.s
	damaged := func(what string) error {
		return problem.Conflict("export_damaged", "档案 "+r.ArchiveCode+" 的"+what+"与签名记载不符，已停止导出，请先运行校验")
	}
	manifest, err = s.getObject(ctx, s.bucket, r.ManifestKey, r.ManifestVersion)
	if err != nil {
		return nil, nil, internal("export manifest", err)
	}
	if sm3Hex(manifest) != r.ManifestSM3 {
		return nil, nil, damaged("清单")
	}
	m, err := ParseManifest(manifest)
	if err != nil {
		return nil, nil, damaged("清单")
	}
	content, err = s.getObject(ctx, s.bucket, m.Content.Key, m.Content.VersionID)
	if err != nil {
		return nil, nil, internal("export content", err)
	}
	if sm3Hex(content) != m.Content.SM3 || sha256Hex(content) != m.Content.SHA256 || int64(len(content)) != m.Content.Size {
		return nil, nil, damaged("正文")
	}
	return manifest, content, nil
}

// ChainLink is one position of the manifest chain: its sequence, the SM3
// of the manifest stored there and the SM3 of its predecessor. RecordID is
// set only for records of the export; other units' records are named by
// their hashes alone.
type ChainLink struct {
	Seq             int64
	ManifestSM3     string
	PrevManifestSM3 string
	RecordID        string
}

// ChainLinks returns every chain position from the export's first record
// to its last, in order, so the package can show an unbroken hash chain
// across records of other units without holding them.
func (x *Export) ChainLinks(ctx context.Context) ([]ChainLink, error) {
	lo, hi := x.Records[0].ChainSeq, x.Records[0].ChainSeq
	mine := map[string]bool{}
	for _, r := range x.Records {
		lo, hi = min(lo, r.ChainSeq), max(hi, r.ChainSeq)
		mine[r.ID] = true
	}
	rows, err := x.s.cat.Reader().QueryContext(ctx, `SELECT chain_seq, manifest_sm3, prev_manifest_sm3, id FROM records
		WHERE chain_seq BETWEEN ? AND ? ORDER BY chain_seq`, lo, hi)
	if err != nil {
		return nil, internal("export chain", err)
	}
	defer rows.Close()
	var out []ChainLink
	for rows.Next() {
		var l ChainLink
		if err := rows.Scan(&l.Seq, &l.ManifestSM3, &l.PrevManifestSM3, &l.RecordID); err != nil {
			return nil, internal("export chain", err)
		}
		if !mine[l.RecordID] {
			l.RecordID = ""
		}
		out = append(out, l)
	}
	return out, internal("export chain", rows.Err())
}

// AuditEvents returns the audit extract of the export's records (and of
// the drafts they were filed from), oldest first, this export's
// record.export events included.
func (x *Export) AuditEvents(ctx context.Context) ([]AuditEvent, error) {
	ids := make([]string, 0, len(x.Records))
	drafts := []string{}
	for _, r := range x.Records {
		ids = append(ids, r.ID)
		if r.DraftID != "" {
			drafts = append(drafts, r.DraftID)
		}
	}
	var out []AuditEvent
	for _, q := range []struct {
		ids       []string
		ofRecords bool
	}{{ids, true}, {drafts, false}} {
		for part := q.ids; len(part) > 0; part = part[min(len(part), 400):] {
			evs, err := x.s.auditOf(ctx, part[:min(len(part), 400)], q.ofRecords)
			if err != nil {
				return nil, err
			}
			out = append(out, evs...)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	uniq := out[:0]
	for _, e := range out {
		if len(uniq) == 0 || uniq[len(uniq)-1].ID != e.ID {
			uniq = append(uniq, e)
		}
	}
	return uniq, nil
}

// auditOf returns the events whose record id (or draft id) is in ids.
func (s *Store) auditOf(ctx context.Context, ids []string, ofRecords bool) ([]AuditEvent, error) {
	col := "draft_id"
	if ofRecords {
		col = "record_id"
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.cat.Reader().QueryContext(ctx, `SELECT id, at, actor_id, actor_name, action, record_id, draft_id, detail
		FROM audit_events WHERE `+col+` IN (?`+strings.Repeat(`, ?`, len(ids)-1)+`) ORDER BY id`, args...)
	if err != nil {
		return nil, internal("export audit", err)
	}
	defer rows.Close()
	return scanAudit(rows)
}

// PublicKeys returns the verification keys of the export's records: today
// the one signing key (key rotation will add the earlier ones).
func (x *Export) PublicKeys() []KeyPEM {
	return []KeyPEM{{ID: x.s.keys.id, PEM: x.s.PublicKeyPEM()}}
}

// Signature is a detached SM2 signature: algorithm, key id, and the
// base64 of the ASN.1 DER value.
type Signature struct {
	Alg   string
	KeyID string
	Value string
}

// Sign signs msg with the archive's key (SM2 with SM3, the manifests'
// scheme), for documents the archive does not store itself (a transfer
// package's manifest).
func (x *Export) Sign(msg []byte) (Signature, error) {
	raw, err := x.s.keys.sign(msg)
	if err != nil {
		return Signature{}, internal("sign", err)
	}
	return Signature{Alg: SignatureAlgorithm, KeyID: x.s.keys.id, Value: base64.StdEncoding.EncodeToString(raw)}, nil
}

// VerifySignature checks a detached signature of msg made by Sign against
// pub: the algorithm, the key id and the SM2 value.
func VerifySignature(pub *PublicKey, msg []byte, sig Signature) error {
	if pub == nil || pub.key == nil {
		return fmt.Errorf("缺少验签公钥")
	}
	if sig.Alg != SignatureAlgorithm {
		return fmt.Errorf("签名算法 %q 不受支持", sig.Alg)
	}
	if sig.KeyID != pub.ID {
		return fmt.Errorf("签名密钥 %s 与公钥 %s 不符", sig.KeyID, pub.ID)
	}
	raw, err := base64.StdEncoding.DecodeString(sig.Value)
	if err != nil {
		return fmt.Errorf("签名值不是有效的 base64")
	}
	if !verifySM2(pub.key, msg, raw) {
		return fmt.Errorf("SM2 签名验证失败")
	}
	return nil
}

// CanonicalJSON is the archive's canonical serialisation (compact, no HTML
// escaping; a struct whose fields are in sorted order gives sorted keys),
// the bytes manifests are signed over.
func CanonicalJSON(v any) ([]byte, error) { return canonicalJSON(v) }

// SM3Hex is the hex SM3 digest of b.
func SM3Hex(b []byte) string { return sm3Hex(b) }

// VoidMarkers returns the stored bytes of the void markers (作废标记) that
// belong with the export: filings voided in its 年度 (and 保管期限) under
// the 全宗号 and 机构代码 of its records and of the unit, in 档号 order.
// They explain the gaps in the 件号 sequence. Each is the oldest stored
// version that the archive's key verifies; a void filing without one is
// ErrConflict export_damaged.
func (x *Export) VoidMarkers(ctx context.Context) ([][]byte, error) {
	s := x.s
	pub, err := ParsePublicKeyPEM(s.keys.pubPEM)
	if err != nil {
		return nil, internal("export voids", err)
	}
	pairs := map[[2]string]bool{{x.Unit.Fonds, x.Unit.Org}: true}
	for _, r := range x.Records {
		pairs[[2]string{r.Fonds, r.Org}] = true
	}
	keys := make([][2]string, 0, len(pairs))
	for p := range pairs {
		keys = append(keys, p)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+"\x00"+keys[i][1] < keys[j][0]+"\x00"+keys[j][1] })
	var out [][]byte
	for _, pair := range keys {
		ids, err := s.voidFilings(ctx, pair[0], pair[1], x.Selection)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			raw, err := s.oldestValidVoid(ctx, voidKey(x.Selection.Year, id), pub)
			if err != nil {
				return nil, err
			}
			out = append(out, raw)
		}
	}
	return out, nil
}

func (s *Store) voidFilings(ctx context.Context, fonds, org string, sel ExportSelection) ([]string, error) {
	q := `SELECT id FROM filings WHERE status = 'void' AND fonds = ? AND org = ? AND year = ?`
	args := []any{fonds, org, sel.Year}
	if sel.Retention != "" {
		q += ` AND retention = ?`
		args = append(args, string(sel.Retention))
	}
	rows, err := s.cat.Reader().QueryContext(ctx, q+` ORDER BY retention, item_no`, args...)
	if err != nil {
		return nil, internal("export voids", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, internal("export voids", err)
		}
		ids = append(ids, id)
	}
	return ids, internal("export voids", rows.Err())
}

func (s *Store) oldestValidVoid(ctx context.Context, key string, pub *PublicKey) ([]byte, error) {
	vs, err := s.objectVersions(ctx, s.bucket, key)
	if err != nil {
		return nil, internal("export voids", err)
	}
	for _, v := range vs {
		raw, err := s.getObject(ctx, s.bucket, key, v.VersionID)
		if err != nil {
			return nil, internal("export voids", err)
		}
		if _, err := verifyVoidMarker(raw, pub); err == nil {
			return raw, nil
		}
	}
	return nil, problem.Conflict("export_damaged", "作废标记 "+key+" 缺失或签名无效，已停止导出，请先运行校验")
}

// ParseVoidMarker decodes stored void marker bytes strictly, without
// checking the signature.
func ParseVoidMarker(b []byte) (*VoidMarker, error) {
	vm, err := parseVoidMarker(b)
	if err != nil {
		return nil, fmt.Errorf("archive: void marker: %w", err)
	}
	return vm, nil
}

// VerifyVoidMarker checks that b is a canonical void marker signed by pub,
// as VerifyManifest does for manifests; it returns the parsed marker when
// the bytes parse, even if the signature fails.
func VerifyVoidMarker(b []byte, pub *PublicKey) (*VoidMarker, error) { return verifyVoidMarker(b, pub) }
