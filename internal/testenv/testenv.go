// Package testenv is the one helper every storage test in wenshu goes
// through: it starts a real MinIO server (the pinned binary that
// scripts/minio.sh installs into bin/) on a free loopback port with its data
// in a temporary directory, waits until it serves S3 requests, and stops it
// when the test or the test binary ends. There is no Docker and no mock:
// tests run against the same S3 API the server uses in production.
//
// Test-only: only _test.go files import it, never production code
// (TestInternalHelpersStayTestOnly checks this, for gbcheck and office too).
//
// A missing binary is a test failure, never a skip: run
// `scripts/minio.sh install` once (or point WENSHU_MINIO_BIN at a binary).
//
// Typical use, one server per test binary and one bucket per test:
//
//	func TestMain(m *testing.M) { os.Exit(testenv.RunWithMinIO(m)) }
//
//	func TestSomething(t *testing.T) {
//		srv := testenv.MinIO(t)
//		bucket := srv.Bucket(t)
//		...
//	}
//
// # Faults (故障注入)
//
// StartMinIO(t) starts a MinIO for one test alone (own data directory, own
// port, stopped at cleanup); only such a server accepts faults, so the
// server the other tests share is never touched. It is a *MinIOServer like
// any other (Endpoint, AccessKey, SecretKey, Client, Bucket), with:
//
//   - Pause: SIGSTOP to MinIO's process group; returns once every thread
//     is stopped. Connections are still accepted, requests hang: the
//     "MinIO does not answer" fault.
//   - Resume: SIGCONT; requests that hung are then served.
//   - Kill: SIGKILL and wait for the exit; the port refuses connections.
//   - Restart: start again on the same data directory, port and
//     credentials (clients reconnect and find their objects, versions and
//     object-lock configuration) and wait until it serves S3 requests;
//     a running server is killed first.
//   - PauseFor(d), KillFor(d): pause or kill now, resume or restart after d
//     in the background; the returned channel delivers the outcome.
//   - PID: the current process id, for RSS.
//
// Each control waits with a deadline and may be repeated (Pause twice,
// Kill twice, Resume after Kill) without hanging. Cleanup resumes a paused
// server before stopping it, and cancels a pending PauseFor or KillFor.
// A fault test:
//
//	func TestApproveWhileMinIOHangs(t *testing.T) {
//		mio := testenv.StartMinIO(t)
//		store := newStore(t, mio) // any helper taking a *testenv.MinIOServer
//		resumed := mio.PauseFor(30 * time.Second)
//		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
//		defer cancel()
//		_, err := store.ApproveDraft(ctx, approver, draftID)
//		// assert: err is "unavailable" (or an outcome-unknown filing), not a 500
//		if err := <-resumed; err != nil {
//			t.Fatal(err)
//		}
//		// assert: the filing converges once MinIO answers again
//	}
//
// # Memory (内存)
//
// On Linux, RSS(pid) and PeakRSS(pid) read VmRSS and VmHWM of a process
// from /proc/<pid>/status, in bytes; PeakRSSDuring(pid, fn) returns the
// highest RSS of pid while fn runs (sampled every 10 ms, plus VmHWM where
// the kernel lets it be reset). For a server under test:
//
//	before, _ := testenv.RSS(pid)
//	peak, err := testenv.PeakRSSDuring(pid, func() { postZipBomb(t, url) })
//	if err != nil || peak-before > 100<<20 {
//		t.Fatalf("zip bomb raised RSS by %d MB (%v)", (peak-before)>>20, err)
//	}
//
// testenv knows nothing of archive or any other wenshu package.
package testenv

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Environment variables read by testenv.
const (
	// EnvMinIOBin overrides the MinIO binary (default <repo>/bin/minio).
	EnvMinIOBin = "WENSHU_MINIO_BIN"
	// EnvShared carries an already running server ("endpoint access secret")
	// to child processes of a test (see MinIOServer.Env), so a re-executed
	// test binary uses its parent's server instead of starting its own.
	EnvShared = "WENSHU_TESTENV_MINIO"
)

// MinIOServer is a running MinIO server for tests.
type MinIOServer struct {
	Endpoint  string // host:port on loopback, no scheme
	AccessKey string // root user
	SecretKey string // root password
	Dir       string // data directory (empty for a server inherited from a parent process)

	bin     string
	logPath string
	owned   bool // this process started it and must stop it
	faults  bool // started by StartMinIO: this test's alone, so fault controls are allowed

	ctl      sync.Mutex    // serialises Stop and the fault controls
	proc     *minioProc    // the running (or last) process; Restart replaces it
	stopped  bool          // Stop was called: no control may start MinIO again
	stopping chan struct{} // closed by Stop; ends the timers of PauseFor and KillFor
}

