package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"wenshu/audit"
)

// closeServer commits the server's audited reads (before its store closes).
func closeServer(t testing.TB, srv *Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Close(ctx); err != nil {
		t.Errorf("close server: %v", err)
	}
}

// trailEvent is one row of the audit trail, as the catalog holds it.
type trailEvent struct {
	Seq                                           int64
	Actor, Action, Record, Draft, Outcome, Detail string
}

// flushReads waits until every audited read so far is committed.
func (e *env) flushReads(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.srv.reads.rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// eventsAfter returns the events with a sequence number above seq, after
// committing every audited read.
func (e *env) eventsAfter(t testing.TB, seq int64) []trailEvent {
	t.Helper()
	e.flushReads(t)
	rows, err := e.store.AuditSink().Catalog().Reader().Query(`SELECT seq, actor_name, action, COALESCE(record_id, ''),
		COALESCE(draft_id, ''), outcome, detail FROM audit_events WHERE seq > ? ORDER BY seq`, seq)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []trailEvent
	for rows.Next() {
		var ev trailEvent
		if err := rows.Scan(&ev.Seq, &ev.Actor, &ev.Action, &ev.Record, &ev.Draft, &ev.Outcome, &ev.Detail); err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// headSeq is the trail's last sequence number, every read committed.
func (e *env) headSeq(t testing.TB) int64 {
	t.Helper()
	evs := e.eventsAfter(t, 0)
	if len(evs) == 0 {
		return 0
	}
	return evs[len(evs)-1].Seq
}

func actionsOf(evs []trailEvent) []string {
	out := make([]string, 0, len(evs))
	for _, ev := range evs {
		out = append(out, ev.Action)
	}
	return out
}

// readCase is one request and the event it must leave.
type readCase struct {
	who, method, path string
	web               bool
	action, outcome   string
	record, draft     string
	// detail is a part the event's detail must hold ("" for none).
	detail string
	// before are the actions another layer records synchronously during
	// the request (archive's record.verify on the record page).
	before []string
}

// auditFixture files a record and opens a draft in unit A, and logs a
// browser in for each user the cases need.
type auditFixture struct {
	e        *env
	rec, drf string
	browsers map[string]*browser
}

func newAuditFixture(t *testing.T) *auditFixture {
	t.Helper()
	e := newWebEnv(t)
	f := &auditFixture{e: e, browsers: map[string]*browser{}}
	f.rec = fileOne(t, e, "talk-plan", withoutNumber(example(t, e.reg, "talk-plan")))
	r := e.do(t, "clerk", "POST", "/api/v1/drafts", draftBody(withoutNumber(example(t, e.reg, "talk-plan")), "talk-plan"))
	if r.status != 201 {
		t.Fatalf("draft: %d %s", r.status, r.body)
	}
	var d struct{ ID string }
	r.json(t, &d)
	f.drf = d.ID
	for _, who := range []string{"clerk", "approver", "auditor", "admin", "other"} {
		f.browsers[who] = e.as(t, who)
	}
	return f
}

func (f *auditFixture) send(t *testing.T, c readCase) *resp {
	t.Helper()
	if !c.web {
		return f.e.do(t, c.who, c.method, c.path, nil)
	}
	b := f.browsers[c.who]
	if c.method == "POST" {
		return b.post(c.path, nil)
	}
	return b.get(c.path)
}

func (f *auditFixture) readCases() []readCase {
	r, d := f.rec, f.drf
	person, cs := url.PathEscape("张建国"), url.PathEscape("AJ-2026-007")
	api := func(who, method, path, action, outcome string) readCase {
		return readCase{who: who, method: method, path: "/api/v1" + path, action: action, outcome: outcome}
	}
	web := func(who, method, path, action, outcome string) readCase {
		return readCase{who: who, method: method, path: path, web: true, action: action, outcome: outcome}
	}
	onRec := func(c readCase) readCase { c.record = r; return c }
	onDraft := func(c readCase) readCase { c.draft = d; return c }
	// listing names what it returned: the record, or the open draft.
	listsRec := func(c readCase) readCase { c.detail = `"` + r + `"`; return c }
	listsDraft := func(c readCase) readCase { c.detail = `"` + d + `"`; return c }
	recPage := onRec(web("clerk", "GET", "/records/"+r, "record.meta", "ok"))
	recPage.before = []string{"record.verify"}
	return []readCase{
		listsDraft(api("clerk", "GET", "/drafts", "drafts.list", "ok")),
		onDraft(api("clerk", "GET", "/drafts/"+d, "draft.read", "ok")),
		onDraft(api("clerk", "GET", "/drafts/"+d+"/preview", "draft.preview", "ok")),
		onDraft(api("clerk", "GET", "/drafts/"+d+"/audit", "audit.view", "ok")),
		listsRec(api("clerk", "GET", "/records?year=2026", "records.list", "ok")),
		onRec(api("clerk", "GET", "/records/"+r, "record.meta", "ok")),
		onRec(api("clerk", "GET", "/records/"+r+"/content", "record.read", "ok")),
		onRec(api("clerk", "GET", "/records/"+r+"/verify", "record.verify", "ok")),
		onRec(api("auditor", "GET", "/records/"+r+"/audit", "audit.view", "ok")),
		onRec(api("clerk", "GET", "/records/"+r+"/corrections", "record.corrections", "ok")),
		listsRec(api("clerk", "GET", "/search?q=%E8%B0%88%E8%AF%9D", "search", "ok")),
		listsRec(api("clerk", "GET", "/persons/"+person+"/records", "person.view", "ok")),
		listsRec(api("clerk", "GET", "/cases/"+cs+"/records", "case.view", "ok")),
		api("clerk", "GET", "/saved-searches", "saved.list", "ok"),
		api("auditor", "GET", "/audit?action=record.read", "audit.query", "ok"),
		// Refused: another unit's record and draft are not found (404),
		// a role that may not is forbidden (403); mutations too.
		onRec(api("other", "GET", "/records/"+r, "record.meta", "denied")),
		onRec(api("other", "GET", "/records/"+r+"/content", "record.read", "denied")),
		onRec(api("other", "GET", "/records/"+r+"/verify", "record.verify", "denied")),
		onRec(api("other", "GET", "/records/"+r+"/audit", "audit.view", "denied")),
		onDraft(api("other", "GET", "/drafts/"+d, "draft.read", "denied")),
		onDraft(api("other", "GET", "/drafts/"+d+"/preview", "draft.preview", "denied")),
		api("clerk", "GET", "/audit", "audit.query", "denied"),
		onDraft(api("otherApprover", "POST", "/drafts/"+d+"/approve", "draft.approve", "denied")),
		onDraft(api("clerk", "POST", "/drafts/"+d+"/approve", "draft.approve", "denied")),
		onRec(api("other", "POST", "/records/"+r+"/supersede", "record.supersede", "denied")),
		api("clerk", "POST", "/records/import", "record.import", "denied"),
		// The pages.
		listsDraft(web("clerk", "GET", "/drafts", "drafts.list", "ok")),
		listsDraft(web("approver", "GET", "/queue", "drafts.list", "ok")),
		onDraft(web("clerk", "GET", "/drafts/"+d, "draft.read", "ok")),
		onDraft(web("clerk", "GET", "/drafts/"+d+"/edit", "draft.read", "ok")),
		onDraft(web("clerk", "GET", "/drafts/"+d+"/preview", "draft.preview", "ok")),
		listsRec(web("clerk", "GET", "/records", "records.list", "ok")),
		recPage,
		onRec(web("clerk", "GET", "/records/"+r+"/content", "record.read", "ok")),
		onRec(web("auditor", "GET", "/records/"+r+"/audit", "audit.view", "ok")),
		listsRec(web("clerk", "GET", "/search?q=%E8%B0%88%E8%AF%9D", "search", "ok")),
		listsRec(web("clerk", "GET", "/persons/"+person, "person.view", "ok")),
		listsRec(web("clerk", "GET", "/cases/"+cs, "case.view", "ok")),
		listsRec(web("auditor", "GET", "/audit", "audit.view", "ok")),
		web("admin", "GET", "/admin", "users.list", "ok"),
		onRec(web("other", "GET", "/records/"+r, "record.meta", "denied")),
		onRec(web("other", "GET", "/records/"+r+"/content", "record.read", "denied")),
		onRec(web("other", "GET", "/records/"+r+"/audit", "audit.view", "denied")),
		onDraft(web("other", "GET", "/drafts/"+d, "draft.read", "denied")),
		web("clerk", "GET", "/audit", "audit.view", "denied"),
		onRec(web("other", "POST", "/records/"+r+"/supersede", "record.supersede", "denied")),
		onDraft(web("other", "POST", "/drafts/"+d+"/approve", "draft.approve", "denied")),
	}
}

// TestEveryReadAudited: each read route, API and page, leaves exactly one
// event naming the caller, the action, the target and the outcome; a
// refusal (404 for another unit's record, 403 for a role) is a denied
// event naming the record or draft; the trail then verifies.
func TestEveryReadAudited(t *testing.T) {
	f := newAuditFixture(t)
	e := f.e
	for _, c := range f.readCases() {
		t.Run(fmt.Sprintf("%s %s as %s", c.method, c.path, c.who), func(t *testing.T) {
			mark := e.headSeq(t)
			r := f.send(t, c)
			wantDenied := c.outcome == "denied"
			if got := r.status == 403 || r.status == 404; got != wantDenied || r.status >= 500 {
				t.Fatalf("status %d (want denied: %v): %s", r.status, wantDenied, r.body)
			}
			evs := e.eventsAfter(t, mark)
			want := append(append([]string(nil), c.before...), c.action)
			if got := actionsOf(evs); strings.Join(got, " ") != strings.Join(want, " ") {
				t.Fatalf("events %v, want %v: %+v", got, want, evs)
			}
			ev := evs[len(evs)-1]
			if ev.Actor != userNames[c.who] && !(c.who == "otherApprover" && ev.Actor == "王海燕") {
				t.Errorf("actor %q, want %s", ev.Actor, c.who)
			}
			if ev.Outcome != c.outcome || ev.Record != c.record || ev.Draft != c.draft {
				t.Errorf("event %+v, want outcome %s record %q draft %q", ev, c.outcome, c.record, c.draft)
			}
			if !strings.Contains(ev.Detail, c.detail) {
				t.Errorf("detail %s lacks %s", ev.Detail, c.detail)
			}
			if wantDenied && !strings.Contains(ev.Detail, fmt.Sprintf(`"status":%d`, r.status)) {
				t.Errorf("denied event without its status: %q", ev.Detail)
			}
		})
	}
	// The same requests back to back, the events committed only at the
	// end: each names its own target (the request's buffers are reused
	// while the events wait in the queue). Synchronous events (archive's,
	// the audit query's) commit before queued ones: compare as sets.
	mark := e.headSeq(t)
	var want, got []string
	for _, c := range f.readCases() {
		f.send(t, c)
		for _, b := range c.before { // archive's, on the same record
			want = append(want, b+" ok "+c.record+" ")
		}
		want = append(want, c.action+" "+c.outcome+" "+c.record+" "+c.draft)
	}
	for _, ev := range e.eventsAfter(t, mark) {
		got = append(got, ev.Action+" "+ev.Outcome+" "+ev.Record+" "+ev.Draft)
	}
	sort.Strings(want)
	sort.Strings(got)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("burst events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Unauthenticated requests reach no data and are not audited.
	mark = e.headSeq(t)
	if r := e.do(t, "", "GET", "/api/v1/records/"+f.rec, nil); r.status != 401 {
		t.Fatalf("no token: %d", r.status)
	}
	if evs := e.eventsAfter(t, mark); len(evs) != 0 {
		t.Errorf("unauthenticated request audited: %+v", evs)
	}
	verifyTrail(t, e)
}

// verifyTrail runs audit.Verify over the catalog and the bucket, before
// and after a checkpoint seals the events.
func verifyTrail(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	db, sink := e.store.AuditSink().Catalog(), e.store.AuditSink()
	head := e.headSeq(t)
	for _, seal := range []bool{false, true} {
		if seal {
			if _, err := audit.NewCheckpointer(db, sink, audit.CheckpointOptions{}).Flush(ctx); err != nil {
				t.Fatal(err)
			}
		}
		rep, err := audit.Verify(ctx, db.Reader(), sink)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK || rep.Head != head || rep.Events != head || (seal && rep.Sealed != head) {
			t.Fatalf("verify (sealed %v): %+v", seal, rep)
		}
	}
}

// TestSearchAudited: the search event holds the query, the filters, the
// total hits and the ids returned, at most the page size, on the API and
// the page.
func TestSearchAudited(t *testing.T) {
	e := newWebEnv(t)
	plan := withoutNumber(example(t, e.reg, "talk-plan"))
	first, second := fileOne(t, e, "talk-plan", plan), fileOne(t, e, "talk-plan", plan)
	params := url.Values{"q": {"谈话"}, "person": {"张建国"}, "case": {"AJ-2026-007"}, "size": {"1"}}
	mark := e.headSeq(t)
	r, res := e.search(t, "clerk", params)
	if res == nil || res.Total != 2 || len(res.Hits) != 1 {
		t.Fatalf("search: %d %s", r.status, r.body)
	}
	checkSearchEvent(t, e.eventsAfter(t, mark), "李华", res.Total, hitIDs(res))
	clerk := e.as(t, "clerk")
	mark = e.headSeq(t)
	wantStatus(t, clerk.get("/search?"+params.Encode()), 200, "search page")
	evs := e.eventsAfter(t, mark)
	// The page asks for one hit per page too; which one is the index's order.
	ids := []string{first}
	if len(evs) == 1 && strings.Contains(evs[0].Detail, second) {
		ids = []string{second}
	}
	checkSearchEvent(t, evs, "李华", 2, ids)
	// A bad query is a failed search, with what was asked.
	mark = e.headSeq(t)
	if r := e.do(t, "clerk", "GET", "/api/v1/search?q=%22unclosed", nil); r.status != 400 {
		t.Fatalf("bad query: %d %s", r.status, r.body)
	}
	evs = e.eventsAfter(t, mark)
	if len(evs) != 1 || evs[0].Action != "search" || evs[0].Outcome != "failed" || !strings.Contains(evs[0].Detail, "unclosed") {
		t.Fatalf("failed search: %+v", evs)
	}
}

func checkSearchEvent(t *testing.T, evs []trailEvent, actor string, total uint64, ids []string) {
	t.Helper()
	if len(evs) != 1 || evs[0].Action != "search" || evs[0].Actor != actor || evs[0].Outcome != "ok" {
		t.Fatalf("search events: %+v", evs)
	}
	var d readDetail
	if err := json.Unmarshal([]byte(evs[0].Detail), &d); err != nil {
		t.Fatalf("detail %q: %v", evs[0].Detail, err)
	}
	if d.Query != "谈话" || d.Filters["person"] != "张建国" || d.Filters["case"] != "AJ-2026-007" || len(d.Filters) != 2 ||
		d.Total == nil || *d.Total != total || strings.Join(d.IDs, ",") != strings.Join(ids, ",") || d.Page != 1 {
		t.Errorf("search detail %s, want total %d ids %v", evs[0].Detail, total, ids)
	}
}

// TestShutdownFlushesReads: a burst of reads, the server shut down right
// after it; every read is in the trail.
func TestShutdownFlushesReads(t *testing.T) {
	e := newEnv(t)
	rec := fileOne(t, e, "talk-plan", withoutNumber(example(t, e.reg, "talk-plan")))
	mark := e.headSeq(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.srv.Listen(ctx, addr) }()
	const readers, each = 8, 25
	url := "http://" + addr + "/api/v1/records/" + rec
	waitListening(t, url)
	var wg sync.WaitGroup
	var mu sync.Mutex
	okReads := 0
	for range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				req, _ := http.NewRequest("GET", url, nil)
				req.Header.Set("Authorization", "Bearer "+e.tokens["clerk"])
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				res.Body.Close()
				if res.StatusCode == 200 {
					mu.Lock()
					okReads++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Listen closed the recorder: read the catalog without flushing.
	var n int
	err = e.store.AuditSink().Catalog().Reader().QueryRow(`SELECT count(*) FROM audit_events
		WHERE seq > ? AND action = 'record.meta' AND record_id = ?`, mark, rec).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	if okReads != readers*each || n != okReads {
		t.Fatalf("%d reads answered, %d audited, want %d", okReads, n, readers*each)
	}
}

// waitListening waits until the server answers (the token is not sent:
// a 401 is an answer).
func waitListening(t *testing.T, url string) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if res, err := http.Get(url); err == nil {
			res.Body.Close()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("server at %s does not answer", url)
}

// TestLoginsAudited: identity records logins through the web (success,
// failure, lockout after five wrong passwords, an unknown name); the
// middleware adds nothing to them.
func TestLoginsAudited(t *testing.T) {
	e := newWebEnv(t)
	mark := e.headSeq(t)
	e.as(t, "clerk") // logs in, then opens /records
	evs := e.eventsAfter(t, mark)
	if got := strings.Join(actionsOf(evs), " "); got != "auth.login records.list" || evs[0].Actor != "李华" || evs[0].Outcome != "ok" {
		t.Fatalf("login: %+v", evs)
	}
	mark = evs[len(evs)-1].Seq
	for range 5 {
		b := e.browser(t)
		b.get("/login")
		wantStatus(t, b.post("/login", url.Values{"name": {"陈敏"}, "password": {"wrong password"}}), 401, "wrong password")
	}
	b := e.browser(t)
	b.get("/login")
	wantStatus(t, b.post("/login", url.Values{"name": {"无此人"}, "password": {"x"}}), 401, "unknown user")
	evs = e.eventsAfter(t, mark)
	want := "auth.login_failed auth.login_failed auth.login_failed auth.login_failed auth.login_failed auth.lockout auth.login_failed"
	if got := strings.Join(actionsOf(evs), " "); got != want {
		t.Fatalf("failed logins: %s, want %s", got, want)
	}
	for _, ev := range evs[:5] {
		if ev.Actor != "陈敏" || ev.Outcome != "failed" || !strings.Contains(ev.Detail, "wrong_password") {
			t.Errorf("failed login %+v", ev)
		}
	}
	if last := evs[6]; last.Actor != "无此人" || last.Outcome != "failed" || !strings.Contains(last.Detail, "unknown_user") {
		t.Errorf("unknown user %+v", last)
	}
}

// TestUnauditedReadRefused: a server given a Recorder (Config.Audit)
// that can no longer record refuses the read (503) and serves nothing of
// the record, on the API and the page; Close leaves a given Recorder to
// its owner.
func TestUnauditedReadRefused(t *testing.T) {
	e := newWebEnv(t)
	rec := fileOne(t, e, "talk-plan", withoutNumber(example(t, e.reg, "talk-plan")))
	clerk := e.as(t, "clerk")
	recorder := audit.NewRecorder(e.store.AuditSink().Catalog(), audit.RecorderOptions{})
	srv, err := New(Config{Templates: e.reg, Store: e.store, Index: e.index, Logger: e.opts.Logger, Audit: recorder})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	if r := e.do(t, "clerk", "GET", "/api/v1/records/"+rec, nil); r.status != 200 {
		t.Fatalf("read with a working recorder: %d %s", r.status, r.body)
	}
	mark := e.headSeq(t)
	if err := recorder.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := e.do(t, "clerk", "GET", "/api/v1/records/"+rec, nil)
	if r.status != 503 || r.errorCode(t) != "audit_unavailable" || strings.Contains(string(r.body), rec) {
		t.Fatalf("API read without audit: %d %s", r.status, r.body)
	}
	p := clerk.get("/records/" + rec)
	if p.status != 503 || strings.Contains(string(p.body), rec) || !strings.Contains(string(p.body), "审计记录暂不可用") {
		t.Fatalf("page read without audit: %d %s", p.status, p.body)
	}
	closeServer(t, srv) // the given recorder is closed: Close is still clean
	var n int
	if err := e.store.AuditSink().Catalog().Reader().QueryRow(`SELECT count(*) FROM audit_events WHERE seq > ? AND action = 'record.meta'`, mark).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d record.meta events after the recorder closed", n)
	}
}
