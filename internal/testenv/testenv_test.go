package testenv

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
)

// envChildMode makes the re-executed test binary run one of childModes
// instead of the tests (see rss_linux_test.go).
const envChildMode = "WENSHU_TESTENV_CHILD"

// childModes are the helper programs this test binary can run as a child.
var childModes = map[string]func(){}

func TestMain(m *testing.M) {
	if mode := os.Getenv(envChildMode); mode != "" {
		run, ok := childModes[mode]
		if !ok {
			fmt.Fprintf(os.Stderr, "testenv: unknown child mode %q\n", mode)
			os.Exit(2)
		}
		run()
		os.Exit(0)
	}
	os.Exit(RunWithMinIO(m))
}

func TestSharedServerAndBuckets(t *testing.T) {
	srv := MinIO(t)
	if srv != MinIO(t) {
		t.Fatal("MinIO(t) should return the shared server under RunWithMinIO")
	}
	c := srv.Client(t)
	ctx := context.Background()
	seen := map[string]bool{}
	for i := 0; i < 3; i++ {
		b := srv.Bucket(t)
		if seen[b] || len(b) > 63 || len(b) < 3 || strings.ToLower(b) != b {
			t.Fatalf("bad or repeated bucket name %q", b)
		}
		seen[b] = true
		if err := c.MakeBucket(ctx, b, minioMakeLocked()); err != nil {
			t.Fatalf("MakeBucket(%s): %v", b, err)
		}
	}
	if !strings.HasPrefix(srv.Endpoint, "127.0.0.1:") {
		t.Fatalf("endpoint %q is not loopback", srv.Endpoint)
	}
}

func TestLongTestNameGivesValidBucket_with_a_very_long_name_that_exceeds_the_sixty_three_character_limit(t *testing.T) {
	b := MinIO(t).Bucket(t)
	if len(b) > 63 {
		t.Fatalf("bucket %q has %d chars", b, len(b))
	}
}

func TestTempDataDir(t *testing.T) {
	d := TempDataDir(t)
	fi, err := os.Stat(d)
	if err != nil || !fi.IsDir() {
		t.Fatalf("TempDataDir: %v", err)
	}
}

func TestMissingBinaryIsAnError(t *testing.T) {
	t.Setenv(EnvMinIOBin, "/nonexistent/minio")
	if _, err := Binary(); err == nil {
		t.Fatal("want an error for a missing binary")
	}
	t.Setenv(EnvMinIOBin, "")
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(root + "/go.mod"); err != nil {
		t.Fatal(err)
	}
}

func TestOwnServerWithoutShared(t *testing.T) {
	sharedMu.Lock()
	saved := shared
	shared = nil
	sharedMu.Unlock()
	defer func() { sharedMu.Lock(); shared = saved; sharedMu.Unlock() }()
	srv := MinIO(t)
	if srv == saved {
		t.Fatal("expected a fresh server")
	}
	if _, err := srv.Client(t).ListBuckets(context.Background()); err != nil {
		t.Fatal(err)
	}
}
