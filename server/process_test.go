package server

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"wenshu/archive"
	"wenshu/identity"
	"wenshu/internal/indexer"
	"wenshu/internal/testenv"
	"wenshu/search"
	"wenshu/templates"
)

// The memory tests measure a server in a process of its own, as `wenshu
// serve` runs: the test binary re-executes itself with childServerEnv set,
// and TestMain then runs runChildServer instead of the tests. The child
// opens a real store (the parent's MinIO), a search index and the server,
// listens on a free loopback port, prints one JSON line (address and user
// tokens) and serves until its standard input closes.

const (
	// childServerEnv carries the child's settings as JSON (childSettings).
	childServerEnv = "WENSHU_TEST_SERVER_CHILD"
)

// childSettings is what the parent tells the child.
type childSettings struct {
	Endpoint, AccessKey, SecretKey, Bucket string
	Config                                 childConfig
}

// childConfig is the part of Config a test sets.
type childConfig struct {
	PreAuthBodyLimit int
	ImportLimit      int
	MaxHeavy         int
	HeavyWait        time.Duration
	Import           archive.ImportLimits // of the store
}

// childHello is the child's first line on standard output.
type childHello struct {
	Addr   string            `json:"addr"`
	Tokens map[string]string `json:"tokens"`
	Err    string            `json:"err,omitempty"`
}

// childUsers are the users the child creates, by key.
var childUsers = map[string]identity.NewUser{
	"clerk":     {Name: "李华", Role: identity.RoleClerk, Unit: unitA, Clearance: identity.ClearanceSecret},
	"approver":  {Name: "刘强", Role: identity.RoleApprover, Unit: unitA, Clearance: identity.ClearanceConfidential},
	"archivist": {Name: "赵磊", Role: identity.RoleArchivist, Unit: unitA, Clearance: identity.ClearanceConfidential},
}

// runChildServer is the child's whole life; its result is the exit code.
func runChildServer(raw string) int {
	out := json.NewEncoder(os.Stdout)
	fail := func(err error) int {
		_ = out.Encode(childHello{Err: err.Error()})
		return 1
	}
	var set childSettings
	if err := json.Unmarshal([]byte(raw), &set); err != nil {
		return fail(err)
	}
	dataDir, err := os.MkdirTemp("", "wenshu-child-")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(dataDir)
	srv, tokens, closeAll, err := openChildServer(set, dataDir)
	if err != nil {
		return fail(err)
	}
	defer closeAll()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(err)
	}
	go func() { _ = srv.App().Listener(ln) }()
	if err := out.Encode(childHello{Addr: ln.Addr().String(), Tokens: tokens}); err != nil {
		return 1
	}
	_, _ = io.Copy(io.Discard, os.Stdin) // until the parent closes it
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = srv.App().ShutdownWithContext(ctx)
	return 0
}

// openChildServer opens the store, the index and the server as cmdServe
// does, with one unit and childUsers.
func openChildServer(set childSettings, dataDir string) (*Server, map[string]string, func(), error) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	reg, err := templates.New(templates.Options{})
	if err != nil {
		return nil, nil, nil, err
	}
	h, err := indexer.Open(dataDir, search.Options{})
	if err != nil {
		return nil, nil, nil, err
	}
	idx := &indexer.Indexer{Index: h.Index, Log: log}
	st, err := archive.New(ctx, archive.Options{
		DataDir: dataDir, S3Endpoint: set.Endpoint, S3AccessKey: set.AccessKey, S3SecretKey: set.SecretKey,
		Bucket: set.Bucket, Logger: log, Templates: reg, OnFiled: idx.OnFiled, ImportLimits: set.Config.Import,
	})
	if err != nil {
		h.Close()
		return nil, nil, nil, err
	}
	idx.Store = st
	closeAll := func() { st.Close(); h.Close() }
	tokens, err := addChildUsers(ctx, st)
	if err != nil {
		closeAll()
		return nil, nil, nil, err
	}
	cfg := Config{Templates: reg, Store: st, Index: h.Index, Logger: log}
	set.Config.apply(&cfg)
	srv, err := New(cfg)
	if err != nil {
		closeAll()
		return nil, nil, nil, err
	}
	return srv, tokens, closeAll, nil
}

func addChildUsers(ctx context.Context, st *archive.Store) (map[string]string, error) {
	if _, err := st.Identity().AddUnit(ctx, identity.UnitInput{Name: unitA, Code: "驻财纪", Fonds: "Z109", Org: "CZT"}); err != nil {
		return nil, err
	}
	tokens := map[string]string{}
	for key, u := range childUsers {
		res, err := st.Identity().AddUser(ctx, u)
		if err != nil {
			return nil, err
		}
		tokens[key] = res.Token
	}
	return tokens, nil
}

