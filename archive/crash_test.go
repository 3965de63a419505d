package archive

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"wenshu/internal/testenv"
)

// The crash test runs filings in a child process (this test binary,
// re-executed to run only TestCrashChild) and SIGKILLs it — either at a
// named point of the filing sequence (the child kills itself there, so the
// point is exact) or after a delay chosen by the parent. The parent then
// reopens the store, which runs Recover, and checks the invariants.

const envCrashChild = "WENSHU_CRASH_CHILD"

type crashConfig struct {
	DataDir    string
	Bucket     string
	Point      string // kill at the After-th arrival here; "" for none
	After      int32
	ApproverID int64
	ArchivID   int64
	Drafts     []string
	Imports    int
}

// TestCrashChild is the child side of TestCrashRecovery. Run normally it
// has nothing to do and passes.
func TestCrashChild(t *testing.T) {
	raw := os.Getenv(envCrashChild)
	if raw == "" {
		return
	}
	var c crashConfig
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		t.Fatal(err)
	}
	var hits atomic.Int32
	crashHook = func(p string) {
		if p == c.Point && hits.Add(1) == c.After {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
	}
	srv := testenv.MinIO(t) // the parent's server, through testenv.EnvShared
	ctx := context.Background()
	s, err := New(ctx, Options{DataDir: c.DataDir, Bucket: c.Bucket, S3Endpoint: srv.Endpoint, S3AccessKey: srv.AccessKey,
		S3SecretKey: srv.SecretKey, Templates: fakeTemplates{}, SkipRecover: true})
	if err != nil {
		t.Fatal(err)
	}
	approver, err := s.Identity().GetUser(ctx, c.ApproverID)
	if err != nil {
		t.Fatal(err)
	}
	archiv, err := s.Identity().GetUser(ctx, c.ArchivID)
	if err != nil {
		t.Fatal(err)
	}
	jobs := make(chan func(), len(c.Drafts)+c.Imports)
	for _, id := range c.Drafts {
		jobs <- func() { s.ApproveDraft(ctx, approver, id) }
	}
	for i := 0; i < c.Imports; i++ {
		jobs <- func() {
			s.Import(ctx, archiv, ImportRequest{FileName: fmt.Sprintf("旧件%d.txt", i), Data: []byte(fmt.Sprintf("旧件正文%d", i)),
				Title: fmt.Sprintf("旧件%d", i), Kind: "报告", Year: 2019, Retention: RetentionPermanent})
		}
	}
	close(jobs)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				j()
			}
		}()
	}
	wg.Wait()
	s.Close()
}

func TestCrashRecovery(t *testing.T) {
	for _, tc := range []struct {
		name   string
		point  string
		after  int32
		delay  time.Duration
		killed bool // the child must have died by SIGKILL
	}{
		{"after numbers allocated", "allocated", 3, 0, true},
		{"after digests journaled", "rendered", 4, 0, true},
		{"after content stored", "content_stored", 5, 0, true},
		{"after manifest signed", "signed", 6, 0, true},
		{"after manifest stored", "manifest_stored", 4, 0, true},
		{"after catalogued", "catalogued", 7, 0, true},
		{"while voiding", "void_marker_stored", 1, 0, true},
		{"timer 40ms", "", 0, 40 * time.Millisecond, false},
		{"timer 120ms", "", 0, 120 * time.Millisecond, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			var drafts []string
			for i := 0; i < 12; i++ {
				drafts = append(drafts, e.draft(e.clerk, "notice", fmt.Sprintf("崩溃测试%02d", i)).ID)
			}
			failing := e.draft(e.clerk, "notice", "渲染失败（作废路径）").ID
			drafts = append(drafts[:6], append([]string{failing}, drafts[6:]...)...)
			e.s.Close()

			cfg := crashConfig{DataDir: e.opts.DataDir, Bucket: e.opts.Bucket, Point: tc.point, After: tc.after, ApproverID: e.approver.ID,
				ArchivID: e.archiv.ID, Drafts: drafts, Imports: 3}
			raw, err := json.Marshal(cfg)
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), e.srv.Env(), envCrashChild+"="+string(raw))
			out := &lockedBuffer{}
			cmd.Stdout, cmd.Stderr = out, out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			if tc.delay > 0 {
				time.Sleep(tc.delay)
				cmd.Process.Signal(syscall.SIGKILL)
			}
			err = cmd.Wait()
			ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
			killed := ws.Signaled() && ws.Signal() == syscall.SIGKILL
			if tc.killed && !killed {
				t.Fatalf("child was not killed at %s (err %v):\n%s", tc.point, err, out.String())
			}
			if !killed && err != nil {
				t.Fatalf("child failed: %v\n%s", err, out.String())
			}

			e.s = e.open() // runs Recover
			filed := checkCrashInvariants(t, e, drafts)
			t.Logf("killed=%v: %d of %d drafts filed after recovery", killed, filed, len(drafts))

			// Everything still a draft can be approved again, under new numbers.
			for _, id := range drafts {
				if id == failing {
					continue
				}
				d, err := e.s.GetDraft(e.ctx, e.clerk, id)
				if err != nil {
					t.Fatal(err)
				}
				if d.Status == DraftOpen {
					if _, err := e.s.ApproveDraft(e.ctx, e.approver, id); err != nil {
						t.Fatalf("re-approving %s: %v", id, err)
					}
				}
			}
			if n := checkCrashInvariants(t, e, drafts); n != len(drafts)-1 {
				t.Fatalf("%d drafts filed at the end, want %d", n, len(drafts)-1)
			}
		})
	}
}

