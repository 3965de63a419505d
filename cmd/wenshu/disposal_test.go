package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"wenshu/archive"
)

// The lifecycle from the command line, each step acting as a named user:
// a clerk may not hold, a held record survives its expiry and cannot go
// on a 销毁清册, the list needs the archivist and the unit's head (the same
// person twice is refused), and once executed the record is gone.
func TestLegalHoldAndDisposalCLI(t *testing.T) {
	testRetentionOverride = map[archive.Retention]time.Duration{archive.Retention30: 2 * time.Second}
	t.Cleanup(func() { testRetentionOverride = nil })
	sa := storeArgs(t, t.TempDir())
	with := func(args ...string) []string { return append(args, sa...) }
	must := func(args ...string) string {
		t.Helper()
		out, errOut, code := cli(t, "", with(args...)...)
		if code != 0 {
			t.Fatalf("%v: %d %s %s", args, code, out, errOut)
		}
		return out
	}
	refused := func(want string, args ...string) {
		t.Helper()
		out, errOut, code := cli(t, "", with(args...)...)
		if code == 0 || !strings.Contains(errOut, want) {
			t.Errorf("%v: want refusal %q, got %d %s %s", args, want, code, out, errOut)
		}
	}
	unit := "中共某某市纪委监委驻市档案局纪检监察组"
	must("unit", "add", "--name", unit, "--code", "驻档纪", "--fonds", "Z301", "--org", "DAJ")
	for name, role := range map[string]string{"王档案": "archivist", "李审计": "auditor", "赵主任": "approver", "钱科员": "clerk"} {
		must("user", "add", "--name", name, "--role", role, "--unit", unit)
	}
	ids := map[string]string{}
	for _, title := range []string{"关于会议安排的通知", "关于某案复查的报告"} {
		txt := filepath.Join(t.TempDir(), title+".txt")
		os.WriteFile(txt, []byte(title+"。"), 0o644)
		out, errOut, code := cli(t, "", append(with("import", "--unit", unit, "--kind", "通知", "--year", "2024", "--retention", "D30"), txt)...)
		if code != 0 {
			t.Fatalf("import: %d %s", code, errOut)
		}
		ids[title] = strings.Fields(out)[0]
	}
	gone, held := ids["关于会议安排的通知"], ids["关于某案复查的报告"]

	refused("wrong_role", "legal-hold", "place", "--record", held, "--reason", "案件复查", "--as", "钱科员")
	refused("用户「无名氏」", "legal-hold", "place", "--record", held, "--reason", "案件复查", "--as", "无名氏")
	if out := must("legal-hold", "place", "--record", held, "--reason", "案件复查", "--as", "李审计"); !strings.Contains(out, "in force") {
		t.Errorf("place: %s", out)
	}
	refused("not_expired", "appraise", "--record", gone, "--decision", "销毁", "--reason", "期满", "--as", "王档案")
	time.Sleep(3 * time.Second)

	var exp struct{ Records []archive.ExpiredRecord }
	json.Unmarshal([]byte(must("retention", "expired", "--unit", unit, "--json", "--as", "王档案")), &exp)
	if len(exp.Records) != 2 {
		t.Fatalf("expired: %+v", exp)
	}
	if out := must("retention", "expired", "--unit", "别的单位", "--as", "王档案"); !strings.Contains(out, "无到期档案") {
		t.Errorf("expired of another unit: %s", out)
	}
	if out := must("retention", "expired", "--as", "王档案"); !strings.Contains(out, "保全中") || strings.Count(out, "\n") != 2 {
		t.Errorf("expired text: %s", out)
	}
	refused("bad_decision", "appraise", "--record", gone, "--decision", "保留", "--reason", "期满", "--as", "王档案")
	refused("bad_extend_years", "appraise", "--record", gone, "--decision", "续存", "--reason", "仍有价值", "--as", "王档案")
	for _, id := range []string{gone, held} {
		if out := must("appraise", "--record", id, "--decision", "销毁", "--reason", "无继续保存价值", "--as", "王档案"); !strings.Contains(out, "销毁") {
			t.Errorf("appraise: %s", out)
		}
	}
	refused("legal_hold", "disposal", "propose", "--record", gone, "--record", held, "--as", "王档案")
	var l archive.DisposalList
	json.Unmarshal([]byte(must("disposal", "propose", "--record", gone, "--json", "--as", "王档案")), &l)
	if l.ID == "" || l.Status != "proposed" {
		t.Fatalf("propose: %+v", l)
	}
	refused("wrong_role", "disposal", "approve", "--list", l.ID, "--as", "钱科员")
	must("disposal", "approve", "--list", l.ID, "--as", "王档案")
	refused("already_approved", "disposal", "approve", "--list", l.ID, "--as", "王档案")
	refused("disposal_not_approved", "disposal", "execute", "--list", l.ID, "--as", "王档案")
	if out := must("disposal", "approve", "--list", l.ID, "--as", "赵主任"); !strings.Contains(out, "已批准") || !strings.Contains(out, "单位负责人: 赵主任") {
		t.Errorf("second approval: %s", out)
	}
	out := must("disposal", "execute", "--list", l.ID, "--as", "王档案")
	if !strings.Contains(out, "已销毁") || !strings.Contains(out, "filed as record ") {
		t.Errorf("execute: %s", out)
	}
	refused("disposal_done", "disposal", "execute", "--list", l.ID, "--as", "王档案")
	if out := must("disposal", "show", "--as", "赵主任"); !strings.Contains(out, l.ID) || !strings.Contains(out, gone) {
		t.Errorf("show: %s", out)
	}
	// The held record survived; its hold can be shown and lifted.
	if out := must("legal-hold", "show", "--record", held, "--as", "王档案"); !strings.Contains(out, "案件复查") {
		t.Errorf("show hold: %s", out)
	}
	if out := must("legal-hold", "lift", "--record", held, "--reason", "复查结束", "--as", "李审计"); !strings.Contains(out, "lifted") {
		t.Errorf("lift: %s", out)
	}
	// The disposed record: holds are refused, verify says disposed.
	refused("record_disposed", "legal-hold", "place", "--record", gone, "--reason", "再查", "--as", "李审计")
	if out, errOut, code := cli(t, "", append(with("verify"), gone)...); code != 0 || !strings.Contains(out, "disposed") || !strings.Contains(out, l.ID) {
		t.Errorf("verify a disposed record: %d %s %s", code, out, errOut)
	}
}
