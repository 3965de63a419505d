package archive

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
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
	// Changes lists what the rebuild changed in the records table: rows
	// added (a manifest without a row), removed (a row without a filed
	// manifest) and changed (a row that differed from its manifest, with
	// the fields reverted), in record id order.
	Changes []RecordChange
}

// Kinds of RecordChange.
const (
	ChangeAdded   = "added"
	ChangeRemoved = "removed"
	ChangeChanged = "changed"
)

// RecordChange is one records row that Rebuild added, removed or changed.
type RecordChange struct {
	RecordID string   `json:"record_id"`
	Change   string   `json:"change"`
	Fields   []string `json:"fields,omitempty"` // for changed: the fields reverted to the manifest's
	Detail   string   `json:"detail,omitempty"` // for changed: 字段：目录值 → 清单值
}

// String is the change on one line.
func (c RecordChange) String() string {
	out := c.Change + " " + c.RecordID
	if len(c.Fields) > 0 {
		out += " (" + strings.Join(c.Fields, ", ") + "): " + c.Detail
	}
	return out
}

// Rebuild recreates the derived part of the catalog from the bucket alone:
// the records rows, the filings register (filed and void), void_numbers,
// the 文号 and 件号 counters (the highest number used or voided per
// sequence) and the chain head. Units named by manifests that the catalog
// lacks are created (with the manifest's id when free). Users, tokens,
// drafts and audit events are not in the bucket and are kept as they are.
//
// RebuildStats.Changes names every records row it added, removed or
// changed back to its manifest (with the fields), so a catalog edit that a
// rebuild reverts is reported, not silently undone.
//
// Rebuild first runs Recover and refuses (ErrConflict) while any filing is
// still in progress, because a rebuilt register must not forget a number
// that is in flight. Only manifests signed by this store's key count.
func (s *Store) Rebuild(ctx context.Context, progress func(done, total int)) (RebuildStats, error) {
	rst, err := s.Recover(ctx)
	if err != nil {
		return RebuildStats{}, err
	}
	if rst.Pending > 0 {
		return RebuildStats{}, errFilingsInProgress(rst.Pending)
	}
	s.recoverMu.Lock()
	defer s.recoverMu.Unlock()
	sc, err := s.scanForRebuild(ctx, progress)
	if err != nil {
		return RebuildStats{}, err
	}
	err = s.cat.Tx(ctx, func(tx *sql.Tx) error { return s.rebuildCatalog(ctx, tx, sc) })
	if err != nil {
		return sc.stats, internal("rebuild", err)
	}
	s.clearReadAlerts()
	return sc.stats, nil
}

func errFilingsInProgress(n int) error {
	return problem.Conflict("filings_in_progress", fmt.Sprintf("有 %d 件归档正在进行，请稍后再重建目录", n))
}

// rebuildScan is what the bucket holds: the validly signed manifests in
// chain order, the valid void markers, and the stats and warnings to
// report.
type rebuildScan struct {
	good  []bucketManifest
	voids []*VoidMarker
	stats RebuildStats
}

// scanForRebuild reads every manifest and void marker signed by this
// store's key and checks the chain over them.
func (s *Store) scanForRebuild(ctx context.Context, progress func(done, total int)) (*rebuildScan, error) {
	pub := s.Keyring()
	b := &bucketView{s: s, bucket: s.bucket}
	good, bad, notes, err := scanManifests(ctx, b, pub, progress)
	if err != nil {
		return nil, internal("rebuild", err)
	}
	voids, voidErrs, err := scanVoids(ctx, b, pub)
	if err != nil {
		return nil, internal("rebuild", err)
	}
	sort.Slice(good, func(i, j int) bool { return good[i].m.ChainSeq < good[j].m.ChainSeq })
	chain := chainOver(good)
	sc := &rebuildScan{good: good, voids: voids}
	st := &sc.stats
	st.Records, st.Voids, st.Invalid, st.ChainOK = len(good), len(voids), len(bad), chain.OK
	st.Warnings = append(notes, voidErrs...)
	if !chain.OK {
		st.Warnings = append(st.Warnings, chain.Detail)
	}
	for _, v := range bad {
		st.Warnings = append(st.Warnings, v.RecordID+"："+v.Checks[0].Detail)
	}
	return sc, nil
}

