package indexer

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"testing"

	"wenshu/archive"
	"wenshu/identity"
	"wenshu/internal/testenv"
	"wenshu/search"
	"wenshu/templates"
)

func TestMain(m *testing.M) { os.Exit(testenv.RunWithMinIO(m)) }

type fixture struct {
	dir   string
	store *archive.Store
	clerk *identity.User
	appr  *identity.User
	reg   *templates.Registry
}

// newFixture opens a store with no indexing hook, as if the index had
// been down while records were filed.
func newFixture(t *testing.T, hook func(context.Context, *archive.Record, string) error) *fixture {
	t.Helper()
	ctx := context.Background()
	mio := testenv.MinIO(t)
	reg, err := templates.New(templates.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{dir: t.TempDir(), reg: reg}
	f.store, err = archive.New(ctx, archive.Options{DataDir: f.dir, S3Endpoint: mio.Endpoint, S3AccessKey: mio.AccessKey,
		S3SecretKey: mio.SecretKey, Bucket: mio.Bucket(t), Templates: reg, OnFiled: hook,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.store.Close() })
	if _, err := f.store.Identity().AddUnit(ctx, identity.UnitInput{Name: "驻财政厅纪检监察组", Code: "驻财纪", Fonds: "Z109", Org: "CZT"}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []identity.NewUser{
		{Name: "李华", Role: identity.RoleClerk, Unit: "驻财政厅纪检监察组", Clearance: identity.ClearanceSecret},
		{Name: "刘强", Role: identity.RoleApprover, Unit: "驻财政厅纪检监察组", Clearance: identity.ClearanceSecret},
	} {
		res, err := f.store.Identity().AddUser(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if u.Role == identity.RoleClerk {
			f.clerk = res.User
		} else {
			f.appr = res.User
		}
	}
	// The approver is the unit's head (主要负责人), who signs 谈话方案.
	if _, err := f.store.Identity().SetUnitHead(ctx, nil, f.appr.UnitID, f.appr.Name); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) file(t *testing.T, n int) []string {
	t.Helper()
	ctx := context.Background()
	tp, _ := f.reg.Get("talk-plan")
	var ids []string
	for i := 0; i < n; i++ {
		d, err := f.store.CreateDraft(ctx, f.clerk, archive.DraftInput{TemplateID: "talk-plan", Fields: tp.Example(),
			CaseNo: "AJ-1", Persons: []string{"张建国"}, Classification: identity.ClearanceSecret, Retention: archive.Retention10})
		if err != nil {
			t.Fatal(err)
		}
		rec, err := f.store.ApproveDraft(ctx, f.appr, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rec.ID)
	}
	return ids
}

func TestCatchUpAndReindex(t *testing.T) {
	f := newFixture(t, nil)
	ids := f.file(t, 3)
	h, err := Open(f.dir, search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	x := &Indexer{Store: f.store, Index: h.Index}
	v := search.Viewer{Units: []string{UnitKey(1)}, Clearance: "秘密"}
	res, err := h.Index.Search(context.Background(), search.Request{Q: "三重一大"}, v)
	if err != nil || res.Total != 0 {
		t.Fatalf("index not empty before catch-up: %v %v", res, err)
	}
	var calls int
	st, err := x.CatchUp(context.Background(), func(done, total int) { calls++ })
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != 3 || st.Indexed != 3 || calls == 0 {
		t.Errorf("catch-up %+v, progress calls %d", st, calls)
	}
	res, _ = h.Index.Search(context.Background(), search.Request{Q: "三重一大"}, v)
	if res.Total != 3 {
		t.Errorf("after catch-up %d hits, want 3", res.Total)
	}
	// A second catch-up finds nothing to do.
	if st, _ := x.CatchUp(context.Background(), nil); st.Indexed != 0 {
		t.Errorf("second catch-up indexed %d", st.Indexed)
	}
	if st, err := x.Reindex(context.Background(), nil); err != nil || st.Indexed != 3 {
		t.Errorf("reindex %+v %v", st, err)
	}
	for _, id := range ids {
		if ok, _ := h.Index.Has(id); !ok {
			t.Errorf("%s not indexed", id)
		}
	}
}

func TestOnFiledIndexesAtOnce(t *testing.T) {
	dir := t.TempDir()
	h, err := Open(dir, search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	x := &Indexer{Index: h.Index}
	f := newFixture(t, x.OnFiled)
	x.Store = f.store
	ids := f.file(t, 1)
	if ok, _ := h.Index.Has(ids[0]); !ok {
		t.Fatal("filed record not in the index right after approval")
	}
}

func TestOpenTwiceFailsAtOnce(t *testing.T) {
	dir := t.TempDir()
	h, err := Open(dir, search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if _, err := Open(dir, search.Options{}); !errors.Is(err, ErrIndexBusy) {
		t.Fatalf("second open: %v, want ErrIndexBusy", err)
	}
}
