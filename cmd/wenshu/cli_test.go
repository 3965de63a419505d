package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"wenshu/internal/gbcheck"
	"wenshu/internal/indexer"
	"wenshu/internal/testenv"
	"wenshu/search"
)

func TestMain(m *testing.M) { os.Exit(testenv.RunWithMinIO(m)) }

// cli runs wenshu in-process with the given environment.
func cli(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &env{stdout: &out, stderr: &errb, stdin: strings.NewReader(stdin)})
	return out.String(), errb.String(), code
}

func repoFile(t *testing.T, rel string) string {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, rel)
}

func TestTemplatesAndRender(t *testing.T) {
	out, _, code := cli(t, "", "templates")
	if code != 0 || !strings.Contains(out, "inquiry-letter") || !strings.Contains(out, "函询通知书") || strings.Count(out, "\n") != 7 {
		t.Fatalf("templates: %d %q", code, out)
	}
	dir := t.TempDir()
	for _, id := range []string{"talk-plan", "inquiry-letter", "supervision-suggestion", "integrity-reply"} {
		dst := filepath.Join(dir, id+".docx")
		_, errOut, code := cli(t, "", "render", "-t", id, "-i", repoFile(t, "templates/builtin/"+id+"/example.json"), "-o", dst)
		if code != 0 {
			t.Fatalf("render %s: %d %s", id, code, errOut)
		}
		b, err := os.ReadFile(dst)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := gbcheck.Check(b)
		if err != nil || !rep.OK() {
			t.Errorf("%s: %v %v", id, err, rep.Problems)
		}
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"issuer": "x", "doc_number": "x[2026]1号"}`), 0o644)
	_, errOut, code := cli(t, "", "render", "-t", "inquiry-letter", "-i", bad, "-o", filepath.Join(dir, "bad.docx"))
	if code != 1 || !strings.Contains(errOut, "doc_number") || !strings.Contains(errOut, "bad_doc_number") {
		t.Errorf("bad input: %d %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.docx")); err == nil {
		t.Error("bad input wrote a file")
	}
	if _, _, code := cli(t, "", "render", "-t", "nope", "-i", bad, "-o", filepath.Join(dir, "x.docx")); code != 1 {
		t.Errorf("unknown template: exit %d", code)
	}
	if _, _, code := cli(t, "", "render"); code != 2 {
		t.Errorf("usage error: exit %d", code)
	}
	if _, _, code := cli(t, "", "frobnicate"); code != 2 {
		t.Errorf("unknown command: exit %d", code)
	}
}

// storeArgs points a command at a test MinIO bucket and data directory.
func storeArgs(t *testing.T, dataDir string) []string {
	t.Helper()
	m := testenv.MinIO(t)
	return []string{"--data-dir", dataDir, "--s3-endpoint", m.Endpoint, "--s3-access-key", m.AccessKey,
		"--s3-secret-key", m.SecretKey, "--s3-bucket", m.Bucket(t)}
}

// TestOperatorCommands: unit add, user add (token once), import, verify,
// keys export, rebuild and reindex against a real MinIO.
func TestOperatorCommands(t *testing.T) {
	data := t.TempDir()
	sa := storeArgs(t, data)
	with := func(args ...string) []string { return append(args, sa...) }
	unit := "中共某某省纪委监委驻省财政厅纪检监察组"
	out, errOut, code := cli(t, "", with("user", "add", "--name", "赵磊", "--role", "archivist", "--unit", unit, "--clearance", "机密")...)
	if code != 0 || !strings.Contains(errOut, "placeholder") || !regexp.MustCompile(`^ws_\S+\n$`).MatchString(out) {
		t.Fatalf("user add: %d %q %q", code, out, errOut)
	}
	if _, errOut, code := cli(t, "", with("user", "add", "--name", "赵磊", "--role", "archivist", "--unit", unit)...); code != 1 || errOut == "" {
		t.Errorf("duplicate user: %d %s", code, errOut)
	}
	txt := filepath.Join(t.TempDir(), "关于2024年度谈话函询工作的报告.txt")
	os.WriteFile(txt, []byte("2024年度，共开展谈话函询12人次，落实三重一大决策制度情况良好。"), 0o644)
	if _, errOut, code := cli(t, "", append(with("import", "--unit", unit, "--kind", "报告", "--year", "2024"), txt)...); code != 1 || !strings.Contains(errOut, "unit_placeholder") {
		t.Errorf("import into a placeholder unit: %d %s", code, errOut)
	}
	if out, _, code := cli(t, "", with("unit", "add", "--name", unit, "--code", "驻财纪", "--fonds", "Z109", "--org", "CZT")...); code != 0 || !strings.Contains(out, "updated") {
		t.Fatalf("unit add: %d %s", code, out)
	}
	if out, _, code := cli(t, "", with("unit", "add", "--name", "驻审计厅纪检监察组", "--code", "驻审纪", "--fonds", "Z110")...); code != 0 || !strings.HasPrefix(out, "added unit 2 驻审计厅纪检监察组") {
		t.Fatalf("unit add of a new unit: %d %s", code, out)
	}
	out, errOut, code = cli(t, "", append(with("import", "--unit", unit, "--kind", "报告", "--year", "2024", "--retention", "Y", "--persons", "张三、李四"), txt)...)
	if code != 0 {
		t.Fatalf("import: %d %s", code, errOut)
	}
	id := strings.Fields(out)[0]
	if !strings.Contains(out, "Z109-WS·2024-Y-CZT-0001") {
		t.Errorf("import output %q", out)
	}
	out, _, code = cli(t, "", append(with("verify"), id)...)
	if code != 0 || strings.Count(out, "✓") < 6 || strings.Contains(out, "✗") {
		t.Errorf("verify: %d %s", code, out)
	}
	pem, _, code := cli(t, "", with("keys", "export")...)
	if code != 0 || !strings.Contains(pem, "BEGIN PUBLIC KEY") {
		t.Errorf("keys export: %d %s", code, pem)
	}
	pemFile := filepath.Join(t.TempDir(), "pub.pem")
	os.WriteFile(pemFile, []byte(pem), 0o644)
	out, _, code = cli(t, "", with("verify", "--bucket-only", "--json", "--pubkey", pemFile)...)
	var bv struct {
		OK              bool
		Records, Passed int
	}
	json.Unmarshal([]byte(out), &bv)
	if code != 0 || !bv.OK || bv.Records != 1 || bv.Passed != 1 {
		t.Errorf("verify --bucket-only: %d %s", code, out)
	}
	out, _, code = cli(t, "", with("rebuild")...)
	if code != 0 || !strings.Contains(out, "1 records") || !strings.Contains(out, "1 records indexed") {
		t.Errorf("rebuild: %d %s", code, out)
	}
	out, _, code = cli(t, "", with("reindex")...)
	if code != 0 || !strings.Contains(out, "1 records indexed") {
		t.Errorf("reindex: %d %s", code, out)
	}
}

// TestReindexCopiedBinary: a wenshu binary copied to another place, run
// where the Go module cache is not visible (a private mount namespace with
// an empty tmpfs over it), still segments Chinese and rebuilds the index:
// jieba's dictionaries travel inside the binary.
func TestReindexCopiedBinary(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test hides the module cache with unshare -m, which needs root (CI runs as root)")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Fatal("unshare (util-linux) not found")
	}
	modcache, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	build := t.TempDir()
	bin := filepath.Join(build, "wenshu")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	copied := filepath.Join(t.TempDir(), "elsewhere", "wenshu")
	os.MkdirAll(filepath.Dir(copied), 0o755)
	b, _ := os.ReadFile(bin)
	if err := os.WriteFile(copied, b, 0o755); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(build)

	data := t.TempDir()
	sa := storeArgs(t, data)
	unit := "驻财政厅纪检监察组"
	cli(t, "", append([]string{"unit", "add", "--name", unit, "--code", "驻财纪", "--fonds", "Z109", "--org", "CZT"}, sa...)...)
	txt := filepath.Join(t.TempDir(), "谈话函询工作报告.txt")
	os.WriteFile(txt, []byte("全年开展谈话函询，督促落实三重一大决策制度和中央八项规定精神。"), 0o644)
	if _, errOut, code := cli(t, "", append(append([]string{"import", "--unit", unit, "--kind", "报告", "--year", "2025"}, sa...), txt)...); code != 0 {
		t.Fatalf("import: %s", errOut)
	}
	script := `mount -t tmpfs none "$1" && shift && exec "$@"`
	args := append([]string{"-m", "sh", "-c", script, "sh", strings.TrimSpace(string(modcache)), copied, "reindex"}, sa...)
	cmd := exec.Command("unshare", args...)
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("copied binary reindex: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "1 records indexed") {
		t.Fatalf("reindex output:\n%s", out)
	}
	h, err := indexer.Open(data, search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	res, err := h.Index.Search(context.Background(), search.Request{Q: "三重一大"}, search.Viewer{Units: []string{"1"}, Clearance: "机密"})
	if err != nil || res.Total != 1 {
		t.Fatalf("search after the copied binary's reindex: %v %v", res, err)
	}
	if _, err := os.Stat(filepath.Join(data, "search", "dict", "jieba.dict.utf8")); err != nil {
		t.Errorf("dictionaries not written under the data directory: %v", err)
	}
}
