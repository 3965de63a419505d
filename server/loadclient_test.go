package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"testing"
	"time"
)

// The clients of the load benchmark (loadbench_test.go) and its figures.

// filerStats is what one filing client did.
type filerStats struct {
	filed   int      // approvals answered 201
	busy    int      // approvals answered 503 busy (retried)
	pending []string // filing ids answered 202
	approve latencies
}

// file creates and approves drafts until stop is closed. A 503 busy is
// retried after a short pause, as a client honouring Retry-After would.
func (lb *loadBench) file(b testing.TB, filer int, stop <-chan struct{}, st *filerStats) {
	f := lb.filer[filer]
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		status, body := lb.do(b, http.MethodPost, "/drafts", f.clerk, map[string]any{
			"template": "talk-plan", "fields": loadDraftFields(lb.example, filer, n), "case_no": fmt.Sprintf("AJ-LOAD-%d", filer),
			"persons": []string{"张建国"}, "classification": "秘密", "retention": "D10"})
		if status != http.StatusCreated {
			b.Errorf("filer %d: create draft: %d %s", filer, status, body)
			return
		}
		var d struct{ ID string }
		if err := json.Unmarshal(body, &d); err != nil {
			b.Errorf("filer %d: draft: %v", filer, err)
			return
		}
		if !lb.approve(b, filer, d.ID, stop, st) {
			return
		}
	}
}

// approve approves one draft, retrying while the server is busy; false
// when the client must stop (an error, or stop while waiting).
func (lb *loadBench) approve(b testing.TB, filer int, draft string, stop <-chan struct{}, st *filerStats) bool {
	for {
		t0 := time.Now()
		status, body := lb.do(b, http.MethodPost, "/drafts/"+draft+"/approve", lb.filer[filer].appr, map[string]any{})
		switch status {
		case http.StatusCreated:
			st.approve.addOne(time.Since(t0))
			st.filed++
			return true
		case http.StatusAccepted:
			var p struct {
				FilingID string `json:"filing_id"`
			}
			_ = json.Unmarshal(body, &p)
			st.pending = append(st.pending, p.FilingID)
			return true
		case http.StatusServiceUnavailable:
			st.busy++
			select {
			case <-stop:
				return false
			case <-time.After(50 * time.Millisecond):
			}
		default:
			b.Errorf("filer %d: approve: %d %s", filer, status, body)
			return false
		}
	}
}

// settle waits (up to a minute) for the filings answered 202 and
// returns how many filed.
func (lb *loadBench) settle(b testing.TB, ids []string) int {
	filed := 0
	deadline := time.Now().Add(time.Minute)
	for _, id := range ids {
		for time.Now().Before(deadline) {
			_, body := lb.do(b, http.MethodGet, "/filings/"+id, lb.filer[0].appr, nil)
			var f struct{ Status string }
			_ = json.Unmarshal(body, &f)
			if f.Status == "filed" {
				filed++
				break
			}
			if f.Status == "void" {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	return filed
}

// do sends one request with a bearer token and returns status and body.
func (lb *loadBench) do(b testing.TB, method, path, token string, body any) (int, []byte) {
	var rd io.Reader
	if body != nil {
		buf, err := json.Marshal(body)
		if err != nil {
			b.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, lb.base+path, rd)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := lb.client.Do(req)
	if err != nil {
		b.Errorf("%s %s: %v", method, path, err)
		return 0, nil
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func urlQuery(q string) string { return url.QueryEscape(q) }

// latencies collects durations.
type latencies struct{ d []time.Duration }

func (l *latencies) addOne(d time.Duration) { l.d = append(l.d, d) }
func (l *latencies) add(o latencies)        { l.d = append(l.d, o.d...) }

// p is the q-th percentile in ms (nearest rank), 0 when empty.
func (l *latencies) p(q float64) float64 {
	if len(l.d) == 0 {
		return 0
	}
	s := slices.Clone(l.d)
	slices.Sort(s)
	i := int(float64(len(s))*q/100+0.5) - 1
	i = min(max(i, 0), len(s)-1)
	return float64(s[i].Microseconds()) / 1000
}

// loadResult is one run's figures.
type loadResult struct {
	idle, load         latencies // search latencies of the two phases
	approve            latencies // approvals answered 201
	filed, busy        int
	pending            []string
	loadTook           time.Duration // wall time of the loaded windows, until the filers stopped
	idleCPU, loadCPU   time.Duration // CPU time of this process in each phase (the server and its clients; MinIO apart)
	idleLoad, loadLoad string        // 1-minute load averages at the start of each phase's end
}

func (r *loadResult) ratio() float64 {
	if r.idle.p(99) == 0 {
		return 0
	}
	return r.load.p(99) / r.idle.p(99)
}

func (r *loadResult) filingsPerSecond() float64 {
	if r.loadTook <= 0 {
		return 0
	}
	return float64(r.filed) / r.loadTook.Seconds()
}

func (r *loadResult) print(w io.Writer, cfg loadConfig) {
	fmt.Fprintf(w, "\nsearch under filing load: %d records, %d search clients (%v pause), %d filers, %s per phase in %d windows, GOMAXPROCS %d, max-heavy %d (heavy gate), index writers %d, linger %v\n",
		cfg.records, cfg.searchers, cfg.think, cfg.filers, cfg.duration, cfg.windows, runtime.GOMAXPROCS(0), cfg.maxHeavy, cfg.writers, cfg.linger)
	fmt.Fprintf(w, "| phase | searches | search p50 ms | search p99 ms | filings/s | approve p50 / p99 ms | busy 503 | CPU s | load avg |\n")
	fmt.Fprintf(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	fmt.Fprintf(w, "| idle | %d | %.2f | %.2f | – | – | – | %.1f | %s |\n", len(r.idle.d), r.idle.p(50), r.idle.p(99), r.idleCPU.Seconds(), r.idleLoad)
	fmt.Fprintf(w, "| %d filers | %d | %.2f | %.2f | %.1f | %.1f / %.1f | %d | %.1f | %s |\n", cfg.filers, len(r.load.d), r.load.p(50), r.load.p(99),
		r.filingsPerSecond(), r.approve.p(50), r.approve.p(99), r.busy, r.loadCPU.Seconds(), r.loadLoad)
	perFiling := 0.0
	if r.filed > 0 {
		perFiling = float64((r.loadCPU - r.idleCPU).Milliseconds()) / float64(r.filed)
	}
	fmt.Fprintf(w, "p99 ratio loaded / idle: %.2f× (%d filed, %d of them answered 202 first; %.1f ms of server CPU per filing)\n\n",
		r.ratio(), r.filed, len(r.pending), perFiling)
}
