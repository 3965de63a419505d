package main

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportAndVerifyPackage: `wenshu export` writes a unit-year's package;
// `wenshu verify-package` passes it in-process and, as a copied binary in
// another directory with no data directory, no configuration and no
// MinIO, passes it and fails naming the file after each kind of tampering.
func TestExportAndVerifyPackage(t *testing.T) {
	data := t.TempDir()
	sa := storeArgs(t, data)
	with := func(args ...string) []string { return append(args, sa...) }
	unit := "中共某某省纪委监委驻省财政厅纪检监察组"
	if _, errOut, code := cli(t, "", with("unit", "add", "--name", unit, "--code", "驻财纪", "--fonds", "Z109", "--org", "CZT")...); code != 0 {
		t.Fatalf("unit add: %s", errOut)
	}
	src := t.TempDir()
	var files []string
	for _, name := range []string{"谈话函询工作报告.txt", "廉政教育情况报告.txt"} {
		p := filepath.Join(src, name)
		os.WriteFile(p, []byte(name+"：全年开展谈话函询，督促落实三重一大决策制度。"), 0o644)
		files = append(files, p)
	}
	if _, errOut, code := cli(t, "", append(with("import", "--unit", unit, "--kind", "报告", "--year", "2025"), files...)...); code != 0 {
		t.Fatalf("import: %s", errOut)
	}
	report := filepath.Join(src, "four-properties.json")
	os.WriteFile(report, []byte(`{"ok":true}`), 0o644)
	pkg := filepath.Join(t.TempDir(), "移交包.zip")
	out, errOut, code := cli(t, "", with("export", "--unit", unit, "--year", "2025", "--attach", report, "-o", pkg)...)
	if code != 0 || !strings.Contains(out, "2 records") {
		t.Fatalf("export: %d %s %s", code, out, errOut)
	}
	if out, _, code := cli(t, "", "verify-package", pkg); code != 0 || !strings.HasSuffix(out, "ok\n") || !strings.Contains(out, "taken from the package itself") {
		t.Fatalf("verify-package: %d\n%s", code, out)
	}
	pem, _, _ := cli(t, "", with("keys", "export")...)
	pemFile := filepath.Join(t.TempDir(), "pub.pem")
	os.WriteFile(pemFile, []byte(pem), 0o644)
	if out, _, code := cli(t, "", "verify-package", "--pubkey", pemFile, pkg); code != 0 || !strings.Contains(out, "given with --pubkey") {
		t.Fatalf("verify-package --pubkey: %d\n%s", code, out)
	}
	if _, _, code := cli(t, "", with("export", "--unit", unit, "--year", "2024", "-o", pkg+".2")...); code != 1 {
		t.Errorf("export of an empty year: exit %d", code)
	}
	if _, _, code := cli(t, "", "export", "--year", "2025"); code != 2 {
		t.Errorf("export without --unit: exit %d", code)
	}
	if _, _, code := cli(t, "", "verify-package"); code != 2 {
		t.Errorf("verify-package without a file: exit %d", code)
	}
	verifyWithCopiedBinary(t, pkg, pemFile)
}

// verifyWithCopiedBinary builds wenshu, copies it and the package into a
// fresh directory and runs verify-package there with an empty environment.
func verifyWithCopiedBinary(t *testing.T, pkg, pemFile string) {
	t.Helper()
	build := t.TempDir()
	if out, err := exec.Command("go", "build", "-o", filepath.Join(build, "wenshu"), ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir := t.TempDir()
	copyFile(t, filepath.Join(build, "wenshu"), filepath.Join(dir, "wenshu"), 0o755)
	os.RemoveAll(build)
	orig, _ := os.ReadFile(pkg)
	content := "records/Z109-WS·2025-D30-CZT-0002/content.txt"
	run := func(zipBytes []byte, args ...string) (string, int) {
		os.WriteFile(filepath.Join(dir, "pkg.zip"), zipBytes, 0o644)
		cmd := exec.Command("./wenshu", append(append([]string{"verify-package"}, args...), "pkg.zip")...)
		cmd.Dir, cmd.Env = dir, []string{"HOME=" + dir}
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), 0
	}
	if out, code := run(orig); code != 0 || !strings.Contains(out, "\nok\n") {
		t.Fatalf("copied binary on the package: %d\n%s", code, out)
	}
	copyFile(t, pemFile, filepath.Join(dir, "pub.pem"), 0o644)
	if out, code := run(orig, "--pubkey", "pub.pem"); code != 0 {
		t.Fatalf("copied binary with --pubkey: %d\n%s", code, out)
	}
	for name, c := range map[string]struct {
		zip  []byte
		path string
	}{
		"altered byte": {editZip(t, orig, func(n string, d []byte) []byte {
			if n == content {
				d = bytes.Clone(d)
				d[0] ^= 1
			}
			return d
		}), content},
		"removed file": {editZip(t, orig, func(n string, d []byte) []byte {
			if n == content {
				return nil
			}
			return d
		}), content},
		"added file": {editZip(t, orig, nil, "records/Z109-WS·2025-D30-CZT-0001/extra.docx"), "records/Z109-WS·2025-D30-CZT-0001/extra.docx"},
	} {
		out, code := run(c.zip)
		if code != 1 || !strings.Contains(out, c.path+":") || !strings.Contains(out, "FAILED") {
			t.Errorf("copied binary, %s: exit %d, want 1 naming %s:\n%s", name, code, c.path, out)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 {
		t.Errorf("verify-package left files behind: %v", entries)
	}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, mode); err != nil {
		t.Fatal(err)
	}
}

// editZip rewrites a zip: edit returns an entry's new bytes (nil drops
// it); add names entries to append.
func editZip(t *testing.T, pkg []byte, edit func(name string, data []byte) []byte, add ...string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, _ := f.Open()
		d, _ := io.ReadAll(rc)
		rc.Close()
		if edit != nil {
			if d = edit(f.Name, d); d == nil {
				continue
			}
		}
		w, _ := zw.Create(f.Name)
		w.Write(d)
	}
	for _, n := range add {
		w, _ := zw.Create(n)
		w.Write([]byte("added"))
	}
	zw.Close()
	return out.Bytes()
}
