package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// keys rotate: a record imported before the rotation still verifies, alone
// and from the bucket with the exported keyring; the export holds both keys.
func TestKeysRotate(t *testing.T) {
	sa := storeArgs(t, t.TempDir())
	with := func(args ...string) []string { return append(args, sa...) }
	unit := "中共某某省纪委监委驻省财政厅纪检监察组"
	if out, _, code := cli(t, "", with("unit", "add", "--name", unit, "--code", "驻财纪", "--fonds", "Z109", "--org", "CZT")...); code != 0 {
		t.Fatalf("unit add: %d %s", code, out)
	}
	txt := filepath.Join(t.TempDir(), "关于轮换前工作的报告.txt")
	os.WriteFile(txt, []byte("轮换前归档的报告。"), 0o644)
	out, errOut, code := cli(t, "", append(with("import", "--unit", unit, "--kind", "报告", "--year", "2024"), txt)...)
	if code != 0 {
		t.Fatalf("import: %d %s", code, errOut)
	}
	id := strings.Fields(out)[0]
	if out, errOut, code := cli(t, "", with("audit", "checkpoint")...); code != 0 {
		t.Fatalf("audit checkpoint before rotation: %d %s %s", code, out, errOut)
	}
	out, errOut, code = cli(t, "", with("keys", "rotate")...)
	if code != 0 || !strings.HasPrefix(out, "rotated: key ") {
		t.Fatalf("keys rotate: %d %s %s", code, out, errOut)
	}
	if out, _, code := cli(t, "", append(with("verify"), id)...); code != 0 || strings.Contains(out, "✗") {
		t.Errorf("verify after rotation: %d %s", code, out)
	}
	pem, _, code := cli(t, "", with("keys", "export")...)
	if code != 0 || strings.Count(pem, "BEGIN PUBLIC KEY") != 2 || strings.Count(pem, "Valid-From:") != 1 {
		t.Fatalf("keys export: %d %s", code, pem)
	}
	pemFile := filepath.Join(t.TempDir(), "ring.pem")
	os.WriteFile(pemFile, []byte(pem), 0o644)
	out, _, code = cli(t, "", with("verify", "--bucket-only", "--json", "--pubkey", pemFile)...)
	var bv struct {
		OK              bool
		Records, Passed int
	}
	json.Unmarshal([]byte(out), &bv)
	if code != 0 || !bv.OK || bv.Passed != 1 {
		t.Errorf("verify --bucket-only after rotation: %d %s", code, out)
	}
	// The 四性检测 report of the record signed before the rotation passes,
	// alone and as the unit's year, and can be kept.
	if out, errOut, code := cli(t, "", append(with("four-properties"), id)...); code != 0 || !strings.Contains(out, "[真实性] 电子签名（SM2）有效：pass") {
		t.Errorf("four-properties: %d %s %s", code, out, errOut)
	}
	if out, errOut, code := cli(t, "", with("four-properties", "--unit", unit, "--year", "2024", "--keep")...); code != 0 || !strings.Contains(out, "kept as record ") {
		t.Errorf("four-properties --unit --keep: %d %s %s", code, out, errOut)
	}
	// Audit checkpoints signed before and after the rotation both verify.
	if out, errOut, code := cli(t, "", with("audit", "checkpoint")...); code != 0 {
		t.Fatalf("audit checkpoint after rotation: %d %s %s", code, out, errOut)
	}
	if out, _, code := cli(t, "", with("audit", "verify")...); code != 0 || !strings.Contains(out, "ok") {
		t.Errorf("audit verify after rotation: %d %s", code, out)
	}
	if out, _, code := cli(t, "", with("audit", "verify", "--bucket-only", "--pubkey", pemFile)...); code != 0 {
		t.Errorf("audit verify --bucket-only after rotation: %d %s", code, out)
	}
}