// checkCrashInvariants asserts the post-recovery state and returns how many
// of the drafts are filed.
func checkCrashInvariants(t *testing.T, e *env, drafts []string) int {
	t.Helper()
	ctx := e.ctx
	if open := countRows(t, e, `SELECT COUNT(*) FROM filings WHERE status NOT IN ('filed', 'void')`); open != 0 {
		t.Fatalf("%d filings neither filed nor void after recovery", open)
	}
	filed := 0
	for _, id := range drafts {
		d, err := e.s.GetDraft(ctx, e.clerk, id)
		if err != nil {
			t.Fatal(err)
		}
		switch d.Status {
		case DraftFiled:
			filed++
			v, err := e.s.Verify(ctx, e.auditor, d.RecordID)
			if err != nil || !v.OK {
				t.Fatalf("filed draft %s: record %s does not verify: %+v %v", id, d.RecordID, v, err)
			}
		case DraftOpen:
			if d.ApproverID != 0 || d.RecordID != "" {
				t.Fatalf("draft %s back to draft but still carries approval: %+v", id, d)
			}
		default:
			t.Fatalf("draft %s is %s after recovery", id, d.Status)
		}
	}
	// Every number handed out is filed or void, exactly once, without gaps.
	type seqKey struct{ a, b string }
	seqs := map[seqKey][]int{}
	rows, err := e.s.cat.Reader().Query(`SELECT doc_agency, year, doc_seq, fonds, retention, org, item_no, source FROM filings`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var agency, fonds, ret, org, source string
		var year, item int
		var docSeq *int
		var ag *string
		if err := rows.Scan(&ag, &year, &docSeq, &fonds, &ret, &org, &item, &source); err != nil {
			t.Fatal(err)
		}
		if ag != nil {
			agency = *ag
		}
		if source == SourceGenerated && docSeq != nil {
			k := seqKey{"文号 " + agency, fmt.Sprint(year)}
			seqs[k] = append(seqs[k], *docSeq)
		}
		k := seqKey{"件号 " + fonds + "-" + ret + "-" + org, fmt.Sprint(year)}
		seqs[k] = append(seqs[k], item)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	for k, ns := range seqs {
		sort.Ints(ns)
		for i, n := range ns {
			if n != i+1 {
				t.Fatalf("%s %s: numbers %v are not 1…%d exactly once", k.a, k.b, ns, len(ns))
			}
		}
	}
	records := countRows(t, e, `SELECT COUNT(*) FROM records`)
	bv, err := e.s.VerifyBucketOnly(ctx, nil, nil)
	if err != nil || !bv.OK || bv.Records != records {
		t.Fatalf("bucket-only verify after recovery: %+v (catalog has %d records) %v", bv, records, err)
	}
	voids := countRows(t, e, `SELECT COUNT(*) FROM filings WHERE status = 'void'`)
	if bv.Voids != voids {
		t.Fatalf("%d void markers in the bucket, %d void filings in the catalog", bv.Voids, voids)
	}
	return filed
}

// countRows runs a COUNT query on the catalog; a failed query fails the
// test instead of reading as 0.
func countRows(t *testing.T, e *env, q string) int {
	t.Helper()
	var n int
	if err := e.s.cat.Reader().QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

type lockedBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	return len(p), nil
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}
