package archive

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"

	"wenshu/catalog"
	"wenshu/identity"
	"wenshu/problem"
)

// disposalTarget is one record of a list being executed, with its
// verified manifest and every stored version.
type disposalTarget struct {
	r        *Record
	m        *Manifest
	sm3      string // of the stored manifest bytes (the chain link)
	versions []objectVersion
}

// ExecuteDisposal carries out an approved 销毁清册 (archivists): every
// record is checked again (expired, appraised 销毁, no hold in the
// catalog, no version locked or held in the bucket), the 清册 is filed as
// a permanent record, then every version of each record's objects is
// deleted and the record is marked disposed. Safe to run again after a
// failure: what was done is skipped.
func (s *Store) ExecuteDisposal(ctx context.Context, u *identity.User, listID string) (*DisposalList, error) {
	if err := identity.RequireRole(u, identity.RoleArchivist); err != nil {
		return nil, err
	}
	l, err := s.GetDisposalList(ctx, u, listID)
	if err != nil {
		return nil, err
	}
	switch {
	case l.Status == disposalDisposed:
		return nil, problem.Conflict("disposal_done", "销毁清册已执行")
	case l.Status != disposalApproved || l.Archivist == nil || l.Head == nil:
		return nil, problem.Conflict("disposal_not_approved", "销毁清册须经档案员和单位负责人两人批准后才能执行")
	}
	targets, err := s.disposalTargets(ctx, u, l)
	if err != nil {
		return nil, err
	}
	if l.ListRecordID == "" {
		rec, err := s.fileDisposalList(ctx, u, l, targets)
		if err != nil {
			return nil, err
		}
		l.ListRecordID = rec.ID
	}
	for _, t := range targets {
		if err := s.disposeRecord(ctx, u, l, t); err != nil {
			return nil, err
		}
	}
	now := catalog.FormatTime(s.now())
	err = s.cat.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE disposal_lists SET status = 'disposed', disposed_at = ? WHERE id = ?`, now, l.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, u, "disposal.execute", l.ListRecordID, "", fmt.Sprintf("销毁清册 %s 执行完毕：%d 件", l.ID, len(l.RecordIDs)))
	})
	if err != nil {
		return nil, internal("execute disposal", err)
	}
	return s.GetDisposalList(ctx, u, listID)
}

// disposalTargets checks every record of the list not yet disposed of,
// in the catalog and in the bucket, before anything is deleted.
func (s *Store) disposalTargets(ctx context.Context, u *identity.User, l *DisposalList) ([]disposalTarget, error) {
	var out []disposalTarget
	for _, id := range l.RecordIDs {
		if at, err := s.disposedAt(ctx, id); err != nil {
			return nil, err
		} else if at != "" {
			continue
		}
		r, err := s.disposable(ctx, u, id)
		if err != nil {
			return nil, err
		}
		t := disposalTarget{r: r}
		raw, err := s.getObject(ctx, s.bucket, r.ManifestKey, r.ManifestVersion)
		if err != nil {
			return nil, s.s3Failed("execute disposal", err)
		}
		if t.m, err = VerifyManifest(raw, s.Keyring()); err != nil {
			return nil, problem.Conflict("manifest_invalid", r.ArchiveCode+" 的清单验证未通过，不能销毁："+err.Error())
		}
		t.sm3 = sm3Hex(raw)
		if t.versions, err = s.recordObjectVersions(ctx, r); err != nil {
			return nil, s.s3Failed("execute disposal", err)
		}
		if err := s.checkDeletable(ctx, r, t.versions); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// checkDeletable refuses, before MinIO would, a version still under
// COMPLIANCE retention or legal hold.
func (s *Store) checkDeletable(ctx context.Context, r *Record, vs []objectVersion) error {
	held, err := s.bucketHolds(ctx, vs)
	if err != nil {
		return s.s3Failed("execute disposal", err)
	}
	if len(held) > 0 {
		return problem.Conflict("legal_hold", fmt.Sprintf("%s 有 %d 个对象版本处于法律保全中，不能销毁", r.ArchiveCode, len(held)))
	}
	now := s.now()
	for _, v := range vs {
		cctx, cancel := s.callCtx(ctx)
		_, until, err := s.s3.GetObjectRetention(cctx, s.bucket, v.key, v.version)
		cancel()
		if err != nil {
			if er, ok := s3Error(err); ok && er.Code == "NoSuchObjectLockConfiguration" {
				continue
			}
			return s.s3Failed("execute disposal", err)
		}
		if until != nil && until.After(now) {
			return problem.Conflict("still_locked", fmt.Sprintf("%s 仍在对象锁定保留期内（至 %s），不能销毁", r.ArchiveCode, until.UTC().Format(time.DateTime)))
		}
	}
	return nil
}

// disposedEntry is what the 清册 keeps of one destroyed record: the
// catalogue columns (归档文件目录) and the chain link, so the hash chain
// still verifies across the gap.
func disposedEntry(t disposalTarget) map[string]any {
	m := t.m
	return map[string]any{
		"record_id": m.RecordID, "archive_code": m.ArchiveCode, "doc_number": m.DocNumber, "title": m.Title,
		"kind": m.Kind, "author": m.Author.Name, "unit": m.Unit.Name, "filed_at": m.FiledAt, "year": m.Year,
		"classification": m.Classification, "retention": string(m.Retention), "retain_until": m.RetainUntil,
		"chain_seq": m.ChainSeq, "manifest_sm3": t.sm3, "prev_manifest_sm3": m.PrevManifestSM3,
		"content_sm3": m.Content.SM3, "content_sha256": m.Content.SHA256, "content_size": m.Content.Size,
		"signer_key_id": m.SignerKeyID, "fonds": m.Fonds, "org": m.Org, "item_no": m.ItemNo, "source": m.Source,
		"template": m.Template, "draft_id": m.DraftID, "unit_id": m.Unit.ID, "unit_code": m.Unit.Code,
		"unit_fonds": m.Unit.Fonds, "unit_org": m.Unit.Org, "content_key": m.Content.Key, "manifest_key": m.ManifestKey,
		"media_type": m.Content.MediaType, "content_version": m.Content.VersionID,
	}
}

// fileDisposalList files the 销毁清册 as a permanent text record whose
// manifest fields hold every entry.
func (s *Store) fileDisposalList(ctx context.Context, u *identity.User, l *DisposalList, targets []disposalTarget) (*Record, error) {
	now := s.now()
	entries := make([]any, len(targets))
	var text strings.Builder
	fmt.Fprintf(&text, "销毁清册\n清册编号：%s\n档案员批准：%s\n单位负责人批准：%s\n执行时间：%s\n\n序号\t档号\t文号\t责任者\t题名\t日期\t密级\t保管期限\t备注\n",
		l.ID, l.Archivist.Name, l.Head.Name, now.In(s.opts.Location).Format(time.DateTime))
	class := identity.ClearancePublic
	for i, t := range targets {
		entries[i] = disposedEntry(t)
		m := t.m
		fmt.Fprintf(&text, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t清单SM3 %s\n", i+1, m.ArchiveCode, orDash(m.DocNumber), m.Author.Name,
			m.Title, catalog.ParseTime(m.FiledAt).In(s.opts.Location).Format(time.DateOnly), m.Classification, m.Retention, t.sm3)
		if identity.ClearanceRank(m.Classification) > identity.ClearanceRank(class) {
			class = m.Classification
		}
	}
	rec, err := s.Import(ctx, u, ImportRequest{
		FileName: "销毁清册-" + l.ID + ".txt", Data: []byte(text.String()), Kind: KindDisposalList,
		Title: fmt.Sprintf("销毁清册（%s，%d件）", now.In(s.opts.Location).Format(time.DateOnly), len(targets)),
		Year:  now.In(s.opts.Location).Year(), Classification: class, Retention: RetentionPermanent,
		Fields: map[string]any{"disposal_list": l.ID, "archivist": l.Archivist.Name, "head": l.Head.Name, "disposed": entries},
	})
	if err != nil {
		return nil, err
	}
	err = s.cat.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE disposal_lists SET list_record_id = ? WHERE id = ?`, rec.ID, l.ID)
		return err
	})
	return rec, internal("file disposal list", err)
}

