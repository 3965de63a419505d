package server

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"wenshu/internal/testenv"
	"wenshu/templates"
)

// reconfigure rebuilds the server on the same store and index with the
// limits mod sets.
func (e *env) reconfigure(t *testing.T, mod func(*Config)) {
	t.Helper()
	cfg := Config{Templates: e.reg, Store: e.store, Index: e.index, Logger: e.opts.Logger}
	mod(&cfg)
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
}

// listen serves e's server on a loopback port, as `wenshu serve` does,
// for the tests that need a real connection.
func (e *env) listen(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	app := e.srv.App()
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.ShutdownWithTimeout(5 * time.Second) })
	return ln.Addr().String()
}

func bearer(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}, "Content-Type": {"application/json"}}
}

// Bodies are read only after the caller is known, and only up to the
// route's limit; a body left unread closes the connection.
func TestBodyLimits(t *testing.T) {
	e := newWebEnv(t)
	addr := e.listen(t)
	web := e.as(t, "clerk")
	session := http.Header{"Cookie": {sessionCookie + "=" + web.cookies[sessionCookie].Value},
		"Content-Type": {"application/x-www-form-urlencoded"}}
	jsonCT := http.Header{"Content-Type": {"application/json"}}
	gzipped := bearer(e.tokens["clerk"])
	gzipped.Set("Content-Encoding", "gzip")
	for _, tc := range []struct {
		name    string
		path    string
		header  http.Header
		size    int64
		chunked bool
		status  int
		code    string // "" for a page
		close   bool
	}{
		{"no token, 1 MiB", "/api/v1/drafts", jsonCT, 1 << 20, false, 401, "unauthenticated", true},
		{"no token, chunked", "/api/v1/drafts", jsonCT, 1 << 20, true, 401, "unauthenticated", true},
		{"no token, 50 MiB import", "/api/v1/records/import", jsonCT, 50 << 20, false, 401, "unauthenticated", true},
		{"token, 2 MiB JSON", "/api/v1/drafts", bearer(e.tokens["clerk"]), 2 << 20, false, 413, "body_too_large", true},
		{"token, chunked 2 MiB JSON", "/api/v1/drafts", bearer(e.tokens["clerk"]), 2 << 20, true, 413, "body_too_large", true},
		{"token, 100 KiB read whole", "/api/v1/drafts", bearer(e.tokens["clerk"]), 100 << 10, false, 400, "bad_json", false},
		{"token, chunked 100 KiB read whole", "/api/v1/drafts", bearer(e.tokens["clerk"]), 100 << 10, true, 400, "bad_json", false},
		{"import over the upload limit", "/api/v1/records/import", bearer(e.tokens["archivist"]), 52 << 20, false, 413, "body_too_large", true},
		{"compressed body", "/api/v1/drafts", gzipped, 100, false, 415, "unsupported_encoding", true},
		{"page without session", "/drafts/new", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, 20 << 20, false, 403, "", true},
		{"page with session, 20 MiB form", "/drafts/new", session, 20 << 20, false, 413, "", true},
		{"login form, chunked 100 KiB", "/login", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, 100 << 10, true, 413, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := rawPost(addr, tc.path, tc.header, tc.size, tc.chunked)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != tc.status || r.Code != tc.code || r.Close != tc.close {
				t.Errorf("%d %q close=%v, want %d %q close=%v\n%.300s", r.Status, r.Code, r.Close, tc.status, tc.code, tc.close, r.Body)
			}
			if tc.status == 413 && tc.code != "" && !strings.Contains(r.Body, "MiB") {
				t.Errorf("413 does not name the limit: %s", r.Body)
			}
			// (Smaller bodies fit in the sockets' buffers.)
			if tc.close && tc.size >= 16<<20 && r.Sent >= tc.size {
				t.Errorf("the server let the whole %d-byte body in before answering", tc.size)
			}
			t.Logf("answered in %s after %d KB of the body", r.Took.Round(time.Microsecond), r.Sent>>10)
		})
	}
}

