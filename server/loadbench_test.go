package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"wenshu/archive"
	"wenshu/identity"
	"wenshu/internal/indexer"
	"wenshu/internal/testenv"
	"wenshu/search"
	"wenshu/templates"
)

// BenchmarkLoad: search latency beside filing (issue 12, item 4). A real
// server (the wiring of `wenshu serve`: archive store on the test MinIO,
// search index fed by the indexer's OnFiled, listening on a loopback port)
// is seeded with WENSHU_LOAD_RECORDS imported records, then in one run:
//
//  1. idle: WENSHU_LOAD_SEARCHERS clients search for WENSHU_LOAD_SECONDS;
//  2. load: the same clients search while WENSHU_LOAD_FILERS clients each
//     create a talk-plan draft and have it approved (the clerk's own
//     token; the approval by the unit's head, as approval: head asks),
//     over and over, for as long.
//
// It prints a table and reports idle and loaded search p50/p99, their
// ratio and filings/s (201, plus 202 that filed by the end). Run it with
// bench/load.sh, or: go test -run '^$' -bench Load -benchtime 1x ./server/
// Knobs (environment): see loadConfig.
func BenchmarkLoad(b *testing.B) {
	cfg := loadConfigFromEnv(b)
	// As serve: GOMAXPROCS raised after the index is ready, MaxHeavy
	// from the CPU count (cmdServe).
	cpus := runtime.GOMAXPROCS(0)
	if cfg.maxHeavy == 0 {
		cfg.maxHeavy = 2 * cpus
	}
	lb := newLoadBench(b, cfg)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(cpus * cfg.procs))
	var res loadResult
	for b.Loop() {
		res = lb.run(b)
	}
	res.print(os.Stdout, cfg)
	b.ReportMetric(res.idle.p(50), "idle-p50-ms")
	b.ReportMetric(res.idle.p(99), "idle-p99-ms")
	b.ReportMetric(res.load.p(50), "load-p50-ms")
	b.ReportMetric(res.load.p(99), "load-p99-ms")
	b.ReportMetric(res.ratio(), "p99-ratio")
	b.ReportMetric(res.filingsPerSecond(), "filings/s")
}

// The load benchmark is not part of go test, and it had once been failing
// for a whole session unnoticed (the talk-plan began to need the unit's
// head): a short run of its own code keeps it working. Two filers file for
// a couple of seconds beside a searcher; any failed request fails the test
// (the clients report them), and something must have been filed and
// searched.
func TestLoadBenchRuns(t *testing.T) {
	cfg := loadConfig{records: 40, duration: 2 * time.Second, windows: 1, filers: 2, searchers: 1,
		think: 10 * time.Millisecond, procs: 1}
	lb := newLoadBench(t, cfg)
	res := lb.run(t)
	if res.filed == 0 || len(res.idle.d) == 0 || len(res.load.d) == 0 {
		t.Fatalf("filed %d, searches idle %d, loaded %d", res.filed, len(res.idle.d), len(res.load.d))
	}
}

// loadConfig holds the benchmark's knobs.
type loadConfig struct {
	records   int           // WENSHU_LOAD_RECORDS: records seeded (default 2000)
	duration  time.Duration // WENSHU_LOAD_SECONDS: length of each phase (default 30)
	windows   int           // WENSHU_LOAD_WINDOWS: idle/loaded window pairs the phases are cut into (default 5)
	filers    int           // WENSHU_LOAD_FILERS: filing clients (default 8)
	searchers int           // WENSHU_LOAD_SEARCHERS: search clients (default 2)
	think     time.Duration // WENSHU_LOAD_THINK_MS: pause between a client's searches (default 10)
	maxHeavy  int           // WENSHU_LOAD_MAX_HEAVY: Config.MaxHeavy (default 0: the server's default)
	writers   int           // WENSHU_LOAD_MAX_WRITERS: indexer MaxWriters (default 0: its default)
	procs     int           // WENSHU_LOAD_PROCS: GOMAXPROCS per CPU (default ProcsPerCPU, as serve; 1: one per CPU)
	linger    time.Duration // WENSHU_LOAD_LINGER_MS: indexer BatchLinger (default 0: its default; -1: none)
}

