//go:build unix

package testenv

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// faultClient is a client that does not retry, so a fault shows in the
// first answer instead of after minio-go's ten retries.
func faultClient(t *testing.T, srv *MinIOServer) *minio.Client {
	t.Helper()
	c, err := minio.New(srv.Endpoint, &minio.Options{
		Creds: credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, ""), MaxRetries: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// lockedBucket creates a bucket with object lock and a default retention
// (GOVERNANCE, 1 day), as archive does, and returns its name.
func lockedBucket(t *testing.T, srv *MinIOServer, c *minio.Client) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bucket := srv.Bucket(t)
	if err := c.MakeBucket(ctx, bucket, minio.MakeBucketOptions{ObjectLocking: true}); err != nil {
		t.Fatalf("MakeBucket: %v", err)
	}
	mode, validity, unit := minio.Governance, uint(1), minio.Days
	if err := c.SetObjectLockConfig(ctx, bucket, &mode, &validity, &unit); err != nil {
		t.Fatalf("SetObjectLockConfig: %v", err)
	}
	return bucket
}

func put(ctx context.Context, c *minio.Client, bucket, key, body string) (minio.UploadInfo, error) {
	return c.PutObject(ctx, bucket, key, strings.NewReader(body), int64(len(body)), minio.PutObjectOptions{})
}

func withTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// wantTimeout asserts err is the context's deadline, not an S3 answer such
// as NoSuchKey: what a paused MinIO must look like to a client.
func wantTimeout(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: succeeded, want a deadline error", what)
	}
	if code := minio.ToErrorResponse(err).Code; code != "" {
		t.Fatalf("%s: S3 answered %s (%v), want a deadline error", what, code, err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("%s: %v, want context.DeadlineExceeded", what, err)
	}
}

// wantConnectionError asserts err comes from the network (refused or reset
// connection), not from S3 and not from a deadline.
func wantConnectionError(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: succeeded, want a connection error", what)
	}
	if code := minio.ToErrorResponse(err).Code; code != "" {
		t.Fatalf("%s: S3 answered %s (%v), want a connection error", what, code, err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("%s: %v: a deadline, want a connection error", what, err)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, io.EOF) {
		t.Fatalf("%s: %v (%T), want a refused or reset connection", what, err, err)
	}
}

func wantRefused(t *testing.T, endpoint string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", endpoint, 2*time.Second)
	if err == nil {
		conn.Close()
		t.Fatalf("dial %s: connected, want refused", endpoint)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial %s: %v, want connection refused", endpoint, err)
	}
}

func TestPausedMinIOTimesOutThenServesAfterResume(t *testing.T) {
	srv := StartMinIO(t)
	c := faultClient(t, srv)
	bucket := lockedBucket(t, srv, c)
	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := put(withTimeout(t, 2*time.Second), c, bucket, "paused.txt", "正文")
	wantTimeout(t, "PUT while paused", err)
	if waited := time.Since(start); waited < 2*time.Second {
		t.Fatalf("PUT failed after %s, before its 2 s deadline: %v", waited, err)
	}
	_, err = c.StatObject(withTimeout(t, 2*time.Second), bucket, "never-written.txt", minio.StatObjectOptions{})
	wantTimeout(t, "stat of a missing key while paused", err)

	if err := srv.Resume(); err != nil {
		t.Fatal(err)
	}
	if _, err := put(withTimeout(t, 30*time.Second), c, bucket, "resumed.txt", "正文"); err != nil {
		t.Fatalf("PUT after Resume: %v", err)
	}
	_, err = c.StatObject(withTimeout(t, 30*time.Second), bucket, "never-written.txt", minio.StatObjectOptions{})
	if code := minio.ToErrorResponse(err).Code; code != "NoSuchKey" {
		t.Fatalf("stat of a missing key after Resume: %v, want NoSuchKey", err)
	}
}

func TestKilledMinIORefusesAndRestartKeepsVersionsAndLock(t *testing.T) {
	srv := StartMinIO(t)
	c := faultClient(t, srv)
	bucket := lockedBucket(t, srv, c)
	ctx := withTimeout(t, 60*time.Second)
	v1, err := put(ctx, c, bucket, "records/1.json", "第一版")
	if err != nil {
		t.Fatal(err)
	}
	v2, err := put(ctx, c, bucket, "records/1.json", "第二版")
	if err != nil {
		t.Fatal(err)
	}
	if v1.VersionID == "" || v1.VersionID == v2.VersionID {
		t.Fatalf("versions %q and %q: want two distinct version ids", v1.VersionID, v2.VersionID)
	}
	oldPID := srv.PID()

	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	if pid := srv.PID(); pid != 0 {
		t.Fatalf("PID after Kill = %d, want 0", pid)
	}
	wantRefused(t, srv.Endpoint)
	_, err = c.StatObject(withTimeout(t, 10*time.Second), bucket, "records/1.json", minio.StatObjectOptions{})
	wantConnectionError(t, "stat after Kill", err)

	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	if pid := srv.PID(); pid == 0 || pid == oldPID {
		t.Fatalf("PID after Restart = %d (before %d), want a new process", pid, oldPID)
	}
	assertVersions(t, c, bucket, "records/1.json", map[string]string{v1.VersionID: "第一版", v2.VersionID: "第二版"})
	lock, mode, validity, unit, err := c.GetObjectLockConfig(ctx, bucket)
	if err != nil {
		t.Fatalf("object lock after Restart: %v", err)
	}
	if lock != "Enabled" || mode == nil || *mode != minio.Governance || validity == nil || *validity != 1 || unit == nil || *unit != minio.Days {
		t.Fatalf("object lock after Restart: %s %v %v %v, want Enabled GOVERNANCE 1 DAYS", lock, mode, validity, unit)
	}
}

// assertVersions checks that key has exactly the versions given (id →
// content), read through the same client that was used before the fault.
func assertVersions(t *testing.T, c *minio.Client, bucket, key string, want map[string]string) {
	t.Helper()
	ctx := withTimeout(t, 30*time.Second)
	got := 0
	for obj := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: key, WithVersions: true}) {
		if obj.Err != nil {
			t.Fatalf("list versions: %v", obj.Err)
		}
		body, ok := want[obj.VersionID]
		if !ok {
			t.Fatalf("unexpected version %q of %s", obj.VersionID, key)
		}
		got++
		r, err := c.GetObject(ctx, bucket, key, minio.GetObjectOptions{VersionID: obj.VersionID})
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil || string(b) != body {
			t.Fatalf("version %s: %q, %v; want %q", obj.VersionID, b, err, body)
		}
	}
	if got != len(want) {
		t.Fatalf("%s has %d versions, want %d", key, got, len(want))
	}
}

