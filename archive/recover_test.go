package archive

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
)

// A filing in progress in another live process is left alone by Recover;
// once that process is gone (its instance lock released) it is voided and
// the draft can be approved again.
func TestRecoverLeavesLiveOwnersAlone(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx
	d := e.draft(e.clerk, "notice", "另一进程中的归档")
	o := e.opts
	o.SkipRecover = true
	other, err := New(ctx, o) // a second process on the same data directory
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	reached, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	crashHook = func(p string) {
		if p == "allocated" {
			once.Do(func() { close(reached); <-release })
		}
	}
	defer func() { crashHook = nil }()
	var otherErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, otherErr = other.ApproveDraft(context.Background(), e.approver, d.ID)
	}()
	<-reached

	st, err := e.s.Recover(ctx)
	if err != nil || st.Pending != 1 || st.Voided != 0 {
		t.Fatalf("recover while the owner lives: %+v %v", st, err)
	}
	if got, _ := e.s.GetDraft(ctx, e.clerk, d.ID); got.Status != DraftFiling {
		t.Fatalf("draft is %s while filing", got.Status)
	}

	other.lockFile.Close() // the owner dies: the kernel drops its lock
	st, err = e.s.Recover(ctx)
	if err != nil || st.Voided != 1 {
		t.Fatalf("recover after the owner died: %+v %v", st, err)
	}
	got, _ := e.s.GetDraft(ctx, e.clerk, d.ID)
	if got.Status != DraftOpen || got.ApproverID != 0 {
		t.Fatalf("draft after void: %+v", got)
	}
	close(release)
	<-done
	if otherErr == nil {
		t.Fatal("the dead owner's filing went on after being voided")
	}
	rec, err := e.s.ApproveDraft(ctx, e.approver, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.ItemNo != 2 || !strings.HasSuffix(rec.DocNumber, "〕2号") {
		t.Errorf("re-approval got %s %s, want the next numbers", rec.DocNumber, rec.ArchiveCode)
	}
	voids, _ := e.s.ListVoidNumbers(ctx, e.auditor)
	if len(voids) != 2 || voids[0].DraftID != d.ID {
		t.Errorf("void numbers: %+v", voids)
	}
}

// A failing indexing hook never loses a record; ListRecordsSince finds it.
func TestOnFiledHook(t *testing.T) {
	var mu sync.Mutex
	var texts []string
	e := newEnv(t, func(o *Options) {
		o.OnFiled = func(ctx context.Context, r *Record, text string) error {
			mu.Lock()
			texts = append(texts, text)
			mu.Unlock()
			return errors.New("index is down")
		}
	})
	r1 := e.file("第一件")
	r2 := e.file("第二件")
	if len(texts) != 2 || !strings.Contains(texts[0], r1.DocNumber) {
		t.Fatalf("hook texts: %q", texts)
	}
	recs, err := e.s.ListRecordsSince(e.ctx, 0, 10)
	if err != nil || len(recs) != 2 || recs[0].ID != r1.ID || recs[1].ID != r2.ID {
		t.Fatalf("ListRecordsSince(0): %v %v", recs, err)
	}
	recs, _ = e.s.ListRecordsSince(e.ctx, r1.ChainSeq, 10)
	if len(recs) != 1 || recs[0].ID != r2.ID {
		t.Fatalf("ListRecordsSince(%d): %v", r1.ChainSeq, recs)
	}
}

// The issuer is always the author's unit and the 文号 cannot be hand-written.
func TestDraftIssuerAndNumberFields(t *testing.T) {
	e := newEnv(t)
	d, err := e.s.CreateDraft(e.ctx, e.clerk, DraftInput{TemplateID: "notice", Retention: Retention10,
		Fields: map[string]any{"title": "x", "issuer": "冒名机关"}})
	if err != nil {
		t.Fatal(err)
	}
	if d.Fields["issuer"] != e.unit.Name {
		t.Errorf("issuer %v", d.Fields["issuer"])
	}
	_, err = e.s.CreateDraft(e.ctx, e.clerk, DraftInput{TemplateID: "notice", Retention: Retention10,
		Fields: map[string]any{"title": "x", "doc_number": "驻测纪〔2026〕99号"}})
	wantErr(t, err, ErrInvalid, "assigned_on_filing")
}
