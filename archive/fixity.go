package archive

import (
	"context"
	"errors"
	"fmt"
	"time"

	"wenshu/problem"
)

// The scheduled fixity re-scan (DA/T 70-2018 长期保存环节): every filed,
// not disposed content version is read again and re-digested against its
// signed manifest, in batches, each record under a deadline. A mismatch
// (or a catalog row that no longer agrees with the manifest about the
// content) raises an alert; storage that does not answer is reported as
// unavailable, never as a failure.

// AlertFixity: a finding of the fixity re-scan (Finding says which).
const AlertFixity = "fixity"

// Fixity findings.
const (
	FixityMismatch    = "mismatch"    // the filed version's bytes or the catalog disagree with the manifest
	FixityUnavailable = "unavailable" // storage did not answer for some records
)

// fixityBatch is how many record ids one catalog query of the scan reads.
const fixityBatch = 200

// fixityRecordTimeout bounds the reads of one record.
const fixityRecordTimeout = 30 * time.Second

// FixityReport is the outcome of one re-scan.
type FixityReport struct {
	At          time.Time `json:"at"`
	Records     int       `json:"records"`
	Passed      int       `json:"passed"`
	Failed      []string  `json:"failed"`      // record ids
	Unavailable []string  `json:"unavailable"` // record ids
	Complete    bool      `json:"complete"`    // false when the scan was stopped
}

// FixityScan re-digests every filed content version. It stops early (not
// Complete) when ctx ends.
func (s *Store) FixityScan(ctx context.Context) (*FixityReport, error) {
	rep := &FixityReport{At: s.now(), Failed: []string{}, Unavailable: []string{}}
	after := ""
	for {
		ids, err := s.fixityIDs(ctx, after)
		if err != nil {
			return rep, err
		}
		for _, id := range ids {
			if ctx.Err() != nil {
				return rep, nil
			}
			rep.Records++
			switch status, detail := s.fixityOne(ctx, id); status {
			case VerifyPassed:
				rep.Passed++
			case VerifyUnavailable:
				rep.Unavailable = append(rep.Unavailable, id)
			default:
				rep.Failed = append(rep.Failed, id)
				s.raiseAlert(ctx, Alert{Kind: AlertFixity, Finding: FixityMismatch, RecordID: id, Detail: detail})
			}
		}
		if len(ids) < fixityBatch {
			break
		}
		after = ids[len(ids)-1]
	}
	rep.Complete = true
	if n := len(rep.Unavailable); n > 0 {
		s.raiseAlert(ctx, Alert{Kind: AlertFixity, Finding: FixityUnavailable,
			Detail: fmt.Sprintf("固化信息复检：%d 件档案的存储暂无法读取，未能复检（不表示失败）", n)})
	}
	return rep, nil
}

// fixityIDs is the next batch of filed, not disposed record ids after
// after, in id order.
func (s *Store) fixityIDs(ctx context.Context, after string) ([]string, error) {
	rows, err := s.cat.Reader().QueryContext(ctx, `SELECT id FROM records WHERE disposed_at IS NULL AND id > ? ORDER BY id LIMIT ?`, after, fixityBatch)
	if err != nil {
		return nil, internal("fixity scan", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, internal("fixity scan", err)
		}
		ids = append(ids, id)
	}
	return ids, internal("fixity scan", rows.Err())
}

// fixityOne re-reads record id's filed content version and compares it
// with the signed manifest: passed, failed (with why) or unavailable.
func (s *Store) fixityOne(ctx context.Context, id string) (status, detail string) {
	ctx, cancel := context.WithTimeout(ctx, fixityRecordTimeout)
	defer cancel()
	row, err := s.loadRow(ctx, s.cat.Reader(), id)
	if err != nil {
		return fixityErr(err)
	}
	r, err := s.trustRow(ctx, row) // a refused manifest is alerted there too
	if err != nil {
		return fixityErr(err)
	}
	if row.ContentVersion != r.ContentVersion || row.SM3 != r.SM3 || row.SHA256 != r.SHA256 {
		return VerifyFailed, "目录记载的正文版本或摘要与签名清单不符（目录版本 " + row.ContentVersion + "，清单版本 " + r.ContentVersion + "）"
	}
	content := (&bucketView{s: s, bucket: s.bucket}).readPinned(ctx, r.ContentKey, r.ContentVersion)
	switch {
	case content.unavailable:
		return VerifyUnavailable, unavailableDetail
	case content.err != nil || content.fallback:
		return VerifyFailed, "归档的正文版本 " + r.ContentVersion + " 在存储中不存在"
	}
	if got := sm3Hex(content.data); got != r.SM3 {
		return VerifyFailed, digestDetail("SM3", got, r.SM3, "清单")
	}
	if got := sha256Hex(content.data); got != r.SHA256 {
		return VerifyFailed, digestDetail("SHA-256", got, r.SHA256, "清单")
	}
	return VerifyPassed, ""
}

func fixityErr(err error) (string, string) {
	if errors.Is(err, problem.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		return VerifyUnavailable, unavailableDetail
	}
	var pe *problem.Error
	if errors.As(err, &pe) {
		return VerifyFailed, pe.Message
	}
	return VerifyFailed, err.Error()
}

// RunFixityScans runs FixityScan every interval until ctx ends, logging
// each outcome (`wenshu serve --fixity-interval`).
func (s *Store) RunFixityScans(ctx context.Context, first, interval time.Duration) {
	t := time.NewTimer(first)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.stop:
			return
		case <-t.C:
		}
		rep, err := s.FixityScan(ctx)
		if err != nil {
			s.log.Error("archive: fixity scan failed", "err", err)
		} else {
			s.log.Info("archive: fixity scan", "records", rep.Records, "passed", rep.Passed,
				"failed", len(rep.Failed), "unavailable", len(rep.Unavailable), "complete", rep.Complete)
		}
		t.Reset(interval)
	}
}
