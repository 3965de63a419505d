package archive

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"wenshu/catalog"
	"wenshu/problem"
)

// RebuildStats counts what Rebuild found.
type RebuildStats struct {
	Records  int      // records catalogued from valid manifests
	Voids    int      // void markers (作废) registered
	Invalid  int      // manifest keys with no validly signed version (not catalogued)
	ChainOK  bool     // the manifests form one chain 1…N
	Warnings []string // extra versions, bad void markers, a broken chain
}

// Rebuild recreates the derived part of the catalog from the bucket alone:
// the records rows, the filings register (filed and void), void_numbers,
// the 文号 and 件号 counters (the highest number used or voided per
// sequence) and the chain head. Units named by manifests that the catalog
// lacks are created (with the manifest's id when free). Users, tokens,
// drafts and audit events are not in the bucket and are kept as they are.
//
// Rebuild first runs Recover and refuses (ErrConflict) while any filing is
// still in progress, because a rebuilt register must not forget a number
// that is in flight. Only manifests signed by this store's key count.
func (s *Store) Rebuild(ctx context.Context, progress func(done, total int)) (RebuildStats, error) {
	var st RebuildStats
	rst, err := s.Recover(ctx)
	if err != nil {
		return st, err
	}
	if rst.Pending > 0 {
		return st, problem.Conflict("filings_in_progress", fmt.Sprintf("有 %d 件归档正在进行，请稍后再重建目录", rst.Pending))
	}
	s.recoverMu.Lock()
	defer s.recoverMu.Unlock()
	pub, err := ParsePublicKeyPEM(s.keys.pubPEM)
	if err != nil {
		return st, err
	}
	b := &bucketView{s: s, bucket: s.bucket}
	good, bad, notes, err := scanManifests(ctx, b, pub, progress)
	if err != nil {
		return st, internal("rebuild", err)
	}
	voids, voidErrs, err := scanVoids(ctx, b, pub)
	if err != nil {
		return st, internal("rebuild", err)
	}
	sort.Slice(good, func(i, j int) bool { return good[i].m.ChainSeq < good[j].m.ChainSeq })
	chain := chainOver(good)
	st.Records, st.Voids, st.Invalid, st.ChainOK = len(good), len(voids), len(bad), chain.OK
	st.Warnings = append(notes, voidErrs...)
	if !chain.OK {
		st.Warnings = append(st.Warnings, chain.Detail)
	}
	for _, v := range bad {
		st.Warnings = append(st.Warnings, v.RecordID+"："+v.Checks[0].Detail)
	}

	now := catalog.FormatTime(s.now())
	err = s.cat.Tx(ctx, func(tx *sql.Tx) error {
		var inFlight int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM filings WHERE status IN ('allocated', 'rendered', 'signed')`).Scan(&inFlight); err != nil {
			return err
		}
		if inFlight > 0 {
			return problem.Conflict("filings_in_progress", fmt.Sprintf("有 %d 件归档正在进行，请稍后再重建目录", inFlight))
		}
		for _, q := range []string{
			`DELETE FROM records`, `DELETE FROM filings`, `DELETE FROM void_numbers`,
			`DELETE FROM doc_number_counters`, `DELETE FROM item_counters`, `DELETE FROM chain_head`,
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		type itemKey struct {
			fonds, org string
			year       int
			ret        Retention
		}
		type docKey struct {
			agency string
			year   int
		}
		items := map[itemKey]int{}
		docs := map[docKey]int{}
		units := map[string]int64{}
		for _, g := range good {
			m := g.m
			unitID, err := s.rebuildUnit(ctx, tx, m.Unit, units, now)
			if err != nil {
				return err
			}
			rec := recordFromManifest(m, g.version, sm3Hex(g.raw))
			rec.UnitID = unitID
			if err := insertRecord(ctx, tx, rec); err != nil {
				return fmt.Errorf("record %s: %w", m.RecordID, err)
			}
			f := &filingRow{ID: m.RecordID, DraftID: m.DraftID, Source: m.Source, Owner: "rebuild", FiledAt: rec.FiledAt,
				ContentKey: m.Content.Key, ContentSM3: m.Content.SM3, ContentSHA256: m.Content.SHA256, ContentSize: m.Content.Size}
			f.alloc = allocation{DocNumber: m.DocNumber, ArchiveCode: m.ArchiveCode, Fonds: m.Fonds, Year: m.Year,
				Retention: m.Retention, Org: m.Org, ItemNo: m.ItemNo}
			if m.Source == SourceGenerated {
				if agency, year, n, ok := ParseDocNumber(m.DocNumber); ok && agency == m.Unit.Code {
					f.alloc.DocAgency, f.alloc.DocSeq = agency, n
					k := docKey{agency, year}
					docs[k] = max(docs[k], n)
				}
			}
			if err := insertFiling(ctx, tx, f, rec.FiledAt); err != nil {
				return fmt.Errorf("filing %s: %w", m.RecordID, err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE filings SET status = 'filed', content_version = ?, manifest = ?,
				chain_seq = ?, manifest_version = ? WHERE id = ?`, m.Content.VersionID, string(g.raw), m.ChainSeq, g.version, m.RecordID); err != nil {
				return err
			}
			k := itemKey{m.Fonds, m.Org, m.Year, m.Retention}
			items[k] = max(items[k], m.ItemNo)
		}
		for _, vm := range voids {
			f := &filingRow{ID: vm.FilingID, DraftID: vm.DraftID, Source: vm.Source, Owner: "rebuild", FiledAt: catalog.ParseTime(vm.VoidedAt),
				ContentKey: vm.ContentKey}
			f.alloc = allocation{ArchiveCode: vm.ArchiveCode, Fonds: vm.Fonds, Year: vm.Year, Retention: vm.Retention, Org: vm.Org,
				ItemNo: vm.ItemNo}
			if vm.Source == SourceGenerated {
				f.alloc.DocNumber, f.alloc.DocAgency, f.alloc.DocSeq = vm.DocNumber, vm.DocAgency, vm.DocSeq
				if vm.DocAgency != "" && vm.DocSeq > 0 {
					k := docKey{vm.DocAgency, vm.Year}
					docs[k] = max(docs[k], vm.DocSeq)
				}
			}
			if err := insertFiling(ctx, tx, f, f.FiledAt); err != nil {
				return fmt.Errorf("void %s: %w", vm.FilingID, err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE filings SET status = 'void', void_reason = ? WHERE id = ?`, vm.Reason, vm.FilingID); err != nil {
				return err
			}
			if err := insertVoidNumbers(ctx, tx, vm); err != nil {
				return err
			}
			k := itemKey{vm.Fonds, vm.Org, vm.Year, vm.Retention}
			items[k] = max(items[k], vm.ItemNo)
		}
		for k, n := range docs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO doc_number_counters (agency_code, year, last_no) VALUES (?, ?, ?)`, k.agency, k.year, n); err != nil {
				return err
			}
		}
		for k, n := range items {
			if _, err := tx.ExecContext(ctx, `INSERT INTO item_counters (fonds, year, retention, org, last_no) VALUES (?, ?, ?, ?, ?)`,
				k.fonds, k.year, string(k.ret), k.org, n); err != nil {
				return err
			}
		}
		if n := len(good); n > 0 {
			last := good[n-1]
			if _, err := tx.ExecContext(ctx, `INSERT INTO chain_head (id, seq, manifest_sm3, record_id) VALUES (1, ?, ?, ?)`,
				last.m.ChainSeq, sm3Hex(last.raw), last.m.RecordID); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, nil, "catalog.rebuild", "", "", fmt.Sprintf("records=%d voids=%d invalid=%d chain_ok=%v", st.Records, st.Voids, st.Invalid, st.ChainOK))
	})
	if err != nil {
		return st, internal("rebuild", err)
	}
	return st, nil
}

// rebuildUnit finds or creates the unit a manifest names.
func (s *Store) rebuildUnit(ctx context.Context, tx *sql.Tx, ref UnitRef, cache map[string]int64, now string) (int64, error) {
	if id, ok := cache[ref.Name]; ok {
		return id, nil
	}
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM units WHERE name = ?`, ref.Name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		var taken int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM units WHERE id = ?`, ref.ID).Scan(&taken); err != nil {
			return 0, err
		}
		if taken == 0 && ref.ID > 0 {
			id = ref.ID
			_, err = tx.ExecContext(ctx, `INSERT INTO units (id, name, code, fonds, org, placeholder, created_at) VALUES (?, ?, ?, ?, ?, 0, ?)`,
				id, ref.Name, ref.Code, ref.Fonds, ref.Org, now)
		} else {
			err = tx.QueryRowContext(ctx, `INSERT INTO units (name, code, fonds, org, placeholder, created_at) VALUES (?, ?, ?, ?, 0, ?) RETURNING id`,
				ref.Name, ref.Code, ref.Fonds, ref.Org, now).Scan(&id)
		}
	}
	if err != nil {
		return 0, err
	}
	cache[ref.Name] = id
	return id, nil
}