// An import streams to a temporary file that is gone when the request
// ends; the file may be exactly ImportLimit bytes, not one more.
func TestImportLimitAndTempFile(t *testing.T) {
	e := newEnv(t)
	tmp := t.TempDir()
	e.reconfigure(t, func(c *Config) { c.ImportLimit, c.TempDir = 1<<20, tmp })
	upload := func(data []byte) *resp {
		body, ct := importForm(t, "limit.txt", data)
		req := httptest.NewRequest("POST", "/api/v1/records/import", bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Authorization", "Bearer "+e.tokens["archivist"])
		return e.send(t, req)
	}
	exact := bytes.Repeat([]byte("纪"), (1<<20)/3)
	exact = append(exact, strings.Repeat("a", 1<<20-len(exact))...)
	if r := upload(exact); r.status != 201 {
		t.Fatalf("a file of exactly the limit: %d %s", r.status, r.body)
	}
	r := upload(append(exact, 'a'))
	var b struct {
		Error struct{ Code, Field, Message string } `json:"error"`
	}
	r.json(t, &b)
	if r.status != 413 || b.Error.Code != "body_too_large" || b.Error.Field != "file" || !strings.Contains(b.Error.Message, "1 MiB") {
		t.Errorf("one byte over the limit: %d %s", r.status, r.body)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// When MaxHeavy imports and approvals run, the next waits HeavyWait and
// gets 503 busy with Retry-After; an unknown caller never takes a place.
func TestHeavyGate(t *testing.T) {
	e := newWebEnv(t)
	e.reconfigure(t, func(c *Config) { c.MaxHeavy, c.HeavyWait = 1, 100*time.Millisecond })
	r := e.do(t, "clerk", "POST", "/api/v1/drafts", draftBody(example(t, e.reg, "talk-plan"), "talk-plan"))
	var d struct{ ID string }
	r.json(t, &d)
	web := e.as(t, "approver")
	e.srv.heavy.slots <- struct{}{} // every place taken
	busy := func(what string, r *resp) {
		t.Helper()
		if r.status != 503 || r.header.Get("Retry-After") != "1" {
			t.Errorf("%s while full: %d Retry-After %q %s", what, r.status, r.header.Get("Retry-After"), r.body)
		}
	}
	r = e.do(t, "approver", "POST", "/api/v1/drafts/"+d.ID+"/approve", nil)
	busy("approve", r)
	if code := r.errorCode(t); code != "busy" {
		t.Errorf("approve while full: code %s", code)
	}
	body, ct := importForm(t, "a.txt", []byte("谈话记录"))
	req := httptest.NewRequest("POST", "/api/v1/records/import", bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Authorization", "Bearer "+e.tokens["archivist"])
	busy("import", e.send(t, req))
	busy("web approve", web.post("/drafts/"+d.ID+"/approve", nil))
	if r := e.do(t, "", "POST", "/api/v1/drafts/"+d.ID+"/approve", nil); r.status != 401 {
		t.Errorf("approve without token while full: %d, want 401", r.status)
	}
	<-e.srv.heavy.slots
	if r := e.do(t, "approver", "POST", "/api/v1/drafts/"+d.ID+"/approve", nil); r.status != 201 {
		t.Errorf("approve once a place is free: %d %s", r.status, r.body)
	}
}

// A burst of imports beyond MaxHeavy, on a server process: each is filed
// or refused busy, none fails.
func TestImportBurst(t *testing.T) {
	srv := startChildServer(t, childConfig{MaxHeavy: 2, HeavyWait: 20 * time.Millisecond})
	const n = 12
	text := largeText(256 << 10)
	results := make([]importResult, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = postImport(t, srv.URL, srv.Tokens["archivist"], "burst.txt", text)
		}()
	}
	wg.Wait()
	count := map[int]int{}
	for _, r := range results {
		count[r.Status]++
		if r.Status != 201 && (r.Status != 503 || r.Code != "busy") {
			t.Errorf("burst import: %d %s", r.Status, r.Code)
		}
	}
	t.Logf("%d imports at once, MaxHeavy 2: %v", n, count)
	if count[201] == 0 || count[503] == 0 {
		t.Errorf("want some filed and some busy: %v", count)
	}
}

// /readyz is 503 within 5 s of MinIO stopping (paused or killed), 200 when
// it is back; /healthz stays 200; neither names the endpoint or bucket.
func TestReadyz(t *testing.T) {
	mio := testenv.StartMinIO(t)
	e := newEnvOn(t, mio, templates.Options{}, nil)
	ready := func(what string, want int) *resp {
		t.Helper()
		start := time.Now()
		r := e.do(t, "", "GET", "/readyz", nil)
		took := time.Since(start)
		t.Logf("%s: /readyz %d in %s: %s", what, r.status, took.Round(time.Millisecond), r.body)
		if r.status != want {
			t.Errorf("%s: /readyz %d, want %d", what, r.status, want)
		}
		if took > 5*time.Second {
			t.Errorf("%s: /readyz took %s", what, took)
		}
		for _, secret := range []string{mio.Endpoint, mio.SecretKey, e.opts.Bucket, e.opts.DataDir} {
			if strings.Contains(string(r.body), secret) {
				t.Errorf("%s: /readyz names %q", what, secret)
			}
		}
		return r
	}
	var body readiness
	ready("running", 200).json(t, &body)
	if body.Status != "ready" || len(body.Components) != 3 {
		t.Errorf("running: %+v", body)
	}
	if err := mio.Pause(); err != nil {
		t.Fatal(err)
	}
	ready("paused", 503).json(t, &body)
	if states := readyStates(body); states["storage"] != "timeout" || states["catalog"] != "ok" || states["index"] != "ok" {
		t.Errorf("paused: %v", states)
	}
	if r := e.do(t, "", "GET", "/healthz", nil); r.status != 200 {
		t.Errorf("healthz while MinIO is paused: %d", r.status)
	}
	if err := mio.Resume(); err != nil {
		t.Fatal(err)
	}
	ready("resumed", 200)
	if err := mio.Kill(); err != nil {
		t.Fatal(err)
	}
	ready("killed", 503)
	if err := mio.Restart(); err != nil {
		t.Fatal(err)
	}
	ready("restarted", 200)
}

func readyStates(b readiness) map[string]string {
	m := map[string]string{}
	for _, c := range b.Components {
		m[c.Name] = c.State
	}
	return m
}
