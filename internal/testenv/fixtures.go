package testenv

import (
	"io/fs"
	"os"
	"testing"
	"time"
)

// Day parses a YYYY-MM-DD date written in a test table. A typo there is a
// fault of the test, so it panics.
func Day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// FilePerm returns the permission bits of path, failing t when it cannot
// be stat'ed.
func FilePerm(t testing.TB, path string) fs.FileMode {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}