// minioProc is one run of the MinIO binary.
type minioProc struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited and been reaped
}

func (p *minioProc) pid() int { return p.cmd.Process.Pid }

func (p *minioProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Deadlines of the process controls. Every wait in testenv has one.
const (
	startLimit  = 60 * time.Second // first healthy answer (a loaded machine is slow)
	stopLimit   = 10 * time.Second // SIGTERM until SIGKILL
	reapLimit   = 10 * time.Second // SIGKILL until the process is reaped
	signalLimit = 5 * time.Second  // SIGSTOP/SIGCONT until every thread has changed state
	rebindLimit = 15 * time.Second // Restart retries while the port is still taken
)

var (
	sharedMu sync.Mutex
	shared   *MinIOServer
	bucketN  atomic.Int64
)

// MinIO returns a running MinIO server for t. When the test binary runs
// under RunWithMinIO it returns the shared server; otherwise it starts one
// for this test alone, with data in t.TempDir(), and stops it in t.Cleanup.
// A missing binary fails the test with instructions; it never skips.
// Its server refuses faults: a fault test uses StartMinIO.
func MinIO(t testing.TB) *MinIOServer {
	t.Helper()
	sharedMu.Lock()
	s := shared
	sharedMu.Unlock()
	if s != nil {
		return s
	}
	if s := fromEnv(); s != nil {
		return s
	}
	srv, err := Start(t.TempDir())
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("testenv: stopping MinIO: %v", err)
		}
	})
	return srv
}

// RunWithMinIO starts one MinIO server for the whole test binary, runs the
// tests and stops the server. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testenv.RunWithMinIO(m)) }
//
// If the binary is missing or the server does not come up it prints why and
// returns 1, so the run fails. A child process started with srv.Env() reuses
// its parent's server.
func RunWithMinIO(m *testing.M) int {
	if s := fromEnv(); s != nil {
		sharedMu.Lock()
		shared = s
		sharedMu.Unlock()
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "wenshu-minio-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "testenv: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	srv, err := Start(dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "testenv: %v\n", err)
		return 1
	}
	sharedMu.Lock()
	shared = srv
	sharedMu.Unlock()
	code := m.Run()
	if err := srv.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "testenv: stopping MinIO: %v\n", err)
	}
	sharedMu.Lock()
	shared = nil
	sharedMu.Unlock()
	return code
}

func fromEnv() *MinIOServer {
	v := os.Getenv(EnvShared)
	if v == "" {
		return nil
	}
	f := strings.Fields(v)
	if len(f) != 3 {
		return nil
	}
	return &MinIOServer{Endpoint: f[0], AccessKey: f[1], SecretKey: f[2]}
}

// Env returns the environment entry that makes a child test process (a
// re-executed test binary) use this server: append it to cmd.Env.
func (s *MinIOServer) Env() string {
	return EnvShared + "=" + s.Endpoint + " " + s.AccessKey + " " + s.SecretKey
}

// Start starts a MinIO server with its data under dir on a free loopback
// port and waits until it serves S3 requests (/minio/health/cluster). The
// console is off. The caller must call Stop. Most tests want MinIO(t), or
// StartMinIO(t) for faults, instead.
func Start(dir string) (*MinIOServer, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		// The port can be taken between probing and MinIO's bind; retry.
		srv, err := start(bin, dir, attempt)
		if err == nil {
			return srv, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func start(bin, dir string, attempt int) (*MinIOServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("finding a free port: %w", err)
	}
	dataDir := filepath.Join(dir, fmt.Sprintf("minio-data-%d", attempt))
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	s := &MinIOServer{
		Endpoint:  net.JoinHostPort("127.0.0.1", port),
		AccessKey: "wenshu-test",
		SecretKey: "wenshu-test-" + randHex(8),
		Dir:       dataDir,
		bin:       bin,
		logPath:   filepath.Join(dir, fmt.Sprintf("minio-%d.log", attempt)),
		owned:     true,
		stopping:  make(chan struct{}),
	}
	if err := s.launch(startLimit); err != nil {
		_ = s.Stop()
		return nil, fmt.Errorf("%w\n--- MinIO log (%s) ---\n%s", err, s.logPath, s.logTail())
	}
	return s, nil
}

// errExitedEarly: the process ended before it answered, typically because
// its port was still taken.
var errExitedEarly = errors.New("MinIO exited during start-up")

// launch runs the binary on s.Endpoint and s.Dir, appending its output to
// s.logPath, makes it s.proc and waits up to limit for it to answer. The
// caller holds s.ctl or has not yet handed s to anyone.
func (s *MinIOServer) launch(limit time.Duration) error {
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(s.bin, "server", "--quiet", "--address", s.Endpoint, s.Dir)
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+s.AccessKey,
		"MINIO_ROOT_PASSWORD="+s.SecretKey,
		"MINIO_BROWSER=off", // no console: nothing listens beyond the S3 port
		"MINIO_UPDATE=off",
		"MINIO_CI_CD=1", // smaller buffer pools; no reverse-proxy or callhome behaviour
	)
	cmd.Stdout = logf
	cmd.Stderr = logf
	setSysProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("starting %s: %w", s.bin, err)
	}
	p := &minioProc{cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	s.proc = p
	return s.waitHealthy(p, limit)
}