// rebuildCatalog replaces the derived tables with what the bucket holds,
// inside one write transaction, and audits the rebuild.
func (s *Store) rebuildCatalog(ctx context.Context, tx *sql.Tx, sc *rebuildScan) error {
	var inFlight int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM filings WHERE status IN ('allocated', 'rendered', 'signed')`).Scan(&inFlight); err != nil {
		return err
	}
	if inFlight > 0 {
		return errFilingsInProgress(inFlight)
	}
	before, err := rowsByID(ctx, tx)
	if err != nil {
		return err
	}
	for _, q := range []string{
		`DELETE FROM records`, `DELETE FROM filings`, `DELETE FROM void_numbers`,
		`DELETE FROM doc_number_counters`, `DELETE FROM item_counters`, `DELETE FROM chain_head`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	ctr := newRebuiltCounters()
	units := map[string]int64{}
	now := catalog.FormatTime(s.now())
	after := map[string]*Record{}
	for _, g := range sc.good {
		rec, err := s.rebuildRecord(ctx, tx, g, units, ctr, now)
		if err != nil {
			return err
		}
		after[rec.ID] = rec
	}
	if err := s.rebuildDisposed(ctx, tx, sc.good, units, ctr, now); err != nil {
		return err
	}
	sc.stats.Changes = recordChanges(before, after)
	for _, vm := range sc.voids {
		if err := rebuildVoid(ctx, tx, vm, ctr); err != nil {
			return err
		}
	}
	if err := ctr.insert(ctx, tx); err != nil {
		return err
	}
	if n := len(sc.good); n > 0 {
		last := sc.good[n-1]
		if _, err := tx.ExecContext(ctx, `INSERT INTO chain_head (id, seq, manifest_sm3, record_id) VALUES (1, ?, ?, ?)`,
			last.m.ChainSeq, sm3Hex(last.raw), last.m.RecordID); err != nil {
			return err
		}
	}
	st := sc.stats
	n := map[string]int{}
	for _, c := range st.Changes {
		n[c.Change]++
	}
	return s.audit(ctx, tx, nil, "catalog.rebuild", "", "", fmt.Sprintf("records=%d voids=%d invalid=%d chain_ok=%v added=%d removed=%d changed=%d",
		st.Records, st.Voids, st.Invalid, st.ChainOK, n[ChangeAdded], n[ChangeRemoved], n[ChangeChanged]))
}

// rowsByID reads every records row inside tx.
func rowsByID(ctx context.Context, tx *sql.Tx) (map[string]*Record, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+recordCols+` FROM records`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]*Record{}
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, err
		}
		out[r.ID] = r
	}
	return out, rows.Err()
}

// recordChanges compares the rows before a rebuild with the rows it wrote.
func recordChanges(before, after map[string]*Record) []RecordChange {
	ids := map[string]bool{}
	for id := range before {
		ids[id] = true
	}
	for id := range after {
		ids[id] = true
	}
	var out []RecordChange
	for _, id := range sortedKeys(ids) {
		b, a := before[id], after[id]
		switch {
		case b == nil:
			out = append(out, RecordChange{RecordID: id, Change: ChangeAdded})
		case a == nil:
			out = append(out, RecordChange{RecordID: id, Change: ChangeRemoved})
		default:
			if diff := rowDiff(b, a); len(diff) > 0 {
				out = append(out, RecordChange{RecordID: id, Change: ChangeChanged, Fields: diff, Detail: describeDiff(b, a, diff)})
			}
		}
	}
	return out
}

// rebuiltCounters collects the highest 文号 and 件号 used or voided per
// sequence, which become the counters' last numbers.
type rebuiltCounters struct {
	docs  map[docSeqKey]int
	items map[itemSeqKey]int
}

type docSeqKey struct {
	agency string
	year   int
}

type itemSeqKey struct {
	fonds, org string
	year       int
	ret        Retention
}

func newRebuiltCounters() *rebuiltCounters {
	return &rebuiltCounters{docs: map[docSeqKey]int{}, items: map[itemSeqKey]int{}}
}

func (c *rebuiltCounters) doc(agency string, year, n int) {
	k := docSeqKey{agency, year}
	c.docs[k] = max(c.docs[k], n)
}

func (c *rebuiltCounters) item(fonds, org string, year int, r Retention, n int) {
	k := itemSeqKey{fonds, org, year, r}
	c.items[k] = max(c.items[k], n)
}

func (c *rebuiltCounters) insert(ctx context.Context, tx *sql.Tx) error {
	for k, n := range c.docs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO doc_number_counters (agency_code, year, last_no) VALUES (?, ?, ?)`, k.agency, k.year, n); err != nil {
			return err
		}
	}
	for k, n := range c.items {
		if _, err := tx.ExecContext(ctx, `INSERT INTO item_counters (fonds, year, retention, org, last_no) VALUES (?, ?, ?, ?, ?)`,
			k.fonds, k.year, string(k.ret), k.org, n); err != nil {
			return err
		}
	}
	return nil
}

