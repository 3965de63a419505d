package search

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The dictionaries written by Open are byte for byte the embedded ones,
// rewritten when changed, and left alone otherwise.
func TestWriteDictionaries(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dict")
	paths, hash, err := writeDictionaries(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths.list() {
		if filepath.Dir(p) != dir {
			t.Errorf("%s is not under %s", p, dir)
		}
		fi, err := os.Stat(p)
		if err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", p, err)
		}
	}
	if err := os.WriteFile(paths.User, []byte("篡改 nz\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(paths.Dict)
	_, hash2, err := writeDictionaries(dir)
	if err != nil {
		t.Fatal(err)
	}
	if hash2 != hash {
		t.Errorf("hash changed: %s vs %s", hash, hash2)
	}
	got, _ := os.ReadFile(paths.User)
	want, _ := embeddedDict("dict/user.dict.utf8")
	if string(got) != string(want) {
		t.Error("changed user dictionary not rewritten")
	}
	after, _ := os.Stat(paths.Dict)
	if !after.ModTime().Equal(before.ModTime()) {
		t.Error("unchanged jieba.dict.utf8 rewritten")
	}
}

// A process whose first Open is on a fresh directory loads jieba from the
// files written there and nowhere else: what a binary copied to a machine
// without a Go module cache does. The child is this test binary run again
// (see TestMain), so that it creates the process-wide jieba itself.
func TestFreshDirChildProcess(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "WENSHU_SEARCH_CHILD="+dir,
		"GOPATH="+filepath.Join(dir, "nogopath"), "GOMODCACHE="+filepath.Join(dir, "nomodcache"))
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "dictionary child: ok") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

// TestMain runs the dictionary child when asked to, instead of the tests.
func TestMain(m *testing.M) {
	if dir := os.Getenv("WENSHU_SEARCH_CHILD"); dir != "" {
		if err := dictionaryChild(dir); err != nil {
			fmt.Println("dictionary child:", err)
			os.Exit(1)
		}
		fmt.Println("dictionary child: ok")
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func dictionaryChild(dir string) error {
	if _, err := currentSegmenter(); err == nil {
		return errors.New("jieba loaded before Open")
	}
	ix, err := Open(dir, Options{})
	if err != nil {
		return err
	}
	defer ix.Close()
	s, _ := currentSegmenter()
	for _, p := range s.paths.list() {
		if !strings.HasPrefix(p, filepath.Join(dir, "dict")+string(filepath.Separator)) {
			return fmt.Errorf("jieba loaded %s, outside %s", p, dir)
		}
	}
	// the domain dictionary is in use: 一案双查 is one word only through it
	if err := ix.Index(context.Background(), Doc{ID: "d", Unit: "u", Classification: "公开", Retention: "Y",
		Title: "落实一案双查", Body: "对问题线索初步核实。"}); err != nil {
		return err
	}
	toks := ix.m.AnalyzerNamed(AnalyzerQuery).Analyze([]byte("落实一案双查"))
	if len(toks) != 2 || string(toks[1].Term) != "一案双查" {
		return fmt.Errorf("一案双查 not segmented as one word: %v", toks)
	}
	r, err := ix.Search(context.Background(), Request{Q: "一案双查 初步核实"}, Viewer{Units: []string{"u"}})
	if err != nil || r.Total != 1 {
		return fmt.Errorf("search: %v %v", r, err)
	}
	return nil
}