// childServer is a running child, seen from the parent.
type childServer struct {
	PID    int
	URL    string // http://127.0.0.1:port
	Addr   string // 127.0.0.1:port
	Tokens map[string]string
	stderr *lockedBuffer
}

// startChildServer starts a server process on the shared MinIO and a
// bucket of its own, and stops it at cleanup.
func startChildServer(t *testing.T, cfg childConfig) *childServer {
	t.Helper()
	mio := testenv.MinIO(t)
	set, _ := json.Marshal(childSettings{Endpoint: mio.Endpoint, AccessKey: mio.AccessKey, SecretKey: mio.SecretKey,
		Bucket: mio.Bucket(t), Config: cfg})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childServerEnv+"="+string(set), mio.Env())
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	errBuf := &lockedBuffer{}
	cmd.Stderr = errBuf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		stdin.Close()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("child server stderr:\n%s", errBuf.String())
		}
	})
	hello := readHello(t, stdout, errBuf)
	return &childServer{PID: cmd.Process.Pid, URL: "http://" + hello.Addr, Addr: hello.Addr, Tokens: hello.Tokens, stderr: errBuf}
}

// readHello reads the child's first line, within a minute.
func readHello(t *testing.T, stdout io.Reader, stderr *lockedBuffer) childHello {
	t.Helper()
	got := make(chan childHello, 1)
	go func() {
		var h childHello
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err == nil {
			err = json.Unmarshal([]byte(line), &h)
		}
		if err != nil && h.Err == "" {
			h.Err = fmt.Sprintf("reading the child's first line: %v", err)
		}
		got <- h
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case h := <-got:
		if h.Err != "" {
			t.Fatalf("child server: %s\n%s", h.Err, stderr.String())
		}
		return h
	case <-time.After(60 * time.Second):
		t.Fatalf("child server did not start within 60 s\n%s", stderr.String())
	}
	return childHello{}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// rawResult is what a hostile client saw.
type rawResult struct {
	Status int
	Code   string        // error.code of the JSON body, if any
	Body   string        // the body (at most 1 MiB)
	Took   time.Duration // until the status line arrived
	Sent   int64         // body bytes the server let the client write
	Close  bool          // the server said Connection: close
}

// rawPost sends a POST with a declared body of bodyLen bytes of "a" over a
// plain TCP connection, writing the body while it reads the answer, so
// that a server that answers before the body is read is seen doing so.
// chunked sends the body without Content-Length.
func rawPost(addr, path string, header http.Header, bodyLen int64, chunked bool) (rawResult, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return rawResult{}, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(90 * time.Second))
	var req strings.Builder
	fmt.Fprintf(&req, "POST %s HTTP/1.1\r\nHost: %s\r\n", path, addr)
	if chunked {
		req.WriteString("Transfer-Encoding: chunked\r\n")
	} else {
		fmt.Fprintf(&req, "Content-Length: %d\r\n", bodyLen)
	}
	for k, vs := range header {
		for _, v := range vs {
			fmt.Fprintf(&req, "%s: %s\r\n", k, v)
		}
	}
	req.WriteString("\r\n")
	start := time.Now()
	if _, err := io.WriteString(conn, req.String()); err != nil {
		return rawResult{}, err
	}
	var sent int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sent = writeBody(conn, bodyLen, chunked)
	}()
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return rawResult{}, fmt.Errorf("reading the answer: %w", err)
	}
	out := rawResult{Status: res.StatusCode, Took: time.Since(start), Close: res.Close}
	var body struct {
		Error struct{ Code string } `json:"error"`
	}
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	_ = json.Unmarshal(b, &body)
	out.Code, out.Body = body.Error.Code, string(b)
	conn.Close() // ends a body write the server no longer reads
	wg.Wait()
	out.Sent = sent
	return out, nil
}

// writeBody writes n bytes of "a" (chunked or not) until done or refused,
// and returns how many body bytes were written.
func writeBody(w io.Writer, n int64, chunked bool) int64 {
	chunk := []byte(strings.Repeat("a", 64<<10))
	var sent int64
	for sent < n {
		p := chunk
		if rest := n - sent; rest < int64(len(p)) {
			p = p[:rest]
		}
		var err error
		if chunked {
			_, err = fmt.Fprintf(w, "%x\r\n%s\r\n", len(p), p)
		} else {
			_, err = w.Write(p)
		}
		if err != nil {
			return sent
		}
		sent += int64(len(p))
	}
	if chunked {
		_, _ = io.WriteString(w, "0\r\n\r\n")
	}
	return sent
}

// apply sets the knobs a test chose on cfg.
func (c childConfig) apply(cfg *Config) {
	cfg.PreAuthBodyLimit, cfg.ImportLimit = c.PreAuthBodyLimit, c.ImportLimit
	cfg.MaxHeavy, cfg.HeavyWait = c.MaxHeavy, c.HeavyWait
}
