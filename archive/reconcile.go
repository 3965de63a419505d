package archive

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// IndexIDs is what Reconcile needs from the search index
// (*search.Index satisfies it): every indexed record id.
type IndexIDs interface {
	ForEachID(ctx context.Context, fn func(id string) error) error
}

// ReconcileOptions configure Reconcile.
type ReconcileOptions struct {
	// Index, if set, is compared with the catalog and the bucket.
	Index IndexIDs
}

// ReconcileReport is one comparison of catalog, bucket and index (对账).
type ReconcileReport struct {
	At            time.Time `json:"at"`
	OK            bool      `json:"ok"`
	Rows          int       `json:"rows"`      // catalog rows
	Manifests     int       `json:"manifests"` // filed manifests in the bucket
	Voids         int       `json:"voids"`     // valid void markers
	IndexCompared bool      `json:"index_compared"`
	Indexed       int       `json:"indexed"` // index entries (when compared)
	Findings      []Finding `json:"findings"`
}

// Lines is the report as `wenshu verify --catalog` prints it.
func (r *ReconcileReport) Lines() []string {
	idx := "index not compared"
	if r.IndexCompared {
		idx = fmt.Sprintf("index %d", r.Indexed)
	}
	out := []string{fmt.Sprintf("reconcile: ok=%v, catalog rows %d, bucket manifests %d, voids %d, %s, findings %d",
		r.OK, r.Rows, r.Manifests, r.Voids, idx, len(r.Findings))}
	for _, f := range r.Findings {
		out = append(out, "  ✗ "+f.String())
	}
	return out
}

func (f Finding) alert(at time.Time) Alert {
	detail := f.Detail
	if f.Key != "" {
		detail = f.Key + " " + f.VersionID + "：" + detail
	}
	if len(f.Fields) > 0 {
		detail += "（字段：" + strings.Join(f.Fields, "、") + "）"
	}
	return Alert{At: at, Kind: AlertReconcile, Finding: f.Kind, RecordID: f.RecordID, Detail: detail}
}

// Reconcile compares the catalog, the bucket and (if given) the search
// index both ways and names every discrepancy: catalog rows without a
// filed manifest, filed manifests without a row, rows whose fields differ
// from their manifest, index entries for records the catalog lacks,
// catalogued records missing from the index, and everything the bucket
// watch reports (see bucketwatch.go). Each finding is an alert (audited
// once per process, logged); the report is what Store.Alerts and
// LastSweep show. Nothing is changed: `wenshu rebuild` puts the catalog
// back to what the bucket holds.
func (s *Store) Reconcile(ctx context.Context, opts ReconcileOptions) (*ReconcileReport, error) {
	pub, err := s.publicKey()
	if err != nil {
		return nil, internal("public key", err)
	}
	skip, err := s.inFlightKeys(ctx)
	if err != nil {
		return nil, err
	}
	sc, err := watchBucket(ctx, &bucketView{s: s, bucket: s.bucket}, pub, skip)
	if err != nil {
		if isUnavailable(err) {
			return nil, storageErr(err)
		}
		return nil, internal("reconcile", err)
	}
	rows, err := s.queryRecords(ctx, `SELECT `+recordCols+` FROM records ORDER BY chain_seq`)
	if err != nil {
		return nil, err
	}
	rep := &ReconcileReport{At: s.now(), Rows: len(rows), Manifests: len(sc.good), Voids: sc.voids}
	rep.Findings = append(rep.Findings, sc.findings...)
	rowIDs, err := s.compareRows(ctx, rows, sc, skip, rep)
	if err != nil {
		return nil, err
	}
	if opts.Index != nil {
		if err := compareIndex(ctx, opts.Index, rowIDs, sc, rep); err != nil {
			return nil, internal("reconcile index", err)
		}
	}
	rep.OK = len(rep.Findings) == 0
	for _, f := range rep.Findings {
		s.raiseAlert(ctx, f.alert(rep.At))
	}
	s.setLastSweep(rep)
	return rep, nil
}