func loadConfigFromEnv(b *testing.B) loadConfig {
	num := func(key string, def int) int {
		v := os.Getenv(key)
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatalf("%s=%q: not an integer", key, v)
		}
		return n
	}
	return loadConfig{
		records:   num("WENSHU_LOAD_RECORDS", 2000),
		duration:  time.Duration(num("WENSHU_LOAD_SECONDS", 30)) * time.Second,
		windows:   max(1, num("WENSHU_LOAD_WINDOWS", 5)),
		filers:    num("WENSHU_LOAD_FILERS", 8),
		searchers: num("WENSHU_LOAD_SEARCHERS", 2),
		think:     time.Duration(num("WENSHU_LOAD_THINK_MS", 10)) * time.Millisecond,
		maxHeavy:  num("WENSHU_LOAD_MAX_HEAVY", 0),
		writers:   num("WENSHU_LOAD_MAX_WRITERS", 0),
		procs:     max(1, num("WENSHU_LOAD_PROCS", ProcsPerCPU)),
		linger:    time.Duration(num("WENSHU_LOAD_LINGER_MS", 0)) * time.Millisecond,
	}
}

// loadBench is the server under test and its users.
type loadBench struct {
	cfg      loadConfig
	store    *archive.Store
	idx      *indexer.Indexer
	base     string // http://127.0.0.1:port/api/v1
	client   *http.Client
	example  map[string]any
	searcher []string                       // tokens of the search clients
	filer    []struct{ clerk, appr string } // tokens of the filing clients
	seeding  atomic.Bool                    // imports skip OnFiled; CatchUp indexes them
}

var loadUnits = []identity.UnitInput{
	{Name: unitA, Code: "驻财纪", Fonds: "Z109", Org: "CZT"},
	{Name: unitB, Code: "驻教纪", Fonds: "Z110", Org: "JYT"},
}

func newLoadBench(b testing.TB, cfg loadConfig) *loadBench {
	b.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	mio := testenv.MinIO(b)
	dataDir := b.TempDir()
	h, err := indexer.Open(dataDir, search.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { h.Close() })
	reg, err := templates.New(templates.Options{})
	if err != nil {
		b.Fatal(err)
	}
	lb := &loadBench{cfg: cfg, client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: time.Minute}}
	lb.idx = &indexer.Indexer{Index: h.Index, Log: log, MaxWriters: cfg.writers, BatchLinger: cfg.linger}
	hook := func(ctx context.Context, rec *archive.Record, text string) error {
		if lb.seeding.Load() {
			return nil
		}
		return lb.idx.OnFiled(ctx, rec, text)
	}
	lb.store, err = archive.New(ctx, archive.Options{DataDir: dataDir, S3Endpoint: mio.Endpoint, S3AccessKey: mio.AccessKey,
		S3SecretKey: mio.SecretKey, Bucket: mio.Bucket(b), Logger: log, Templates: reg, OnFiled: hook,
		RecoverInterval: 10 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { lb.store.Close() })
	lb.idx.Store = lb.store
	tp, err := reg.Get("talk-plan")
	if err != nil {
		b.Fatal(err)
	}
	lb.example = tp.Example()
	archivists := lb.addUsers(b)
	lb.seed(b, archivists)
	srv, err := New(Config{Templates: reg, Store: lb.store, Index: h.Index, Logger: log, MaxHeavy: cfg.maxHeavy})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = srv.App().Listener(ln) }()
	b.Cleanup(func() { _ = srv.App().Shutdown() })
	lb.base = "http://" + ln.Addr().String() + "/api/v1"
	return lb
}

// addUsers adds both units with a head (an approver) each, a clerk per
// filer (filer i in unit i mod 2, approved by its unit's head), one clerk
// per search client and one archivist per unit, whom it returns.
func (lb *loadBench) addUsers(b testing.TB) []*identity.User {
	ctx := context.Background()
	dir := lb.store.Identity()
	var units []*identity.Unit
	for _, u := range loadUnits {
		unit, err := dir.AddUnit(ctx, u)
		if err != nil {
			b.Fatal(err)
		}
		units = append(units, unit)
	}
	add := func(name string, role identity.Role, unit int) *identity.AddUserResult {
		res, err := dir.AddUser(ctx, identity.NewUser{Name: name, Role: role, Unit: loadUnits[unit].Name, Clearance: identity.ClearanceSecret})
		if err != nil {
			b.Fatal(err)
		}
		return res
	}
	// a talk-plan is signed off by the unit's head (approval: head): each
	// unit's head approves for every filer of the unit
	var heads []string
	for i, unit := range units {
		h := add(fmt.Sprintf("主要负责人%d", i), identity.RoleApprover, i)
		if _, err := dir.SetUnitHead(ctx, nil, unit.ID, h.User.Name); err != nil {
			b.Fatal(err)
		}
		heads = append(heads, h.Token)
	}
	for i := 0; i < lb.cfg.filers; i++ {
		c := add(fmt.Sprintf("起草人%d", i), identity.RoleClerk, i%2)
		lb.filer = append(lb.filer, struct{ clerk, appr string }{c.Token, heads[i%2]})
	}
	for i := 0; i < lb.cfg.searchers; i++ {
		lb.searcher = append(lb.searcher, add(fmt.Sprintf("查阅人%d", i), identity.RoleClerk, i%2).Token)
	}
	return []*identity.User{add("档案员甲", identity.RoleArchivist, 0).User, add("档案员乙", identity.RoleArchivist, 1).User}
}

