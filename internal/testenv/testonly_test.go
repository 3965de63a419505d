package testenv

import (
	"os/exec"
	"strings"
	"testing"
)

// TestInternalHelpersStayTestOnly: internal/ holds production glue
// (indexer) beside three test helpers (testenv, gbcheck, office). No
// non-test file of any wenshu package may import a test helper, so none of
// them — nor MinIO start-up or LibreOffice — can reach the binary.
func TestInternalHelpersStayTestOnly(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	testOnly := map[string]bool{"wenshu/internal/testenv": true, "wenshu/internal/gbcheck": true, "wenshu/internal/office": true}
	var pkgs int
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkgs++
		if testOnly[f[0]] {
			continue
		}
		for _, imp := range f[1:] {
			if testOnly[imp] {
				t.Errorf("%s imports the test helper %s in a non-test file", f[0], imp)
			}
		}
	}
	if pkgs < 10 {
		t.Fatalf("go list found only %d packages:\n%s", pkgs, out)
	}
}
