package archive

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"wenshu/identity"
	"wenshu/templates"
)

// Holiday tables an admin adds at run time (next year's State Council
// notice) are validated, kept in DataDir/holidays (so that they survive a
// restart: LoadHolidayTables reads them back) and added to the registry's
// calendar, which the documents and the deadlines share.

// holidaySink is what adds a table to the calendar (*templates.Registry).
type holidaySink interface{ AddHolidayTable(data []byte) error }

func (s *Store) holidayDir() string { return filepath.Join(s.opts.DataDir, "holidays") }

// AddHolidayTable validates data (the shape of holidays-cn.json), stores
// it and adds its years to the calendar. Admins only; faults are
// templates.FieldErrors (422 naming each one, year_exists for a year the
// calendar has). Audited as calendar.add.
func (s *Store) AddHolidayTable(ctx context.Context, u *identity.User, data []byte) error {
	if err := identity.RequireRole(u, identity.RoleAdmin); err != nil {
		return err
	}
	sink, ok := s.opts.Templates.(holidaySink)
	if !ok {
		return errors.New("archive: the template registry takes no holiday tables")
	}
	if err := templates.ValidateHolidayTable(data); err != nil {
		return err
	}
	if err := os.MkdirAll(s.holidayDir(), 0o700); err != nil {
		return internal("holiday table", err)
	}
	sum := sha256.Sum256(data)
	path := filepath.Join(s.holidayDir(), hex.EncodeToString(sum[:8])+".json")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return internal("holiday table", err)
	}
	if err := sink.AddHolidayTable(data); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return internal("holiday table", err)
	}
	if err := s.auditNow(ctx, u, "calendar.add", "", "", fmt.Sprintf("节假日安排表 %x", sum[:8])); err != nil {
		return err
	}
	return s.recomputeProvisional(ctx, u)
}

// LoadHolidayTables adds the tables stored by AddHolidayTable to the
// registry's calendar (at start). A table whose year the calendar already
// has (a newer built-in table) is skipped with a log line.
func (s *Store) LoadHolidayTables() error {
	sink, ok := s.opts.Templates.(holidaySink)
	if !ok {
		return nil
	}
	files, err := filepath.Glob(filepath.Join(s.holidayDir(), "*.json"))
	if err != nil {
		return err
	}
	sort.Strings(files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("archive: holiday table %s: %w", f, err)
		}
		if err := sink.AddHolidayTable(data); err != nil {
			s.log.Warn("stored holiday table not added", "file", f, "err", err)
		}
	}
	return nil
}
