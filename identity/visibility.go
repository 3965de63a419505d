package identity

import (
	"context"
	"slices"
)

// The one visibility rule (who may see which unit at which clearance).
// archive applies it to every record and draft it returns, and search
// hits are filtered by VisibleUnits and ClearanceRank the same way.

// CanRead reports whether u may see a record of the given unit and
// classification: the caller belongs to that unit (or, as an archivist or
// auditor, is granted it) and its clearance is at least the document's
// classification. Operators read everything. Disabled users read nothing.
func CanRead(u *User, unitID int64, classification string) bool {
	return canSee(u, unitID, classification, true)
}

// CanReadDraft is CanRead for drafts: grants do not extend to drafts,
// which stay within their own unit until filed.
func CanReadDraft(u *User, unitID int64, classification string) bool {
	return canSee(u, unitID, classification, false)
}

// canSee is the rule itself: the unit (own, or granted when grants apply)
// and a clearance at least the document's classification.
func canSee(u *User, unitID int64, classification string, grants bool) bool {
	if u == nil || u.Disabled {
		return false
	}
	if u.system {
		return true
	}
	own := u.UnitID == unitID || (grants && mayUseGrants(u) && slices.Contains(u.Grants, unitID))
	return own && ClearanceRank(u.Clearance) >= ClearanceRank(classification) && ClearanceRank(classification) >= 0
}

// mayUseGrants reports whether u's role reads granted units.
func mayUseGrants(u *User) bool {
	return u.Role == RoleArchivist || u.Role == RoleAuditor
}

// VisibleUnits lists the units whose records u may see: its own, plus the
// granted ones for archivists and auditors. Operators see every unit.
func (d *Directory) VisibleUnits(ctx context.Context, u *User) ([]int64, error) {
	if err := RequireUser(u); err != nil {
		return nil, err
	}
	if u.IsOperator() {
		units, err := d.ListUnits(ctx)
		if err != nil {
			return nil, err
		}
		ids := make([]int64, 0, len(units))
		for _, n := range units {
			ids = append(ids, n.ID)
		}
		return ids, nil
	}
	ids := []int64{u.UnitID}
	if mayUseGrants(u) {
		for _, g := range u.Grants {
			if !slices.Contains(ids, g) {
				ids = append(ids, g)
			}
		}
	}
	return ids, nil
}
