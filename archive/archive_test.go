package archive

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"wenshu/identity"
	"wenshu/problem"
	"wenshu/templates"
)

func TestFilingRoundTrip(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx
	d := e.draft(e.clerk, "notice", "关于开展廉政教育的通知")
	prev, err := e.s.PreviewDraft(ctx, e.clerk, d.ID)
	if err != nil || !strings.Contains(prev.Text, "号") {
		t.Fatalf("preview: %v", err)
	}
	rec, err := e.s.ApproveDraft(ctx, e.approver, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	year := time.Now().In(time.FixedZone("CST", 8*3600)).Year()
	if want := fmt.Sprintf("驻测纪〔%d〕1号", year); rec.DocNumber != want {
		t.Errorf("doc number %q, want %q", rec.DocNumber, want)
	}
	if want := fmt.Sprintf("Z109-WS·%d-D30-JJZ-0001", year); rec.ArchiveCode != want {
		t.Errorf("archive code %q, want %q", rec.ArchiveCode, want)
	}
	if rec.ChainSeq != 1 || rec.PrevManifestSM3 != "" || rec.ApproverName != "王审批" || rec.AuthorName != "张承办" {
		t.Errorf("record: %+v", rec)
	}
	got, err := e.s.GetRecord(ctx, e.auditor, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := recordDiff(got, rec); len(diff) > 0 {
		t.Errorf("GetRecord differs from ApproveDraft's record in %v", diff)
	}
	d2, _ := e.s.GetDraft(ctx, e.clerk, d.ID)
	if d2.Status != DraftFiled || d2.RecordID != rec.ID || d2.ApproverID != e.approver.ID {
		t.Errorf("draft after filing: %+v", d2)
	}

	// The exact stored bytes: the render of the final request.
	c, err := e.s.RecordContent(ctx, e.archiv, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := fakeTemplates{}.Render(renderReqFor(e, d, rec))
	if !bytes.Equal(c.Data, want.Docx) || !c.Intact || c.SM3 != rec.SM3 {
		t.Errorf("content differs from the rendered .docx (intact=%v)", c.Intact)
	}
	text, err := e.s.RecordText(ctx, rec.ID)
	if err != nil || !strings.Contains(text, rec.DocNumber) {
		t.Errorf("RecordText = %q, %v", text, err)
	}

	v, err := e.s.Verify(ctx, e.auditor, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK || len(v.Checks) != 7 {
		t.Fatalf("verify: %+v", v)
	}

	// The manifest in the bucket is canonical, signed and locked.
	cl := e.srv.Client(t)
	obj, err := cl.GetObject(ctx, e.s.Bucket(), rec.ManifestKey, minio.GetObjectOptions{VersionID: rec.ManifestVersion})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.ReadFrom(obj)
	pub, _ := ParsePublicKeyPEM(e.s.PublicKeyPEM())
	m, err := VerifyManifest(buf.Bytes(), pub)
	if err != nil {
		t.Fatal(err)
	}
	if m.Content.VersionID != rec.ContentVersion || m.DocNumber != rec.DocNumber || m.Approver.Name != "王审批" ||
		m.SignerKeyID != e.s.KeyID() || m.Title != "关于开展廉政教育的通知" || len(m.Persons) != 2 {
		t.Errorf("manifest: %+v", m)
	}
	mode, until, err := cl.GetObjectRetention(ctx, e.s.Bucket(), rec.ContentKey, rec.ContentVersion)
	if err != nil || *mode != minio.Compliance || until.Year() != rec.FiledAt.Year()+30 {
		t.Errorf("retention: %v %v %v", mode, until, err)
	}

	ev, err := e.s.ListAudit(ctx, e.auditor, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, x := range ev {
		actions = append(actions, x.Action)
	}
	if got := strings.Join(actions, ","); got != "draft.create,draft.approve,record.file,record.read,record.verify" {
		t.Errorf("audit actions: %s", got)
	}
}

func renderReqFor(e *env, d *Draft, rec *Record) templates.RenderRequest {
	return templates.RenderRequest{TemplateID: d.TemplateID, Fields: d.Fields, IssuerName: e.unit.Name,
		DocNumber: rec.DocNumber, Classification: d.Classification, Date: rec.FiledAt.In(e.s.opts.Location)}
}

func TestApprovalRules(t *testing.T) {
	e := newEnv(t)
	other, err := e.s.Identity().AddUnit(e.ctx, identity.UnitInput{Name: "驻另一部纪检监察组", Code: "驻另纪", Fonds: "Z110", Org: "JJZ"})
	if err != nil {
		t.Fatal(err)
	}
	outsider := e.user("周外单位", identity.RoleApprover, other.Name, identity.ClearanceConfidential)
	approverAuthor := e.user("吴审批", identity.RoleApprover, e.unit.Name, identity.ClearanceConfidential)
	ownDraft := e.draft(approverAuthor, "notice", "审批人自拟")
	returned := e.draft(e.clerk, "notice", "将被退回")
	if _, err := e.s.ReturnDraft(e.ctx, e.approver, returned.ID, "请补充依据"); err != nil {
		t.Fatal(err)
	}
	filed := e.file("已归档")
	secret, err := e.s.CreateDraft(e.ctx, e.clerk, DraftInput{TemplateID: "notice", Fields: map[string]any{"title": "秘密件"},
		Classification: identity.ClearanceSecret, Retention: RetentionPermanent})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		user  *identity.User
		draft string
		kind  error
		code  string
	}{
		{"self approval", approverAuthor, ownDraft.ID, ErrConflict, "self_approval"},
		{"clerk cannot approve", e.clerk2, ownDraft.ID, ErrForbidden, "wrong_role"},
		{"other unit sees nothing", outsider, ownDraft.ID, ErrNotFound, "not_found"},
		{"returned draft", e.approver, returned.ID, ErrConflict, "not_approvable"},
		{"clearance too low", e.appr2, secret.ID, ErrNotFound, "not_found"},
		{"no user", nil, ownDraft.ID, ErrUnauthenticated, "unauthenticated"},
		{"unknown id", e.approver, "nonsense", ErrNotFound, "not_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.s.ApproveDraft(e.ctx, tc.user, tc.draft)
			wantErr(t, err, tc.kind, tc.code)
		})
	}
	// Approving a filed draft again (issue 9: a client that retries after
	// a lost answer) returns its record; nothing new is filed.
	again, err := e.s.Approve(e.ctx, e.approver, filed.DraftID)
	if err != nil || !again.AlreadyFiled || again.Record.ID != filed.ID || again.Record.DocNumber != filed.DocNumber {
		t.Fatalf("approve a filed draft again: %+v %v", again, err)
	}
	if n := e.count("SELECT COUNT(*) FROM filings"); n != 1 {
		t.Errorf("%d filings after approving a filed draft again, want 1", n)
	}
	// The self-approval message is clear Chinese.
	_, err = e.s.ApproveDraft(e.ctx, approverAuthor, ownDraft.ID)
	if ae := err.(*problem.Error); !strings.Contains(ae.Message, "不能签发本人起草") {
		t.Errorf("message %q", ae.Message)
	}
	// Placeholder units cannot file.
	res, err := e.s.Identity().AddUser(e.ctx, identity.NewUser{Name: "新单位承办", Role: identity.RoleClerk, Unit: "新设派驻组", Clearance: identity.ClearanceInternal})
	if err != nil || !res.UnitCreated || !res.Unit.Placeholder {
		t.Fatalf("AddUser with a new unit: %+v %v", res, err)
	}
	newAppr := e.user("新单位审批", identity.RoleApprover, "新设派驻组", identity.ClearanceInternal)
	nd := e.draft(res.User, "notice", "新单位文书")
	_, err = e.s.ApproveDraft(e.ctx, newAppr, nd.ID)
	wantErr(t, err, ErrConflict, "unit_placeholder")
	if _, err := e.s.Identity().UpdateUnit(e.ctx, res.Unit.ID, identity.UnitInput{Name: "新设派驻组", Code: "驻新纪", Fonds: "Z111", Org: ""}); err != nil {
		t.Fatal(err)
	}
	r, err := e.s.ApproveDraft(e.ctx, newAppr, nd.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.ArchiveCode, "Z111-WS·") || !strings.HasSuffix(r.ArchiveCode, "-D30-0001") {
		t.Errorf("archive code without org: %s", r.ArchiveCode)
	}
}

func TestPlanRule(t *testing.T) {
	e := newEnv(t)
	other, _ := e.s.Identity().AddUnit(e.ctx, identity.UnitInput{Name: "驻另一部纪检监察组", Code: "驻另纪", Fonds: "Z110", Org: "JJZ"})
	oc := e.user("外单位承办", identity.RoleClerk, other.Name, identity.ClearanceSecret)
	oa := e.user("外单位审批", identity.RoleApprover, other.Name, identity.ClearanceSecret)
	od := e.draft(oc, "talk-plan", "外单位谈话方案")
	foreignPlan, err := e.s.ApproveDraft(e.ctx, oa, od.ID)
	if err != nil {
		t.Fatal(err)
	}
	notice := e.file("不是谈话方案")
	pd := e.draft(e.clerk, "talk-plan", "关于对某甲同志谈话的方案", "person", "某甲", "method", "函询")
	plan, err := e.s.ApproveDraft(e.ctx, e.approver, pd.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, ref string
		ok        bool
	}{
		{"missing", "", false},
		{"unknown", "01ARZ3NDEKTSV4RRFFQ69G5FAV", false},
		{"not a plan", notice.ID, false},
		{"other unit's plan", foreignPlan.ID, false},
		{"own unit's plan", plan.ID, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := e.draft(e.clerk, "inquiry-letter", "函询通知书", "plan_record_id", tc.ref, "person", "某甲")
			_, err := e.s.ApproveDraft(e.ctx, e.approver, d.ID)
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantErr(t, err, ErrConflict, "plan_required")
			if err.(*problem.Error).Field != "plan_record_id" {
				t.Errorf("field %q", err.(*problem.Error).Field)
			}
		})
	}
}

func TestDraftLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx
	d := e.draft(e.clerk, "notice", "初稿")
	in := DraftInput{TemplateID: "notice", Fields: map[string]any{"title": "二稿"}, Retention: Retention10}
	d2, err := e.s.UpdateDraft(ctx, e.clerk2, d.ID, in) // another clerk of the unit
	if err != nil || d2.Revision != 2 || d2.Fields["title"] != "二稿" || d2.Retention != Retention10 {
		t.Fatalf("update by clerk2: %+v %v", d2, err)
	}
	_, err = e.s.UpdateDraft(ctx, e.approver, d.ID, in)
	wantErr(t, err, ErrForbidden, "not_editor")
	in.Revision = 1
	_, err = e.s.UpdateDraft(ctx, e.clerk, d.ID, in)
	wantErr(t, err, ErrConflict, "draft_changed")
	in.Revision = 0
	in.Fields = map[string]any{"title": "坏标题"}
	var fe fakeFieldError
	if _, err = e.s.UpdateDraft(ctx, e.clerk, d.ID, in); !errors.As(err, &fe) {
		t.Fatalf("template validation error should pass through: %v", err)
	}
	in.Fields = map[string]any{"title": "三稿"}
	in.TemplateID = "nope"
	_, err = e.s.UpdateDraft(ctx, e.clerk, d.ID, in)
	wantErr(t, err, ErrInvalid, "unknown_template")

	_, err = e.s.ReturnDraft(ctx, e.approver, d.ID, "  ")
	wantErr(t, err, ErrInvalid, "bad_reason")
	r, err := e.s.ReturnDraft(ctx, e.approver, d.ID, "依据不足，请补充")
	if err != nil || r.Status != DraftReturned || r.ReturnReason != "依据不足，请补充" {
		t.Fatalf("return: %+v %v", r, err)
	}
	_, err = e.s.ReturnDraft(ctx, e.approver, d.ID, "再退")
	wantErr(t, err, ErrConflict, "not_returnable")
	in.TemplateID = "notice"
	r, err = e.s.UpdateDraft(ctx, e.clerk, d.ID, in)
	if err != nil || r.Status != DraftOpen || r.ReturnReason != "" {
		t.Fatalf("resubmit: %+v %v", r, err)
	}
	list, err := e.s.ListDrafts(ctx, e.clerk2, DraftFilter{Status: DraftOpen})
	if err != nil || len(list) != 1 || list[0].ID != d.ID {
		t.Fatalf("list: %v %v", list, err)
	}
	_, err = e.s.CreateDraft(ctx, e.clerk, DraftInput{TemplateID: "notice", Fields: map[string]any{"title": "x"},
		Classification: identity.ClearanceConfidential, Retention: Retention10})
	wantErr(t, err, ErrForbidden, "above_clearance")
	_, err = e.s.CreateDraft(ctx, e.archiv, DraftInput{TemplateID: "notice", Fields: map[string]any{"title": "x"}, Retention: Retention10})
	wantErr(t, err, ErrForbidden, "wrong_role")
	_, err = e.s.CreateDraft(ctx, e.clerk, DraftInput{TemplateID: "notice", Fields: map[string]any{"title": "x"}, Retention: "D5"})
	wantErr(t, err, ErrInvalid, "bad_retention")
}

func TestFiledVersionsCannotBeDeletedOrOverwritten(t *testing.T) {
	e := newEnv(t)
	rec := e.file("不可篡改")
	cl := e.srv.Client(t)
	ctx := e.ctx
	for _, key := range []struct{ key, ver string }{{rec.ContentKey, rec.ContentVersion}, {rec.ManifestKey, rec.ManifestVersion}} {
		if err := cl.RemoveObject(ctx, e.s.Bucket(), key.key, minio.RemoveObjectOptions{VersionID: key.ver}); err == nil {
			t.Errorf("deleting %s@%s succeeded", key.key, key.ver)
		}
		if err := cl.RemoveObject(ctx, e.s.Bucket(), key.key, minio.RemoveObjectOptions{VersionID: key.ver, GovernanceBypass: true}); err == nil {
			t.Errorf("deleting %s with governance bypass succeeded", key.key)
		}
		shorter := time.Now().Add(24 * time.Hour)
		mode := minio.Compliance
		if err := cl.PutObjectRetention(ctx, e.s.Bucket(), key.key, minio.PutObjectRetentionOptions{
			VersionID: key.ver, Mode: &mode, RetainUntilDate: &shorter, GovernanceBypass: true}); err == nil {
			t.Errorf("shortening the retention of %s succeeded", key.key)
		}
	}
	// Our own writer refuses a second write to a record key (If-None-Match).
	_, err := e.s.putLocked(ctx, e.s.Bucket(), rec.ContentKey, []byte("forged"), "text/plain", time.Now().Add(time.Hour))
	if err == nil {
		t.Error("putLocked over an existing record key succeeded")
	}
	// A plain client can only stack a new version (and a delete marker);
	// the filed version stays, byte for byte, and still verifies.
	if _, err := cl.PutObject(ctx, e.s.Bucket(), rec.ContentKey, strings.NewReader("forged"), 6, minio.PutObjectOptions{}); err != nil {
		t.Fatalf("stacking a version: %v", err)
	}
	if err := cl.RemoveObject(ctx, e.s.Bucket(), rec.ManifestKey, minio.RemoveObjectOptions{}); err != nil {
		t.Fatalf("delete marker: %v", err)
	}
	v, err := e.s.Verify(ctx, e.auditor, rec.ID)
	if err != nil || !v.OK {
		t.Fatalf("verify after overwrite attempts: %+v %v", v, err)
	}
	c, err := e.s.RecordContent(ctx, e.archiv, rec.ID)
	if err != nil || !c.Intact {
		t.Fatalf("content after overwrite attempts: %v", err)
	}
	// A delete marker does not hide the record from the bucket-only check
	// or from a rebuild.
	bv, err := VerifyBucketOnly(ctx, BucketConfig{Endpoint: e.srv.Endpoint, AccessKey: e.srv.AccessKey,
		SecretKey: e.srv.SecretKey, Bucket: e.s.Bucket()}, e.s.PublicKeyPEM(), nil)
	if err != nil || !bv.OK || bv.Records != 1 {
		t.Fatalf("bucket-only verify with a delete marker: %+v %v", bv, err)
	}
	st, err := e.s.Rebuild(ctx, nil)
	if err != nil || st.Records != 1 {
		t.Fatalf("rebuild with a delete marker: %+v %v", st, err)
	}
	// Another key pair verifies nothing.
	other, _ := loadOrCreateKeys(t.TempDir())
	bv, err = VerifyBucketOnly(ctx, BucketConfig{Endpoint: e.srv.Endpoint, AccessKey: e.srv.AccessKey,
		SecretKey: e.srv.SecretKey, Bucket: e.s.Bucket()}, other.pubPEM, nil)
	if err != nil || bv.OK || len(bv.Failed) != 1 || bv.Failed[0].Checks[0].Name != CheckSignature {
		t.Fatalf("bucket-only verify with a foreign key: %+v %v", bv, err)
	}
}

func TestTamperedCopyFailsVerify(t *testing.T) {
	e := newEnv(t)
	rec := e.file("原件")
	e.file("后件") // its prev_manifest_sm3 pins 原件's manifest
	cl := e.srv.Client(t)
	ctx := e.ctx
	get := func(key, ver string) []byte {
		o, err := cl.GetObject(ctx, e.s.Bucket(), key, minio.GetObjectOptions{VersionID: ver})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if _, err := b.ReadFrom(o); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	content := get(rec.ContentKey, rec.ContentVersion)
	manifest := get(rec.ManifestKey, rec.ManifestVersion)
	flip := func(b []byte) []byte { c := bytes.Clone(b); c[len(c)/2] ^= 1; return c }
	for _, tc := range []struct {
		name              string
		content, manifest []byte
		failed            []string
	}{
		{"exact copy without lock", content, manifest, []string{CheckObjects, CheckRetention}},
		{"content changed", flip(content), manifest, []string{CheckObjects, CheckSM3, CheckSHA256, CheckRetention}},
		{"manifest title changed", content, bytes.Replace(manifest, []byte("原件"), []byte("伪件"), 1),
			[]string{CheckObjects, CheckSignature, CheckRetention, CheckChain, CheckCatalog}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bucket := e.srv.Bucket(t)
			if err := cl.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
				t.Fatal(err)
			}
			for _, o := range []struct {
				key  string
				data []byte
			}{{rec.ContentKey, tc.content}, {rec.ManifestKey, tc.manifest}} {
				if _, err := cl.PutObject(ctx, bucket, o.key, bytes.NewReader(o.data), int64(len(o.data)), minio.PutObjectOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			v, err := e.s.VerifyCopy(ctx, e.auditor, rec.ID, bucket)
			if err != nil {
				t.Fatal(err)
			}
			if v.OK || strings.Join(v.Failed(), ",") != strings.Join(tc.failed, ",") {
				t.Fatalf("failed checks %v, want %v; %+v", v.Failed(), tc.failed, v.Checks)
			}
			for _, c := range v.Checks {
				if !c.OK && c.Detail == "" {
					t.Errorf("check %s failed without a reason", c.Name)
				}
			}
		})
	}
	_, err := e.s.VerifyCopy(ctx, e.clerk, rec.ID, e.s.Bucket())
	wantErr(t, err, ErrForbidden, "wrong_role")
}

func TestConcurrentApprovals(t *testing.T) {
	const n = 50
	e := newEnv(t)
	var drafts []*Draft
	for i := 0; i < n; i++ {
		drafts = append(drafts, e.draft(e.clerk, "notice", fmt.Sprintf("并发文书%02d", i)))
	}
	recs := make([]*Record, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range drafts {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			recs[i], errs[i] = e.s.ApproveDraft(context.Background(), e.approver, drafts[i].ID)
		}(i)
	}
	close(start)
	wg.Wait()
	docs, items, seqs := map[string]bool{}, map[string]bool{}, map[int64]bool{}
	for i, r := range recs {
		if errs[i] != nil {
			t.Fatalf("approval %d: %v", i, errs[i])
		}
		docs[r.DocNumber], items[r.ArchiveCode], seqs[r.ChainSeq] = true, true, true
	}
	year := recs[0].Year
	for i := 1; i <= n; i++ {
		if !docs[FormatDocNumber("驻测纪", year, i)] {
			t.Errorf("文号 %d missing", i)
		}
		if !items[FormatArchiveCode("Z109", year, Retention30, "JJZ", i)] {
			t.Errorf("件号 %d missing", i)
		}
		if !seqs[int64(i)] {
			t.Errorf("chain seq %d missing", i)
		}
	}
	if len(docs) != n || len(items) != n {
		t.Fatalf("%d distinct 文号, %d distinct 档号 for %d approvals", len(docs), len(items), n)
	}
	bv, err := e.s.VerifyBucketOnly(e.ctx, nil, nil)
	if err != nil || !bv.OK || bv.Records != n || bv.Passed != n {
		t.Fatalf("bucket-only verify: %+v %v", bv, err)
	}
}

func TestImport(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.MaxImportBytes = 1 << 20 })
	ctx := e.ctx
	docx := makeDocx([]string{"关于某某问题的处理意见", "经研究，决定如下。"})
	base := ImportRequest{Title: "关于某某问题的处理意见", Kind: "意见", Year: 2019, Retention: RetentionPermanent,
		Persons: []string{"某丙"}, CaseNo: "旧案1号"}
	with := func(name string, data []byte, mod ...func(*ImportRequest)) ImportRequest {
		r := base
		r.FileName, r.Data = name, data
		for _, m := range mod {
			m(&r)
		}
		return r
	}
	rec, err := e.s.Import(ctx, e.archiv, with("意见.docx", docx, func(r *ImportRequest) { r.DocNumber = "驻测纪〔2019〕12号" }))
	if err != nil {
		t.Fatal(err)
	}
	if rec.ArchiveCode != "Z109-WS·2019-Y-JJZ-0001" || rec.DocNumber != "驻测纪〔2019〕12号" || rec.Source != SourceImported ||
		rec.ApproverName != "" || rec.OriginalName != "意见.docx" || rec.MediaType != MediaTypeDocx {
		t.Errorf("imported: %+v", rec)
	}
	if text, _ := e.s.RecordText(ctx, rec.ID); !strings.Contains(text, "经研究") {
		t.Errorf("docx text %q", text)
	}
	txt, err := e.s.Import(ctx, e.archiv, with("记录.txt", []byte("谈话记录\n某丙同志如实说明了情况。")))
	if err != nil {
		t.Fatal(err)
	}
	if txt.ArchiveCode != "Z109-WS·2019-Y-JJZ-0002" || txt.DocNumber != "" || !strings.HasSuffix(txt.ContentKey, ".txt") {
		t.Errorf("txt import: %+v", txt)
	}
	for _, r := range []*Record{rec, txt} {
		if v, err := e.s.Verify(ctx, e.auditor, r.ID); err != nil || !v.OK {
			t.Errorf("verify import %s: %+v %v", r.ID, v, err)
		}
	}
	for _, tc := range []struct {
		name string
		req  ImportRequest
		kind error
		code string
	}{
		{"empty", with("a.docx", nil), ErrInvalid, "empty_file"},
		{"pdf", with("a.pdf", []byte("%PDF-1.7")), ErrInvalid, "unsupported_type"},
		{"text named docx", with("a.docx", []byte("not a zip")), ErrInvalid, "invalid_docx"},
		{"zip without document", with("a.docx", zipWith("other.xml")), ErrInvalid, "invalid_docx"},
		{"binary named txt", with("a.txt", []byte{'a', 0, 'b'}), ErrInvalid, "invalid_text"},
		{"latin1 txt", with("a.txt", []byte{0xC9, 'c', 'o', 'l', 'e'}), ErrInvalid, "invalid_text"},
		{"too large", with("a.txt", bytes.Repeat([]byte("字"), 400000)), ErrTooLarge, "too_large"},
		{"no title", with("a.txt", []byte("x"), func(r *ImportRequest) { r.Title = "" }), ErrInvalid, "bad_title"},
		{"future year", with("a.txt", []byte("x"), func(r *ImportRequest) { r.Year = 2999 }), ErrInvalid, "bad_year"},
		{"doc number in use", with("a.txt", []byte("x"), func(r *ImportRequest) { r.DocNumber = "驻测纪〔2019〕12号" }), ErrConflict, "doc_number_taken"},
		{"another unit's doc number", with("a.txt", []byte("x"), func(r *ImportRequest) { r.DocNumber = "驻财纪〔2019〕12号" }), ErrInvalid, "doc_number_other_unit"},
		{"doc number without 机关代字", with("a.txt", []byte("x"), func(r *ImportRequest) { r.DocNumber = "第12号" }), ErrInvalid, "doc_number_other_unit"},
		{"series not Chinese", with("a.txt", []byte("x"), func(r *ImportRequest) { r.DocNumber = "驻测纪A〔2019〕1号" }), ErrInvalid, "doc_number_other_unit"},
		{"above clearance", with("a.txt", []byte("x"), func(r *ImportRequest) { r.Classification = identity.ClearanceConfidential }), ErrForbidden, "above_clearance"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.s.Import(ctx, e.archiv, tc.req)
			wantErr(t, err, tc.kind, tc.code)
		})
	}
	_, err = e.s.Import(ctx, e.clerk, with("a.txt", []byte("x")))
	wantErr(t, err, ErrForbidden, "wrong_role")
	// A generated number that an import already holds is skipped, not duplicated.
	year := time.Now().In(e.s.opts.Location).Year()
	if _, err := e.s.Import(ctx, e.archiv, with("b.txt", []byte("y"), func(r *ImportRequest) {
		r.Year = year
		r.DocNumber = FormatDocNumber("驻测纪", year, 1)
	})); err != nil {
		t.Fatal(err)
	}
	if got := e.file("生成件").DocNumber; got != FormatDocNumber("驻测纪", year, 2) {
		t.Errorf("generated number %s, want the next free one", got)
	}
}

