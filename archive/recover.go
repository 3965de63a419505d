package archive

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"time"
	"wenshu/catalog"
	"wenshu/identity"
)

// RecoverStats counts what Recover did.
type RecoverStats struct {
	Completed int // interrupted filings completed (objects found and verified, or manifest re-stored)
	Voided    int // filings whose content never reached the bucket: numbers void, drafts back to draft
	Pending   int // left alone: owned by a live process, or storage unreachable
}

// Recover finishes what crashed processes left half done. For every filing
// in the journal that is not filed or void and whose owner is dead (its
// instance lock is free; in this process, not in progress):
//
//   - allocated (numbers taken, nothing stored): void the numbers;
//   - rendered (digests journaled, content maybe stored): if a stored
//     version of the content key has exactly the journaled SM3, chain, sign,
//     store the manifest and catalogue it; if no version exists, void; if
//     only different bytes exist, void and say so;
//   - signed (manifest journaled, maybe stored): store the manifest if no
//     version holds these bytes, then catalogue. A signed filing is never
//     voided — it holds a place in the chain.
//
// Voiding writes a signed marker voids/<year>/<id>.json to the bucket first
// (so a rebuilt catalog knows the number was used), then marks the filing
// void, lists its numbers in void_numbers and returns the draft to draft
// (approver cleared) so it can be approved again under new numbers.
// Storage errors leave a filing pending for the next Recover; an outage
// (isUnavailable) ends the pass, leaving the rest pending too.
func (s *Store) Recover(ctx context.Context) (RecoverStats, error) {
	s.recoverMu.Lock()
	defer s.recoverMu.Unlock()
	var st RecoverStats
	rows, err := s.cat.Reader().QueryContext(ctx, `SELECT id, owner FROM filings
		WHERE status IN ('allocated', 'rendered', 'signed') ORDER BY chain_seq IS NULL, chain_seq, created_at`)
	if err != nil {
		return st, internal("recover", err)
	}
	type item struct{ id, owner string }
	var items []item
	for rows.Next() {
		var it item
		if err := rows.Scan(&it.id, &it.owner); err != nil {
			rows.Close()
			return st, internal("recover", err)
		}
		items = append(items, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, internal("recover", err)
	}

	locks := map[string]*os.File{}
	alive := map[string]bool{}
	defer s.releaseOwnerLocks(locks)
	var errs []error
	for i, it := range items {
		if it.owner == s.instance {
			if s.isActive(it.id) {
				st.Pending++
				continue
			}
		} else if _, held := locks[it.owner]; !held {
			if alive[it.owner] {
				st.Pending++
				continue
			}
			f, ok, err := s.lockOwner(it.owner)
			if err != nil {
				errs = append(errs, err)
				st.Pending++
				continue
			}
			if !ok {
				alive[it.owner] = true
				st.Pending++
				continue
			}
			locks[it.owner] = f
		}
		outcome, err := s.recoverOne(ctx, it.id)
		switch {
		case err != nil && isUnavailable(err):
			// Storage is down: the rest would only wait for it too.
			st.Pending += len(items) - i
			errs = append(errs, fmt.Errorf("filing %s and %d more: %w", it.id, len(items)-i-1, err))
		case err != nil:
			st.Pending++
			errs = append(errs, fmt.Errorf("filing %s: %w", it.id, err))
		case outcome == filingFiled:
			st.Completed++
		case outcome == filingVoid:
			st.Voided++
		}
		if err != nil && isUnavailable(err) {
			break
		}
	}
	if len(errs) > 0 {
		return st, internal("recover", errors.Join(errs...))
	}
	return st, nil
}

// releaseOwnerLocks lets go of the locks of dead instances that Recover
// took, removing a lock file once no unfinished filing names its owner.
// If that cannot be counted the file stays (a later Recover removes it).
func (s *Store) releaseOwnerLocks(locks map[string]*os.File) {
	for owner, f := range locks {
		var n int
		err := s.cat.Reader().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM filings
			WHERE owner = ? AND status IN ('allocated', 'rendered', 'signed')`, owner).Scan(&n)
		switch {
		case err != nil:
			s.log.Warn("keeping the lock file of a dead instance", "owner", owner, "err", err)
		case n == 0:
			os.Remove(f.Name())
		}
		f.Close()
	}
}

// recoverOne drives one filing to filed or void, as described at Recover.
// It returns the final state ("" if it was already final).
func (s *Store) recoverOne(ctx context.Context, id string) (string, error) {
	f, err := s.loadFiling(ctx, s.cat.Reader(), id)
	if err != nil {
		return "", err
	}
	switch f.Status {
	case filingAllocated:
		return filingVoid, s.voidFiling(ctx, f, "归档中断：编号已分配，正文尚未生成")
	case filingRendered:
		vs, err := s.objectVersions(ctx, s.bucket, f.ContentKey)
		if err != nil {
			return "", err
		}
		for _, v := range vs {
			b, err := s.getObject(ctx, s.bucket, f.ContentKey, v.VersionID)
			if err != nil {
				return "", err
			}
			if sm3Hex(b) == f.ContentSM3 && sha256Hex(b) == f.ContentSHA256 {
				rec, err := s.finish(ctx, f, v.VersionID)
				if err != nil {
					return "", err
				}
				s.indexRecovered(ctx, rec)
				return filingFiled, nil
			}
		}
		reason := "归档中断：正文未写入存储"
		if len(vs) > 0 {
			reason = "归档中断：存储中的正文与日志摘要不符"
		}
		return filingVoid, s.voidFiling(ctx, f, reason)
	case filingSigned:
		rec, err := s.finishSigned(ctx, f)
		if err != nil {
			return "", err
		}
		s.indexRecovered(ctx, rec)
		return filingFiled, nil
	}
	return "", nil
}

func (s *Store) indexRecovered(ctx context.Context, rec *Record) {
	if s.opts.OnFiled == nil {
		return
	}
	text, err := s.RecordText(ctx, rec.ID)
	if err != nil {
		s.log.Error("text of recovered record", "record", rec.ID, "err", err)
		return
	}
	s.afterFiled(ctx, rec, text)
}

// voidNow voids a filing of this process after a failure that happened
// before anything was stored (a render error). If the bucket cannot take
// the marker, Recover retries later.
func (s *Store) voidNow(ctx context.Context, f *filingRow, reason string) {
	if err := s.voidFiling(context.WithoutCancel(ctx), f, reason); err != nil {
		s.log.Error("voiding filing failed; left for Recover", "record", f.ID, "err", err)
	}
}

func (s *Store) voidFiling(ctx context.Context, f *filingRow, reason string) error {
	now := s.now()
	vm := &VoidMarker{
		ArchiveCode: f.alloc.ArchiveCode, ContentKey: f.ContentKey, DocAgency: f.alloc.DocAgency, DocNumber: f.alloc.DocNumber, DocSeq: f.alloc.DocSeq,
		DraftID: f.DraftID, FilingID: f.ID, Fonds: f.alloc.Fonds, Format: VoidMarkerFormat, ItemNo: f.alloc.ItemNo,
		Org: f.alloc.Org, Reason: reason, Retention: f.alloc.Retention, Source: f.Source,
		VoidedAt: catalog.FormatTime(now), Year: f.alloc.Year,
	}
	key := voidKey(f.alloc.Year, f.ID)
	vs, err := s.objectVersions(ctx, s.bucket, key)
	if err != nil {
		return err
	}
	if len(vs) == 0 {
		b, err := s.seal(vm)
		if err != nil {
			return err
		}
		if _, err := s.putLocked(ctx, s.bucket, key, b, "application/json", s.retainUntil(now, f.alloc.Retention)); err != nil && !isPreconditionFailed(err) {
			return err
		}
	} else if b, err := s.getObject(ctx, s.bucket, key, vs[0].VersionID); err == nil {
		// A marker from an earlier, interrupted void: keep its wording and time.
		if old, err := parseVoidMarker(b); err == nil {
			vm = old
		}
	} else {
		return err
	}
	s.crashPoint("void_marker_stored")
	return s.cat.Tx(ctx, func(tx *sql.Tx) error {
		// An imported record's 文号 is not ours: free it so the import
		// can be retried. Our own numbers stay taken for ever.
		res, err := tx.ExecContext(ctx, `UPDATE filings SET status = 'void', void_reason = ?, updated_at = ?,
			doc_number = CASE WHEN source = 'imported' THEN NULL ELSE doc_number END
			WHERE id = ? AND status IN ('allocated', 'rendered')`, vm.Reason, catalog.FormatTime(now), f.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("filing %s can no longer be voided", f.ID)
		}
		if err := insertVoidNumbers(ctx, tx, vm); err != nil {
			return err
		}
		if f.DraftID != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE drafts SET status = 'draft', approver_id = NULL, revision = revision + 1,
				updated_at = ? WHERE id = ? AND status = 'filing'`, catalog.FormatTime(now), f.DraftID); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, nil, "filing.void", "", f.DraftID, fmt.Sprintf("%s %s 作废：%s", f.alloc.DocNumber, f.alloc.ArchiveCode, vm.Reason))
	})
}

