package archive

import (
	"reflect"
	"testing"
)

func TestVerifyReport(t *testing.T) {
	good := &Verification{RecordID: "r1", OK: true, Checks: []Check{{Name: CheckSignature, OK: true, Detail: "SM2 ok"}}}
	bad := &Verification{RecordID: "r2", OK: false, Checks: []Check{
		{Name: CheckSignature, OK: true, Detail: "SM2 ok"}, {Name: CheckRetention, OK: false, Detail: "not locked"}}}
	r := good.Report()
	if !r.OK || r.Result != good || !reflect.DeepEqual(r.Lines, []string{"record r1: ok=true", "  ✓ signature        SM2 ok"}) {
		t.Errorf("good record: %+v", r)
	}
	r = bad.Report()
	if r.OK || len(r.Lines) != 3 || r.Lines[2] != "  ✗ retention        not locked" {
		t.Errorf("failed record: %+v", r)
	}
	b := &BucketVerification{OK: false, Records: 2, Passed: 1, Chain: Check{Name: CheckChain, OK: true, Detail: "1…2"},
		Failed: []Verification{*bad}, Errors: []string{"void marker v1: bad signature"}}
	r = b.Report()
	want := []string{"records 2, passed 1, voids 0, chain true (1…2)", "record r2: ok=false", "  ✓ signature        SM2 ok",
		"  ✗ retention        not locked", "error: void marker v1: bad signature"}
	if r.OK || r.Result != b || !reflect.DeepEqual(r.Lines, want) {
		t.Errorf("bucket: %#v", r)
	}
	if r := (&BucketVerification{OK: true, Records: 1, Passed: 1}).Report(); !r.OK || len(r.Lines) != 1 {
		t.Errorf("clean bucket: %+v", r)
	}
}
