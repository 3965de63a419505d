package archive

import (
	"reflect"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
)

func TestFourPropertiesReport(t *testing.T) {
	e := newEnv(t)
	a, b := e.file("关于开展廉政教育的通知"), e.file("关于报送年度总结的通知")
	rep, err := e.s.RecordFourProperties(e.ctx, e.auditor, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	groups := map[string]int{}
	for _, it := range rep.Items {
		groups[it.Group]++
		if it.Clause == "" || !strings.HasPrefix(it.Clause, "DA/T 70-2018") || it.Reason == "" {
			t.Errorf("item without clause or reason: %+v", it)
		}
		if it.Result != ResultPass {
			t.Errorf("item %s: %s %s", it.Code, it.Result, it.Reason)
		}
	}
	if rep.Result != ResultPass || len(groups) != 4 {
		t.Fatalf("report %s, groups %v", rep.Result, groups)
	}

	// A held record whose hold the bucket lost fails 安全性.
	if _, err := e.s.PlaceLegalHold(e.ctx, e.archiv, b.ID, "复查"); err != nil {
		t.Fatal(err)
	}
	off := minio.LegalHoldDisabled
	e.s.s3.PutObjectLegalHold(e.ctx, e.s.bucket, b.ContentKey, minio.PutObjectLegalHoldOptions{VersionID: b.ContentVersion, Status: &off})
	rep, _ = e.s.RecordFourProperties(e.ctx, e.auditor, b.ID)
	if rep.Result != ResultFail || failed(rep) != "security.legal_hold" {
		t.Fatalf("lost hold: %s %s", rep.Result, failed(rep))
	}

	batch, err := e.s.BatchFourProperties(e.ctx, e.auditor, e.unit.Name, a.Year)
	if err != nil || len(batch.Records) != 2 || batch.Result != ResultFail {
		t.Fatalf("batch: %v %+v", err, batch)
	}
	_, err = e.s.BatchFourProperties(e.ctx, e.clerk, e.unit.Name, a.Year)
	wantErr(t, err, ErrForbidden, "")
	kept, err := e.s.KeepFourPropertiesReport(e.ctx, e.auditor, batch)
	if err != nil || kept.Kind != KindFourPropReport || kept.Retention != RetentionPermanent {
		t.Fatalf("keep: %v %+v", err, kept)
	}
	if v, err := e.s.Verify(e.ctx, e.auditor, kept.ID); err != nil || !v.OK {
		t.Fatalf("kept report verify: %v %+v", err, v)
	}
}

func failed(rep *FourPropReport) string {
	var out []string
	for _, it := range rep.Items {
		if it.Result != ResultPass {
			out = append(out, it.Code)
		}
	}
	return strings.Join(out, ",")
}

func TestMissingInts(t *testing.T) {
	for _, c := range []struct{ in, want []int }{
		{nil, nil}, {[]int{1, 2, 3}, nil}, {[]int{2, 3, 5}, []int{1, 4}}, {[]int{1, 1, 3}, []int{2}},
	} {
		if got := missingInts(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("missingInts(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}