// rebuildRecord catalogues one manifest: its unit (found or created), its
// records row and its filings row (filed), counting its numbers.
func (s *Store) rebuildRecord(ctx context.Context, tx *sql.Tx, g bucketManifest, units map[string]int64, ctr *rebuiltCounters, now string) (*Record, error) {
	m := g.m
	unitID, err := s.rebuildUnit(ctx, tx, m.Unit, units, now)
	if err != nil {
		return nil, err
	}
	rec := recordFromManifest(m, g.version, g.digest())
	rec.UnitID = unitID
	if err := insertRecord(ctx, tx, rec); err != nil {
		return nil, fmt.Errorf("record %s: %w", m.RecordID, err)
	}
	f := &filingRow{ID: m.RecordID, DraftID: m.DraftID, Source: m.Source, Owner: "rebuild", FiledAt: rec.FiledAt,
		ContentKey: m.Content.Key, ContentSM3: m.Content.SM3, ContentSHA256: m.Content.SHA256, ContentSize: m.Content.Size}
	f.alloc = allocation{DocNumber: m.DocNumber, ArchiveCode: m.ArchiveCode, Fonds: m.Fonds, Year: m.Year,
		Retention: m.Retention, Org: m.Org, ItemNo: m.ItemNo}
	if m.Source == SourceGenerated {
		if agency, year, n, ok := ParseDocNumber(m.DocNumber); ok && agency == m.Unit.Code {
			f.alloc.DocAgency, f.alloc.DocSeq = agency, n
			ctr.doc(agency, year, n)
		}
	}
	if err := insertFiling(ctx, tx, f, rec.FiledAt); err != nil {
		return nil, fmt.Errorf("filing %s: %w", m.RecordID, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE filings SET status = 'filed', content_version = ?, manifest = ?,
		chain_seq = ?, manifest_version = ? WHERE id = ?`, m.Content.VersionID, string(g.raw), m.ChainSeq, g.version, m.RecordID); err != nil {
		return nil, err
	}
	ctr.item(m.Fonds, m.Org, m.Year, m.Retention, m.ItemNo)
	return rec, nil
}

// rebuildVoid registers one void marker: a void filings row and its
// void_numbers, counting its numbers.
func rebuildVoid(ctx context.Context, tx *sql.Tx, vm *VoidMarker, ctr *rebuiltCounters) error {
	f := &filingRow{ID: vm.FilingID, DraftID: vm.DraftID, Source: vm.Source, Owner: "rebuild", FiledAt: catalog.ParseTime(vm.VoidedAt),
		ContentKey: vm.ContentKey}
	f.alloc = allocation{ArchiveCode: vm.ArchiveCode, Fonds: vm.Fonds, Year: vm.Year, Retention: vm.Retention, Org: vm.Org,
		ItemNo: vm.ItemNo}
	if vm.Source == SourceGenerated {
		f.alloc.DocNumber, f.alloc.DocAgency, f.alloc.DocSeq = vm.DocNumber, vm.DocAgency, vm.DocSeq
		if vm.DocAgency != "" && vm.DocSeq > 0 {
			ctr.doc(vm.DocAgency, vm.Year, vm.DocSeq)
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
	ctr.item(vm.Fonds, vm.Org, vm.Year, vm.Retention, vm.ItemNo)
	return nil
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