// seed imports cfg.records generated records (8 at once, alternating the
// units) and indexes them in one catch-up, as a restored archive would be.
func (lb *loadBench) seed(b testing.TB, archivists []*identity.User) {
	ctx := context.Background()
	start := time.Now()
	lb.seeding.Store(true)
	next := make(chan int)
	var wg sync.WaitGroup
	var failed atomic.Int64
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r := genLoadRecord(i)
				_, err := lb.store.Import(ctx, archivists[i%2], archive.ImportRequest{FileName: "r.txt", Data: []byte(r.body),
					Title: r.title, Kind: r.kind, Year: 2019 + i%8, Classification: identity.ClearanceInternal,
					Retention: archive.Retention10, Persons: r.persons, CaseNo: r.caseNo})
				if err != nil && failed.Add(1) == 1 {
					b.Errorf("seed import %d: %v", i, err)
				}
			}
		}()
	}
	for i := 0; i < lb.cfg.records; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	lb.seeding.Store(false)
	if failed.Load() > 0 {
		b.FailNow()
	}
	st, err := lb.idx.CatchUp(ctx, nil)
	if err != nil || st.Indexed != lb.cfg.records {
		b.Fatalf("seed catch-up: %+v %v", st, err)
	}
	fmt.Fprintf(os.Stdout, "seeded %d records in %s (indexed at %.0f docs/s)\n", lb.cfg.records,
		time.Since(start).Round(time.Second), st.DocsPerSecond())
}

// run measures the idle and the loaded phase in cfg.windows pairs of
// windows, idle then loaded, so that the other work of a shared machine
// weighs on both phases alike. Filers run only in loaded windows; each
// idle window starts a second after the filers stopped.
func (lb *loadBench) run(b testing.TB) loadResult {
	var res loadResult
	res.idleLoad = loadAverage()
	window := lb.cfg.duration / time.Duration(lb.cfg.windows)
	fs := make([]filerStats, lb.cfg.filers)
	for w := 0; w < lb.cfg.windows; w++ {
		time.Sleep(time.Second)
		cpu := processCPU()
		res.idle.add(lb.searchFor(b, window, nil))
		res.idleCPU += processCPU() - cpu
		stop := make(chan struct{})
		var wg sync.WaitGroup
		start, cpu := time.Now(), processCPU()
		for i := range fs {
			wg.Add(1)
			go func() { defer wg.Done(); lb.file(b, i, stop, &fs[i]) }()
		}
		res.load.add(lb.searchFor(b, window, stop))
		wg.Wait()
		res.loadTook += time.Since(start)
		res.loadCPU += processCPU() - cpu
	}
	res.loadLoad = loadAverage()
	for i := range fs {
		res.filed += fs[i].filed
		res.busy += fs[i].busy
		res.approve.add(fs[i].approve)
		res.pending = append(res.pending, fs[i].pending...)
	}
	res.filed += lb.settle(b, res.pending)
	return res
}

// searchFor runs the search clients for d and closes stop (if not nil)
// when they are done.
func (lb *loadBench) searchFor(b testing.TB, d time.Duration, stop chan struct{}) latencies {
	deadline := time.Now().Add(d)
	all := make([]latencies, len(lb.searcher))
	var wg sync.WaitGroup
	for i, tok := range lb.searcher {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := i; time.Now().Before(deadline); n++ {
				q := loadQueries[n%len(loadQueries)]
				t0 := time.Now()
				status, _ := lb.do(b, http.MethodGet, "/search?q="+urlQuery(q), tok, nil)
				all[i].addOne(time.Since(t0))
				if status != http.StatusOK {
					b.Errorf("search %q: status %d", q, status)
					return
				}
				time.Sleep(lb.cfg.think)
			}
		}()
	}
	wg.Wait()
	if stop != nil {
		close(stop)
	}
	var out latencies
	for _, l := range all {
		out.add(l)
	}
	return out
}

// processCPU is the user + system CPU time of this process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadAverage is the 1-minute load average ("" where unknown).
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil || len(b) == 0 {
		return ""
	}
	f := string(b)
	for i := range f {
		if f[i] == ' ' {
			return f[:i]
		}
	}
	return f
}
