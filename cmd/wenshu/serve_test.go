package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"wenshu/internal/testenv"
)

// TestServeStartsWhileMinIODown: `wenshu serve` with its MinIO down
// starts and listens, /healthz 200 and /readyz 503; once MinIO is back
// /readyz turns 200 without a restart; `verify` (any other command)
// still fails at once while MinIO is down.
func TestServeStartsWhileMinIODown(t *testing.T) {
	m := testenv.StartMinIO(t)
	if err := m.Kill(); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	args := []string{"--data-dir", t.TempDir(), "--s3-endpoint", m.Endpoint, "--s3-access-key", m.AccessKey,
		"--s3-secret-key", m.SecretKey, "--s3-bucket", m.Bucket(t)}
	if _, _, code := cli(t, "", append([]string{"verify"}, args...)...); code == 0 {
		t.Errorf("verify with MinIO down: exit 0")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}) // closed when serve returned, with its exit code in exit
	var exit int
	var out, errb bytes.Buffer
	go func() {
		defer close(done)
		exit = run(ctx, append([]string{"serve", "--addr", addr}, args...), &env{stdout: &out, stderr: &errb, stdin: bytes.NewReader(nil)})
	}()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	}()
	status := func(path string) int {
		res, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + addr + path)
		if err != nil {
			return 0
		}
		res.Body.Close()
		return res.StatusCode
	}
	waitFor := func(what, path string, want int, within time.Duration) {
		t.Helper()
		deadline := time.Now().Add(within)
		for status(path) != want {
			select {
			case <-done:
				t.Fatalf("serve exited (%d) while waiting for %s: %s", exit, what, errb.String())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %s not %d within %s: %s", what, path, want, within, errb.String())
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	waitFor("started with MinIO down", "/healthz", 200, 60*time.Second)
	if got := status("/readyz"); got != 503 {
		t.Errorf("readyz with MinIO down: %d", got)
	}
	if err := m.Restart(); err != nil {
		t.Fatal(err)
	}
	waitFor("MinIO back", "/readyz", 200, 60*time.Second)
}