// waitHealthy waits until MinIO answers 200 on /minio/health/cluster.
// /minio/health/live is not enough: it answers while the object layer,
// IAM and bucket metadata are still loading, and S3 calls then get "Server
// not initialized yet".
func (s *MinIOServer) waitHealthy(p *minioProc, limit time.Duration) error {
	url := "http://" + s.Endpoint + "/minio/health/cluster"
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if p.exited() {
			return errExitedEarly
		}
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("MinIO did not answer %s within %s", url, limit)
}

func (s *MinIOServer) logTail() string {
	b, _ := os.ReadFile(s.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// Stop stops a server this process started: it resumes a paused server
// (a stopped process never sees SIGTERM), sends SIGTERM, then SIGKILL after
// ten seconds, and waits for the exit. Stopping twice, stopping a killed
// server or stopping a server inherited from a parent does nothing. After
// Stop no fault control starts the server again.
func (s *MinIOServer) Stop() error {
	if !s.owned {
		return nil
	}
	s.ctl.Lock()
	defer s.ctl.Unlock()
	if !s.stopped {
		s.stopped = true
		close(s.stopping)
	}
	p := s.proc
	if p == nil || p.exited() {
		return nil
	}
	_ = signalGroup(p.pid(), syscall.SIGCONT)
	_ = signalGroup(p.pid(), syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(stopLimit):
	}
	return s.killLocked()
}

// Client returns a minio-go client for the server with the root credentials.
func (s *MinIOServer) Client(t testing.TB) *minio.Client {
	t.Helper()
	c, err := minio.New(s.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""),
		Secure: false,
	})
	if err != nil {
		t.Fatalf("testenv: minio client: %v", err)
	}
	return c
}

var bucketUnsafe = regexp.MustCompile(`[^a-z0-9-]+`)

// Bucket returns a bucket name that no other test of this run uses, derived
// from t.Name() (valid for S3: lower case, 3 to 63 characters). It does not
// create the bucket: the code under test does (with object locking).
func (s *MinIOServer) Bucket(t testing.TB) string {
	name := strings.ToLower(t.Name())
	name = bucketUnsafe.ReplaceAllString(name, "-")
	name = strings.Trim(name, "-")
	suffix := fmt.Sprintf("-%d-%s", bucketN.Add(1), randHex(3))
	if max := 63 - len(suffix) - len("t-"); len(name) > max {
		name = strings.TrimRight(name[:max], "-")
	}
	return "t-" + name + suffix
}

// TempDataDir returns a fresh, empty wenshu data directory (what
// WENSHU_DATA_DIR points at in production) inside t.TempDir().
func TempDataDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return dir
}

// Binary returns the MinIO binary path: WENSHU_MINIO_BIN, or bin/minio in
// the repository root (the nearest directory above the working directory
// with a go.mod declaring module wenshu). It is an error, with instructions,
// when the file is missing.
func Binary() (string, error) {
	if p := os.Getenv(EnvMinIOBin); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %v", EnvMinIOBin, p, err)
		}
		return p, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	p := filepath.Join(root, "bin", "minio")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("MinIO binary %s is missing: run `scripts/minio.sh install` in %s (or set %s)", p, root, EnvMinIOBin)
	}
	return p, nil
}

// RepoRoot walks up from the working directory to the directory whose
// go.mod declares module wenshu.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && isWenshuModule(b) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod for module wenshu above the working directory")
		}
		dir = parent
	}
}

func isWenshuModule(gomod []byte) bool {
	for _, line := range bytes.Split(gomod, []byte("\n")) {
		f := strings.Fields(string(line))
		if len(f) >= 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`) == "wenshu"
		}
	}
	return false
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	_, port, err := net.SplitHostPort(l.Addr().String())
	return port, err
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
