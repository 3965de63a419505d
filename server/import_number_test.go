package server

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http/httptest"
	"testing"
	"time"

	"wenshu/identity"
)

// importAs posts one .txt import through the HTTP route as the user behind
// token, with the given 文号.
func (e *env) importAs(t *testing.T, who, docNumber string) *resp {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "旧文.txt")
	fw.Write([]byte("关于某某问题的处理意见。"))
	for k, v := range map[string]string{"title": "关于某某问题的处理意见", "kind": "意见", "year": "2024",
		"classification": "内部", "retention": "D30", "doc_number": docNumber} {
		mw.WriteField(k, v)
	}
	mw.Close()
	req := httptest.NewRequest("POST", "/api/v1/records/import", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+e.tokens[who])
	return e.send(t, req)
}

// fileNumbered files an integrity reply (a numbered template of the main
// series) drafted by clerk and approved by approver, and returns its 文号.
func (e *env) fileNumbered(t *testing.T, clerk, approver string) string {
	t.Helper()
	fields := withoutNumber(example(t, e.reg, "integrity-reply"))
	fields["classification"] = "秘密" // as draftBody files it
	r := e.do(t, clerk, "POST", "/api/v1/drafts", draftBody(fields, "integrity-reply"))
	if r.status != 201 {
		t.Fatalf("draft: %d %s", r.status, r.body)
	}
	id := jsonField(t, r.body, "id")
	r = e.do(t, approver, "POST", "/api/v1/drafts/"+id+"/approve", nil)
	if r.status != 201 {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}
	return jsonField(t, r.body, "doc_number")
}

// TestImportNumbersBelongToTheirUnit: an archivist of unit A who imports
// with unit B's 文号 gets the same 422 whether B used the number or not,
// and B's sequence goes on as if nothing happened; A's own numbers (main
// series and 函 series) import, and A's own used number is a 409.
func TestImportNumbersBelongToTheirUnit(t *testing.T) {
	e := newEnv(t)
	year := time.Now().Year()
	used := e.fileNumbered(t, "other", "otherApprover")
	if want := fmt.Sprintf("驻教纪〔%d〕1号", year); used != want {
		t.Fatalf("unit B's first 文号 %q, want %q", used, want)
	}
	unused := fmt.Sprintf("驻教纪〔%d〕2号", year)
	var bodies []string
	// A unit whose code extends A's: its numbers read like an A series.
	if _, err := e.store.Identity().AddUnit(context.Background(), identity.UnitInput{Name: "中共某某省纪委监委驻省财政厅纪检监察组监察室",
		Code: "驻财纪监", Fonds: "Z111"}); err != nil {
		t.Fatal(err)
	}
	for _, num := range []string{used, unused, fmt.Sprintf("驻教纪函〔%d〕2号", year), fmt.Sprintf("驻财纪监〔%d〕1号", year), "第2号"} {
		r := e.importAs(t, "archivist", num)
		if r.status != 422 || r.errorsByField(t)["doc_number"] != "doc_number_other_unit" {
			t.Errorf("import with %s: %d %s, want 422 doc_number_other_unit", num, r.status, r.body)
		}
		bodies = append(bodies, string(r.body))
	}
	if bodies[0] != bodies[1] {
		t.Errorf("the answers tell a used number from an unused one:\n%s\n%s", bodies[0], bodies[1])
	}
	if got := e.fileNumbered(t, "other", "otherApprover"); got != unused {
		t.Errorf("unit B's next 文号 %q, want %q (its sequence was touched)", got, unused)
	}

	own := fmt.Sprintf("驻财纪〔%d〕7号", year)
	ownLetter := fmt.Sprintf("驻财纪函〔%d〕6号", year)
	for _, num := range []string{own, ownLetter} {
		if r := e.importAs(t, "archivist", num); r.status != 201 || jsonField(t, r.body, "doc_number") != num {
			t.Errorf("import with own %s: %d %s", num, r.status, r.body)
		}
		r := e.importAs(t, "archivist", num)
		if r.status != 409 || r.errorCode(t) != "doc_number_taken" {
			t.Errorf("own used %s again: %d %s, want 409 doc_number_taken", num, r.status, r.body)
		}
	}
}
