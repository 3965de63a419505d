package archive

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/minio/minio-go/v7"

	"wenshu/catalog"
	"wenshu/identity"
	"wenshu/problem"
	"wenshu/textrule"
)

// Legal hold (法律保全): a record under investigation, appeal or 留置 is
// kept past its retention. Archivists and auditors place and lift a hold
// with a reason; the hold is MinIO's object legal hold (S3
// PutObjectLegalHold) on every version of the record's content and
// manifest keys, which blocks deletion whatever the retention, and it is
// recorded in the catalog (legal_holds: who, when, why) and audited
// (record.legal_hold, record.legal_hold_lift). A held record can never be
// disposed of.

// LegalHold is one hold on a record.
type LegalHold struct {
	ID         int64      `json:"id"`
	RecordID   string     `json:"record_id"`
	Reason     string     `json:"reason"`
	PlacedBy   PersonRef  `json:"placed_by"`
	PlacedAt   time.Time  `json:"placed_at"`
	LiftedBy   *PersonRef `json:"lifted_by,omitempty"`
	LiftedAt   *time.Time `json:"lifted_at,omitempty"`
	LiftReason string     `json:"lift_reason,omitempty"`
	Versions   int        `json:"versions"` // object versions set ON or OFF by this call
}

// InForce reports whether the hold has not been lifted.
func (h *LegalHold) InForce() bool { return h.LiftedAt == nil }

// objectVersion is one stored version of one of a record's keys.
type objectVersion struct{ key, version string }

// recordObjectVersions lists every version of the record's content and
// manifest keys (not only the filed ones: a version stacked on the key
// later must not be deletable either).
func (s *Store) recordObjectVersions(ctx context.Context, r *Record) ([]objectVersion, error) {
	var out []objectVersion
	for _, key := range []string{r.ContentKey, r.ManifestKey} {
		cctx, cancel := s.callCtx(ctx)
		vs, err := s.objectVersions(cctx, s.bucket, key)
		cancel()
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			out = append(out, objectVersion{key: key, version: v.VersionID})
		}
	}
	return out, nil
}

// setLegalHold turns the legal hold of every version ON or OFF.
func (s *Store) setLegalHold(ctx context.Context, vs []objectVersion, on bool) error {
	st := minio.LegalHoldDisabled
	if on {
		st = minio.LegalHoldEnabled
	}
	for _, v := range vs {
		cctx, cancel := s.callCtx(ctx)
		err := s.s3.PutObjectLegalHold(cctx, s.bucket, v.key, minio.PutObjectLegalHoldOptions{VersionID: v.version, Status: &st})
		cancel()
		if err != nil {
			return fmt.Errorf("legal hold %s@%s: %w", v.key, v.version, err)
		}
	}
	return nil
}

func checkHoldReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > 500 || textrule.Refused(reason) {
		return "", problem.Invalid("bad_reason", "reason", "须填写理由（不超过500字，不含控制字符）")
	}
	return reason, nil
}

// holdTarget checks the caller (archivist or auditor who can read the
// record) and the reason, and returns the record.
func (s *Store) holdTarget(ctx context.Context, u *identity.User, id, reason string) (*Record, string, error) {
	if err := identity.RequireRole(u, identity.RoleArchivist, identity.RoleAuditor); err != nil {
		return nil, "", err
	}
	r, err := s.GetRecord(ctx, u, id)
	if err != nil {
		return nil, "", err
	}
	if reason, err = checkHoldReason(reason); err != nil {
		return nil, "", err
	}
	if at, err := s.disposedAt(ctx, r.ID); err != nil {
		return nil, "", err
	} else if at != "" {
		return nil, "", problem.Conflict("record_disposed", "该档案已于 "+at+" 销毁")
	}
	return r, reason, nil
}

