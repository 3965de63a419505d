package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"wenshu/problem"
)

// UpsertUnit sets the codes of the unit named in.Name, or adds it when no
// unit has that name (the CLI's `unit add`). added says which happened.
// Only a lookup that finds nothing means add: any other lookup failure (a
// catalog that cannot be read) is returned, so an unreadable catalog never
// leads to a second unit of the same name or to a misleading conflict.
// Like AddUnit it is an operator action.
func (d *Directory) UpsertUnit(ctx context.Context, in UnitInput) (u *Unit, added bool, err error) {
	existing, err := d.UnitByName(ctx, strings.TrimSpace(in.Name))
	switch {
	case err == nil:
		u, err = d.UpdateUnit(ctx, existing.ID, in)
		return u, false, err
	case errors.Is(err, problem.ErrNotFound):
		u, err = d.AddUnit(ctx, in)
		return u, err == nil, err
	default:
		return nil, false, fmt.Errorf("identity: upsert unit %q: look it up: %w", strings.TrimSpace(in.Name), err)
	}
}