func insertVoidNumbers(ctx context.Context, tx *sql.Tx, vm *VoidMarker) error {
	ins := func(kind, number string) error {
		if number == "" {
			return nil
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO void_numbers (filing_id, kind, number, draft_id, reason, voided_at)
			VALUES (?, ?, ?, ?, ?, ?)`, vm.FilingID, kind, number, catalog.NullString(vm.DraftID), vm.Reason, vm.VoidedAt)
		return err
	}
	if vm.Source == SourceGenerated {
		if err := ins("doc_number", vm.DocNumber); err != nil {
			return err
		}
	}
	return ins("archive_code", vm.ArchiveCode)
}

// VoidNumber is a number handed out and never filed (作废).
type VoidNumber struct {
	FilingID string    `json:"filing_id"`
	Kind     string    `json:"kind"` // doc_number | archive_code
	Number   string    `json:"number"`
	DraftID  string    `json:"draft_id,omitempty"`
	Reason   string    `json:"reason"`
	VoidedAt time.Time `json:"voided_at"`
}

// ListVoidNumbers returns every void number, oldest first. For archivists
// and auditors (and operators): the register that explains each gap.
func (s *Store) ListVoidNumbers(ctx context.Context, u *identity.User) ([]VoidNumber, error) {
	if err := identity.RequireRole(u, identity.RoleArchivist, identity.RoleAuditor, identity.RoleAdmin); err != nil {
		return nil, err
	}
	rows, err := s.cat.Reader().QueryContext(ctx, `SELECT filing_id, kind, number, draft_id, reason, voided_at FROM void_numbers ORDER BY id`)
	if err != nil {
		return nil, internal("void numbers", err)
	}
	defer rows.Close()
	var out []VoidNumber
	for rows.Next() {
		var v VoidNumber
		var draft sql.NullString
		var at string
		if err := rows.Scan(&v.FilingID, &v.Kind, &v.Number, &draft, &v.Reason, &at); err != nil {
			return nil, internal("void numbers", err)
		}
		v.DraftID, v.VoidedAt = draft.String, catalog.ParseTime(at)
		out = append(out, v)
	}
	return out, internal("void numbers", rows.Err())
}