// PlaceLegalHold puts a legal hold on every version of the record's
// objects and records it. A record already held is a conflict.
func (s *Store) PlaceLegalHold(ctx context.Context, u *identity.User, id, reason string) (*LegalHold, error) {
	r, reason, err := s.holdTarget(ctx, u, id, reason)
	if err != nil {
		return nil, err
	}
	if h, err := s.holdInForce(ctx, r.ID); err != nil {
		return nil, err
	} else if h != nil {
		return nil, problem.Conflict("legal_hold_exists", "该档案已有保全（"+h.PlacedBy.Name+"，"+h.Reason+"）")
	}
	vs, err := s.recordObjectVersions(ctx, r)
	if err != nil {
		return nil, s.s3Failed("legal hold", err)
	}
	// The bucket first: a crash before the catalog row leaves the objects
	// held (the safe side) and the hold can be placed again.
	if err := s.setLegalHold(ctx, vs, true); err != nil {
		return nil, s.s3Failed("legal hold", err)
	}
	now := s.now()
	err = s.cat.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO legal_holds (record_id, reason, placed_by_id, placed_by_name, placed_at)
			VALUES (?, ?, ?, ?, ?)`, r.ID, reason, u.ID, u.Name, catalog.FormatTime(now)); err != nil {
			return err
		}
		return s.audit(ctx, tx, u, "record.legal_hold", r.ID, "", fmt.Sprintf("保全（%d 个对象版本）：%s", len(vs), reason))
	})
	if catalog.IsUniqueViolation(err) {
		return nil, problem.Conflict("legal_hold_exists", "该档案已有保全")
	}
	if err != nil {
		return nil, internal("legal hold", err)
	}
	h, err := s.holdInForce(ctx, r.ID)
	if err != nil || h == nil {
		return nil, internal("legal hold", fmt.Errorf("hold of %s not found after insert: %v", r.ID, err))
	}
	h.Versions = len(vs)
	return h, nil
}

// LiftLegalHold lifts the hold in force: every version's legal hold goes
// OFF (retention still applies) and the hold is closed with who, when and
// why.
func (s *Store) LiftLegalHold(ctx context.Context, u *identity.User, id, reason string) (*LegalHold, error) {
	r, reason, err := s.holdTarget(ctx, u, id, reason)
	if err != nil {
		return nil, err
	}
	h, err := s.holdInForce(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	if h == nil {
		return nil, problem.Conflict("no_legal_hold", "该档案没有生效的保全")
	}
	vs, err := s.recordObjectVersions(ctx, r)
	if err != nil {
		return nil, s.s3Failed("lift legal hold", err)
	}
	if err := s.setLegalHold(ctx, vs, false); err != nil {
		return nil, s.s3Failed("lift legal hold", err)
	}
	now := s.now()
	err = s.cat.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE legal_holds SET lifted_by_id = ?, lifted_by_name = ?, lifted_at = ?, lift_reason = ?
			WHERE id = ? AND lifted_at IS NULL`, u.ID, u.Name, catalog.FormatTime(now), reason, h.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, u, "record.legal_hold_lift", r.ID, "", fmt.Sprintf("解除保全（%d 个对象版本）：%s", len(vs), reason))
	})
	if err != nil {
		return nil, internal("lift legal hold", err)
	}
	h.LiftedBy, h.LiftedAt, h.LiftReason, h.Versions = &PersonRef{ID: u.ID, Name: u.Name}, &now, reason, len(vs)
	return h, nil
}

// LegalHolds lists a record's holds, newest first, for anyone who can
// read the record.
func (s *Store) LegalHolds(ctx context.Context, u *identity.User, id string) ([]LegalHold, error) {
	r, err := s.GetRecord(ctx, u, id)
	if err != nil {
		return nil, err
	}
	return s.holds(ctx, `record_id = ? ORDER BY id DESC`, r.ID)
}

func (s *Store) holdInForce(ctx context.Context, recordID string) (*LegalHold, error) {
	hs, err := s.holds(ctx, `record_id = ? AND lifted_at IS NULL`, recordID)
	if err != nil || len(hs) == 0 {
		return nil, err
	}
	return &hs[0], nil
}

func (s *Store) holds(ctx context.Context, where string, args ...any) ([]LegalHold, error) {
	rows, err := s.cat.Reader().QueryContext(ctx, `SELECT id, record_id, reason, placed_by_id, placed_by_name, placed_at,
		lifted_by_id, lifted_by_name, lifted_at, lift_reason FROM legal_holds WHERE `+where, args...)
	if err != nil {
		return nil, internal("legal holds", err)
	}
	defer rows.Close()
	var out []LegalHold
	for rows.Next() {
		var h LegalHold
		var placed string
		var liftedID sql.NullInt64
		var liftedName, liftedAt, liftReason sql.NullString
		if err := rows.Scan(&h.ID, &h.RecordID, &h.Reason, &h.PlacedBy.ID, &h.PlacedBy.Name, &placed,
			&liftedID, &liftedName, &liftedAt, &liftReason); err != nil {
			return nil, internal("legal holds", err)
		}
		h.PlacedAt = catalog.ParseTime(placed)
		if liftedAt.Valid {
			t := catalog.ParseTime(liftedAt.String)
			h.LiftedAt, h.LiftedBy, h.LiftReason = &t, &PersonRef{ID: liftedID.Int64, Name: liftedName.String}, liftReason.String
		}
		out = append(out, h)
	}
	return out, internal("legal holds", rows.Err())
}

// bucketHolds reports which of the versions carry a legal hold in the
// bucket (the bucket's word, whatever the catalog says).
func (s *Store) bucketHolds(ctx context.Context, vs []objectVersion) ([]objectVersion, error) {
	var held []objectVersion
	for _, v := range vs {
		cctx, cancel := s.callCtx(ctx)
		st, err := s.s3.GetObjectLegalHold(cctx, s.bucket, v.key, minio.GetObjectLegalHoldOptions{VersionID: v.version})
		cancel()
		if err != nil {
			if er, ok := s3Error(err); ok && (er.Code == "NoSuchObjectLockConfiguration" || er.StatusCode == 404 && er.Code != "NoSuchKey") {
				continue
			}
			return nil, fmt.Errorf("legal hold of %s@%s: %w", v.key, v.version, err)
		}
		if st != nil && *st == minio.LegalHoldEnabled {
			held = append(held, v)
		}
	}
	return held, nil
}

// disposedAt is the record's disposal time ("" if it was not disposed of).
func (s *Store) disposedAt(ctx context.Context, id string) (string, error) {
	var at sql.NullString
	err := s.cat.Reader().QueryRowContext(ctx, `SELECT disposed_at FROM records WHERE id = ?`, id).Scan(&at)
	if err != nil {
		return "", internal("record disposal state", err)
	}
	return at.String, nil
}
