package identity

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"wenshu/catalog"
	"wenshu/problem"
)

func TestUpsertUnitAddsThenUpdates(t *testing.T) {
	e := newEnv(t)
	u, added, err := e.s.UpsertUnit(e.ctx, UnitInput{Name: " 驻财政厅纪检监察组 ", Code: "驻财纪", Fonds: "Z110"})
	if err != nil || !added || u.Name != "驻财政厅纪检监察组" || u.Fonds != "Z110" {
		t.Fatalf("first upsert: %+v added=%v %v", u, added, err)
	}
	v, added, err := e.s.UpsertUnit(e.ctx, UnitInput{Name: "驻财政厅纪检监察组", Code: "驻财纪", Fonds: "Z111", Org: "czt"})
	if err != nil || added || v.ID != u.ID || v.Fonds != "Z111" || v.Org != "CZT" {
		t.Fatalf("second upsert: %+v added=%v %v", v, added, err)
	}
	units, err := e.s.ListUnits(e.ctx)
	if err != nil || len(units) != 2 { // newEnv's unit and this one
		t.Fatalf("units after two upserts: %d %v", len(units), err)
	}
	if _, _, err := e.s.UpsertUnit(e.ctx, UnitInput{Name: "某单位", Code: "", Fonds: "Z1"}); !errors.Is(err, problem.ErrInvalid) {
		t.Errorf("upsert without 代字: %v, want ErrInvalid", err)
	}
}

// TestUpsertUnitLookupFailure: when the catalog cannot be read, the lookup
// error comes back and nothing is added, although the writer still works.
// (The old CLI took any lookup error for "no such unit" and added one.)
func TestUpsertUnitLookupFailure(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "catalog.db")
	db, err := catalog.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	d := New(db, Options{})
	if err := db.Reader().Close(); err != nil { // readers gone, the writer stays
		t.Fatal(err)
	}
	_, added, err := d.UpsertUnit(ctx, UnitInput{Name: "驻财政厅纪检监察组", Code: "驻财纪", Fonds: "Z109"})
	if err == nil || added || errors.Is(err, problem.ErrNotFound) {
		t.Fatalf("upsert on an unreadable catalog: added=%v err=%v, want the lookup error", added, err)
	}
	db.Close()
	db, err = catalog.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := New(db, Options{}).UnitByName(ctx, "驻财政厅纪检监察组"); !errors.Is(err, problem.ErrNotFound) {
		t.Fatalf("a unit was added although its lookup failed: %v", err)
	}
}