// inFlightKeys returns the content and manifest keys and ids of filings
// still in progress, which the comparison leaves alone.
func (s *Store) inFlightKeys(ctx context.Context) (map[string]bool, error) {
	rows, err := s.cat.Reader().QueryContext(ctx, `SELECT id, content_key FROM filings WHERE status IN ('allocated', 'rendered', 'signed')`)
	if err != nil {
		return nil, internal("reconcile", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id, key string
		if err := rows.Scan(&id, &key); err != nil {
			return nil, internal("reconcile", err)
		}
		out[id] = true
		if dot := strings.LastIndex(key, "."); dot > 0 {
			out[key], out[key[:dot]+".json"] = true, true
		}
	}
	return out, internal("reconcile", rows.Err())
}

// compareRows compares every catalog row with the bucket's filed
// manifests, both ways, and returns the ids of the rows.
func (s *Store) compareRows(ctx context.Context, rows []*Record, sc *bucketScan, skip map[string]bool, rep *ReconcileReport) (map[string]bool, error) {
	ids := map[string]bool{}
	for _, row := range rows {
		ids[row.ID] = true
		g, ok := sc.good[row.ID]
		if !ok {
			rep.Findings = append(rep.Findings, Finding{Kind: FindingRowWithoutManifest, RecordID: row.ID, Key: row.ManifestKey,
				Detail: "目录中有此记录，存储中没有它的有效签名清单（伪造或清单被删的目录记录，不予提供）"})
			continue
		}
		want := recordFromManifest(g.m, g.version, sm3Hex(g.raw))
		unit, err := s.manifestUnitID(ctx, row, g.m)
		if err != nil {
			return nil, err
		}
		want.UnitID = unit
		if diff := rowDiff(row, want); len(diff) > 0 {
			rep.Findings = append(rep.Findings, Finding{Kind: FindingFieldMismatch, RecordID: row.ID, Fields: diff,
				Detail: "目录记录与签名清单不一致（读取按清单；rebuild 可恢复目录）：" + describeDiff(row, want, diff)})
		}
	}
	for _, g := range sc.ordered {
		if !ids[g.m.RecordID] && !skip[g.m.RecordID] {
			rep.Findings = append(rep.Findings, Finding{Kind: FindingManifestWithoutRow, RecordID: g.m.RecordID, Key: g.m.ManifestKey,
				VersionID: g.version, Detail: "存储中有已签名归档的清单，目录中没有它的记录（目录记录被删除；rebuild 可恢复）"})
		}
	}
	return ids, nil
}

// compareIndex compares the index ids with the catalog rows.
func compareIndex(ctx context.Context, idx IndexIDs, rowIDs map[string]bool, sc *bucketScan, rep *ReconcileReport) error {
	indexed := map[string]bool{}
	err := idx.ForEachID(ctx, func(id string) error {
		indexed[id] = true
		return nil
	})
	if err != nil {
		return err
	}
	rep.IndexCompared, rep.Indexed = true, len(indexed)
	for _, id := range sortedKeys(indexed) {
		if rowIDs[id] {
			continue
		}
		detail := "检索索引中有此档案，目录中没有（存储中也没有其清单）"
		if _, ok := sc.good[id]; ok {
			detail = "检索索引中有此档案，目录中没有（存储中有其签名清单：目录记录被删除；rebuild 可恢复）"
		}
		rep.Findings = append(rep.Findings, Finding{Kind: FindingIndexOrphan, RecordID: id, Detail: detail})
	}
	for _, id := range sortedKeys(rowIDs) {
		if _, filed := sc.good[id]; filed && !indexed[id] {
			rep.Findings = append(rep.Findings, Finding{Kind: FindingNotIndexed, RecordID: id,
				Detail: "目录中的档案不在检索索引中（wenshu reindex 可补建）"})
		}
	}
	return nil
}

// describeDiff renders the differing fields as 字段：目录值 → 清单值, each
// value cut short.
func describeDiff(row, want *Record, fields []string) string {
	a, b := fieldValues(row), fieldValues(want)
	parts := make([]string, 0, len(fields))
	for _, f := range fields {
		parts = append(parts, fmt.Sprintf("%s：目录 %s → 清单 %s", f, short(a[f]), short(b[f])))
	}
	return strings.Join(parts, "；")
}

// Report is the reconcile as `wenshu verify --catalog` prints it (OK only
// without findings).
func (r *ReconcileReport) Report() VerifyReport {
	return VerifyReport{OK: r.OK, Lines: r.Lines(), Result: r}
}

// ReportWithWatch is the bucket-only verification's report followed by
// the bucket watch's findings, one line each; OK only when the records
// verify and there is no finding. The JSON result is the
// BucketVerification with "ok" overall and the findings under "watch".
func (b *BucketVerification) ReportWithWatch(fs []Finding) VerifyReport {
	r := b.Report()
	r.Lines = append(r.Lines, fmt.Sprintf("bucket watch: %d findings", len(fs)))
	for _, f := range fs {
		r.Lines = append(r.Lines, "  ✗ "+f.String())
	}
	r.OK = r.OK && len(fs) == 0
	if fs == nil {
		fs = []Finding{}
	}
	r.Result = struct {
		*BucketVerification
		OK    bool      `json:"ok"`
		Watch []Finding `json:"watch"`
	}{b, r.OK, fs}
	return r
}
