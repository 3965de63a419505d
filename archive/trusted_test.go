package archive

import (
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"
)

// TestRowDiffCoversEveryField: a record that differs from another in any
// one field of Record is reported in exactly that field, so a field added
// to Record cannot escape the comparison with the manifest.
func TestRowDiffCoversEveryField(t *testing.T) {
	base := &Record{Persons: []string{}, Fields: map[string]any{}}
	if d := rowDiff(base, &Record{}); len(d) != 0 {
		t.Fatalf("nil and empty persons/fields differ: %v", d)
	}
	typ := reflect.TypeOf(Record{})
	if len(recordFieldEqual) != typ.NumField() {
		t.Fatalf("recordFieldEqual has %d fields, Record %d", len(recordFieldEqual), typ.NumField())
	}
	for i := 0; i < typ.NumField(); i++ {
		other := *base
		f := reflect.ValueOf(&other).Elem().Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString("x")
		case reflect.Int, reflect.Int64:
			f.SetInt(7)
		case reflect.Slice:
			f.Set(reflect.ValueOf([]string{"某甲"}))
		case reflect.Map:
			f.Set(reflect.ValueOf(map[string]any{"k": "v"}))
		case reflect.Pointer:
			f.Set(reflect.New(f.Type().Elem()))
		case reflect.Struct:
			f.Set(reflect.ValueOf(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)))
		default:
			t.Fatalf("field %s of kind %s not covered by this test", typ.Field(i).Name, f.Kind())
		}
		want := recordFieldName(typ.Field(i))
		if got := rowDiff(base, &other); !slices.Equal(got, []string{want}) {
			t.Errorf("field %s: rowDiff = %v, want [%s]", typ.Field(i).Name, got, want)
		}
	}
}

// TestManifestCacheIsBounded: the least recently used entry goes first.
func TestManifestCacheIsBounded(t *testing.T) {
	var c manifestCache
	key := func(i int) manifestCacheKey { return manifestCacheKey{version: strconv.Itoa(i), sm3: "s"} }
	for i := 0; i < manifestCacheSize+5; i++ {
		c.put(key(i), &Manifest{ChainSeq: int64(i)})
		c.get(key(0)) // keep the first one in use
	}
	if c.len() != manifestCacheSize {
		t.Fatalf("cache holds %d, want %d", c.len(), manifestCacheSize)
	}
	if e := c.get(key(0)); e == nil || e.m.ChainSeq != 0 {
		t.Error("the entry in use was evicted")
	}
	for i := 1; i <= 5; i++ {
		if c.get(key(i)) != nil {
			t.Errorf("entry %d, among the least recently used, is still there", i)
		}
	}
	if c.get(key(6)) == nil || c.get(key(manifestCacheSize+4)) == nil {
		t.Error("a recent entry was evicted")
	}
}