func zipWith(name string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create(name)
	w.Write([]byte("<x/>"))
	zw.Close()
	return buf.Bytes()
}

func TestSupersede(t *testing.T) {
	e := newEnv(t)
	orig := e.file("原文书")
	d, err := e.s.Supersede(e.ctx, e.clerk, orig.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Supersedes != orig.ID || d.Fields["title"] != "原文书" || d.Status != DraftOpen {
		t.Fatalf("correction draft: %+v", d)
	}
	c, err := e.s.Corrections(e.ctx, e.auditor, orig.ID)
	if err != nil || len(c.Drafts) != 1 || c.Drafts[0] != d.ID || len(c.Records) != 0 {
		t.Fatalf("corrections before filing: %+v %v", c, err)
	}
	d.Fields["title"] = "原文书（更正）"
	if _, err := e.s.UpdateDraft(e.ctx, e.clerk, d.ID, DraftInput{TemplateID: d.TemplateID, Fields: d.Fields, Retention: d.Retention}); err != nil {
		t.Fatal(err)
	}
	fixed, err := e.s.ApproveDraft(e.ctx, e.approver, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if fixed.Supersedes != orig.ID {
		t.Errorf("record.Supersedes = %q", fixed.Supersedes)
	}
	c, _ = e.s.Corrections(e.ctx, e.auditor, orig.ID)
	if len(c.Records) != 1 || c.Records[0] != fixed.ID || len(c.Drafts) != 0 {
		t.Errorf("corrections after filing: %+v", c)
	}
	c, _ = e.s.Corrections(e.ctx, e.auditor, fixed.ID)
	if c.Supersedes != orig.ID {
		t.Errorf("backward link: %+v", c)
	}
	// The original is untouched.
	if v, err := e.s.Verify(e.ctx, e.auditor, orig.ID); err != nil || !v.OK {
		t.Errorf("original after correction: %+v %v", v, err)
	}
}

func TestCanonicalManifest(t *testing.T) {
	e := newEnv(t)
	rec := e.file("规范清单 <&> \"引号\"")
	f, err := e.s.loadFiling(e.ctx, e.s.cat.Reader(), rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Sorted keys at every level: a generic re-encoding gives the same bytes.
	var generic any
	dec := json.NewDecoder(bytes.NewReader(f.Manifest))
	dec.UseNumber()
	if err := dec.Decode(&generic); err != nil {
		t.Fatal(err)
	}
	again, _ := canonicalJSON(generic)
	if !bytes.Equal(again, f.Manifest) {
		t.Fatalf("manifest is not in sorted-key canonical form:\n%s\n%s", f.Manifest, again)
	}
	// Blanking the signature textually gives the signed bytes.
	m, _ := ParseManifest(f.Manifest)
	signed, _ := m.SigningBytes()
	blanked := strings.Replace(string(f.Manifest), `"signature":"`+m.Signature+`"`, `"signature":""`, 1)
	if blanked != string(signed) {
		t.Fatal("textual blanking does not give the signing bytes")
	}
	// Any added member is rejected.
	extra := strings.Replace(string(f.Manifest), `{"approver"`, `{"aaa":1,"approver"`, 1)
	pub, _ := ParsePublicKeyPEM(e.s.PublicKeyPEM())
	if _, err := VerifyManifest([]byte(extra), pub); err == nil {
		t.Fatal("a manifest with an extra member verified")
	}
	// The key survives a restart; the key id is SM3 of the public key.
	id := e.s.KeyID()
	e.reopen()
	if e.s.KeyID() != id || len(id) != 32 {
		t.Fatalf("key id %q after reopen, was %q", e.s.KeyID(), id)
	}
}