func TestFaultControlsRepeatWithoutHanging(t *testing.T) {
	srv := StartMinIO(t)
	c := faultClient(t, srv)
	alive := func(what string) {
		t.Helper()
		if _, err := c.ListBuckets(withTimeout(t, 30*time.Second)); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	for _, step := range []struct {
		name string
		do   func() error
	}{
		{"Pause", srv.Pause}, {"Pause again", srv.Pause},
		{"Resume", srv.Resume}, {"Resume again", srv.Resume},
		{"Kill", srv.Kill}, {"Kill again", srv.Kill}, {"Resume after Kill", srv.Resume},
		{"Restart", srv.Restart}, {"Restart a running server", srv.Restart},
		{"Pause before Kill", srv.Pause}, {"Kill while paused", srv.Kill}, {"Restart after Kill while paused", srv.Restart},
	} {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
	}
	alive("after the sequence")
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Pause(); !errors.Is(err, errNotRunning) {
		t.Fatalf("Pause after Kill: %v, want errNotRunning", err)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	alive("after the last Restart")
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatalf("Stop again: %v", err)
	}
	if err := srv.Restart(); !errors.Is(err, errStopped) {
		t.Fatalf("Restart after Stop: %v, want errStopped", err)
	}
}

func TestCleanupEndsAPausedMinIO(t *testing.T) {
	var left *MinIOServer
	t.Run("leaves MinIO paused", func(t *testing.T) {
		left = StartMinIO(t)
		if err := left.Pause(); err != nil {
			t.Fatal(err)
		}
		_ = left.PauseFor(time.Hour) // a pending resume must not hold up cleanup either
	})
	if !left.proc.exited() {
		t.Fatal("the paused MinIO still runs after its test's cleanup")
	}
	wantRefused(t, left.Endpoint)
}

func TestPauseForAndKillForRestoreInTheBackground(t *testing.T) {
	srv := StartMinIO(t)
	c := faultClient(t, srv)
	bucket := lockedBucket(t, srv, c)

	resumed := srv.PauseFor(1500 * time.Millisecond)
	_, err := c.StatObject(withTimeout(t, 300*time.Millisecond), bucket, "x", minio.StatObjectOptions{})
	wantTimeout(t, "stat during PauseFor", err)
	select {
	case err := <-resumed:
		if err != nil {
			t.Fatalf("PauseFor: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("PauseFor did not resume within 30 s")
	}
	if _, err := put(withTimeout(t, 30*time.Second), c, bucket, "after-pause.txt", "正文"); err != nil {
		t.Fatalf("PUT after PauseFor: %v", err)
	}

	back := srv.KillFor(500 * time.Millisecond)
	wantRefused(t, srv.Endpoint)
	select {
	case err := <-back:
		if err != nil {
			t.Fatalf("KillFor: %v", err)
		}
	case <-time.After(90 * time.Second):
		t.Fatal("KillFor did not bring MinIO back within 90 s")
	}
	if _, err := c.StatObject(withTimeout(t, 30*time.Second), bucket, "after-pause.txt", minio.StatObjectOptions{}); err != nil {
		t.Fatalf("stat after KillFor: %v", err)
	}
}

func TestFaultsRefusedOnTheSharedServer(t *testing.T) {
	srv := MinIO(t)
	for name, do := range map[string]func() error{"Pause": srv.Pause, "Resume": srv.Resume, "Kill": srv.Kill, "Restart": srv.Restart} {
		if err := do(); !errors.Is(err, errShared) {
			t.Fatalf("%s on the shared server: %v, want errShared", name, err)
		}
	}
	for name, ch := range map[string]<-chan error{"PauseFor": srv.PauseFor(time.Second), "KillFor": srv.KillFor(time.Second)} {
		if err := <-ch; !errors.Is(err, errShared) {
			t.Fatalf("%s on the shared server: %v, want errShared", name, err)
		}
	}
	if _, err := srv.Client(t).ListBuckets(withTimeout(t, 30*time.Second)); err != nil {
		t.Fatalf("shared server after refused faults: %v", err)
	}
}

// Restart retries while something else still holds the port (here a
// listener the test closes after a second), instead of failing at once.
func TestRestartWaitsWhileThePortIsTaken(t *testing.T) {
	srv := StartMinIO(t)
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	squatter, err := net.Listen("tcp", srv.Endpoint)
	if err != nil {
		t.Fatalf("the port of a killed MinIO cannot be bound again: %v", err)
	}
	release := time.AfterFunc(time.Second, func() { squatter.Close() })
	defer release.Stop()
	if err := srv.Restart(); err != nil {
		t.Fatalf("Restart while the port was taken for a second: %v", err)
	}
	if _, err := faultClient(t, srv).ListBuckets(withTimeout(t, 30*time.Second)); err != nil {
		t.Fatalf("after Restart: %v", err)
	}
}
