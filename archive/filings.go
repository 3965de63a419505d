package archive

import (
	"context"
	"database/sql"
	"errors"

	"wenshu/identity"
	"wenshu/problem"
)

// FilingStatus is where one filing (归档) stands: the journal state
// (allocated, rendered, signed, filed or void) and, once filed, the
// record. It answers a client that was told 202 (FilingPending).
type FilingStatus struct {
	ID      string  `json:"id"`
	DraftID string  `json:"draft_id,omitempty"`
	Status  string  `json:"status"`
	Record  *Record `json:"record,omitempty"`
	// VoidReason says why a void filing was voided (作废).
	VoidReason string `json:"void_reason,omitempty"`
}

// Open reports whether the filing is still in progress.
func (f *FilingStatus) Open() bool {
	return f.Status == filingAllocated || f.Status == filingRendered || f.Status == filingSigned
}

// Filing returns the state of filing id. Visibility is the draft's
// (identity.CanReadDraft: the draft's unit, a clearance covering its
// classification); a filing of an import follows the record's rule on the
// imported metadata. Anything else is reported as not found.
func (s *Store) Filing(ctx context.Context, u *identity.User, id string) (*FilingStatus, error) {
	if err := identity.RequireUser(u); err != nil {
		return nil, err
	}
	f, err := s.loadFiling(ctx, s.cat.Reader(), id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.NotFound("归档")
	}
	if err != nil {
		return nil, internal("filing", err)
	}
	if !s.canSeeFiling(ctx, u, f) {
		return nil, problem.NotFound("归档")
	}
	out := &FilingStatus{ID: f.ID, DraftID: f.DraftID, Status: f.Status}
	switch f.Status {
	case filingFiled:
		if out.Record, err = s.loadRecord(ctx, s.cat.Reader(), f.ID); err != nil {
			return nil, err
		}
	case filingVoid:
		var reason sql.NullString
		if err := s.cat.Reader().QueryRowContext(ctx, `SELECT void_reason FROM filings WHERE id = ?`, f.ID).Scan(&reason); err != nil {
			return nil, internal("filing", err)
		}
		out.VoidReason = reason.String
	}
	return out, nil
}

// canSeeFiling applies the draft's visibility (or, for an import, the
// record rule on the journaled manifest's unit and classification).
func (s *Store) canSeeFiling(ctx context.Context, u *identity.User, f *filingRow) bool {
	if f.DraftID != "" {
		_, err := s.GetDraft(ctx, u, f.DraftID)
		return err == nil
	}
	if f.Pending == nil {
		return u.IsOperator()
	}
	m, err := decodePending(f.Pending)
	if err != nil {
		return false
	}
	return identity.CanRead(u, m.Unit.ID, m.Classification)
}