// disposeRecord deletes every version of the record's objects and marks
// it disposed.
func (s *Store) disposeRecord(ctx context.Context, u *identity.User, l *DisposalList, t disposalTarget) error {
	for _, v := range t.versions {
		cctx, cancel := s.callCtx(ctx)
		err := s.s3.RemoveObject(cctx, s.bucket, v.key, minio.RemoveObjectOptions{VersionID: v.version})
		cancel()
		if err != nil {
			return s.s3Failed("dispose", fmt.Errorf("%s@%s: %w", v.key, v.version, err))
		}
	}
	now := catalog.FormatTime(s.now())
	return internal("dispose", s.cat.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE records SET disposed_at = ?, disposal_list = ? WHERE id = ?`, now, l.ID, t.r.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE disposal_items SET disposed_at = ? WHERE list_id = ? AND record_id = ?`, now, l.ID, t.r.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, u, "record.dispose", t.r.ID, "", fmt.Sprintf("按销毁清册 %s（档案 %s）销毁 %d 个对象版本", l.ID, l.ListRecordID, len(t.versions)))
	}))
}

// disposedLinks are the chain links of disposed records, taken from the
// validly signed 销毁清册 manifests among ms, for the seqs ms lacks: the
// chain check then bridges the gap a disposal leaves.
func disposedLinks(ms []bucketManifest) []bucketManifest {
	have := map[int64]bool{}
	for _, g := range ms {
		have[g.m.ChainSeq] = true
	}
	var out []bucketManifest
	for _, g := range ms {
		if g.m.Kind != KindDisposalList {
			continue
		}
		list, _ := g.m.Fields["disposed"].([]any)
		for _, e := range list {
			em, _ := e.(map[string]any)
			seq := jsonInt(em["chain_seq"])
			sm3, _ := em["manifest_sm3"].(string)
			prev, _ := em["prev_manifest_sm3"].(string)
			if seq <= 0 || have[seq] || sm3 == "" {
				continue
			}
			have[seq] = true
			out = append(out, bucketManifest{m: &Manifest{ChainSeq: seq, PrevManifestSM3: prev, RecordID: fmt.Sprint(em["record_id"])}, sm3: sm3})
		}
	}
	return out
}

func jsonInt(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int:
		return int64(n)
	case float64:
		return int64(n)
	case interface{ Int64() (int64, error) }:
		i, _ := n.Int64()
		return i
	}
	return 0
}

// digest is the SM3 of the stored manifest bytes (or, for a disposed
// record, the one its 销毁清册 records).
func (g bucketManifest) digest() string {
	if g.raw == nil {
		return g.sm3
	}
	return sm3Hex(g.raw)
}

// disposedManifestSM3 is the manifest SM3 the catalog keeps for a
// disposed record ("" if it was not disposed of).
func (s *Store) disposedManifestSM3(ctx context.Context, r *Record) string {
	if at, err := s.disposedAt(ctx, r.ID); err != nil || at == "" {
		return ""
	}
	return r.ManifestSM3
}

// rebuildDisposed catalogues again, from the 销毁清册 among good, the
// records they disposed of (rows marked disposed, their numbers counted),
// so a rebuilt catalog still knows what was destroyed and never hands
// its numbers out again.
func (s *Store) rebuildDisposed(ctx context.Context, tx *sql.Tx, good []bucketManifest, units map[string]int64, ctr *rebuiltCounters, now string) error {
	have := map[string]bool{}
	for _, g := range good {
		have[g.m.RecordID] = true
	}
	for _, g := range good {
		if g.m.Kind != KindDisposalList {
			continue
		}
		list, _ := g.m.Fields["disposed"].([]any)
		listID, _ := g.m.Fields["disposal_list"].(string)
		for _, e := range list {
			em, _ := e.(map[string]any)
			m := manifestFromEntry(em)
			if m.RecordID == "" || have[m.RecordID] {
				continue
			}
			have[m.RecordID] = true
			sm3, _ := em["manifest_sm3"].(string)
			if _, err := s.rebuildRecord(ctx, tx, bucketManifest{m: m, sm3: sm3}, units, ctr, now); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE records SET disposed_at = ?, disposal_list = ? WHERE id = ?`,
				g.m.FiledAt, listID, m.RecordID); err != nil {
				return err
			}
		}
	}
	return nil
}

// manifestFromEntry is the metadata a 销毁清册 entry keeps, as a manifest
// without content fields or persons.
func manifestFromEntry(em map[string]any) *Manifest {
	str := func(k string) string { v, _ := em[k].(string); return v }
	return &Manifest{
		RecordID: str("record_id"), ArchiveCode: str("archive_code"), DocNumber: str("doc_number"), Title: str("title"),
		Kind: str("kind"), Author: PersonRef{Name: str("author")}, FiledAt: str("filed_at"), Year: int(jsonInt(em["year"])),
		Classification: str("classification"), Retention: Retention(str("retention")), RetainUntil: str("retain_until"),
		ChainSeq: jsonInt(em["chain_seq"]), PrevManifestSM3: str("prev_manifest_sm3"), SignerKeyID: str("signer_key_id"),
		Fonds: str("fonds"), Org: str("org"), ItemNo: int(jsonInt(em["item_no"])), Source: str("source"),
		Template: str("template"), DraftID: str("draft_id"), ManifestKey: str("manifest_key"),
		Unit: UnitRef{ID: jsonInt(em["unit_id"]), Name: str("unit"), Code: str("unit_code"), Fonds: str("unit_fonds"), Org: str("unit_org")},
		Content: ObjectRef{Key: str("content_key"), MediaType: str("media_type"), SM3: str("content_sm3"),
			SHA256: str("content_sha256"), Size: jsonInt(em["content_size"]), VersionID: str("content_version")},
		Fields: map[string]any{}, Persons: []string{},
	}
}
