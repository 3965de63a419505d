package search

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2/registry"
	"github.com/yanyiwu/gojieba"
)

// Benchmarks (none runs in the default test suite):
//
//	go test -run '^$' -bench . -benchtime 1x ./search/
//	WENSHU_BENCH_DOCS=100000 go test -run '^$' -bench 'Search|Index' -benchtime 1x -timeout 2h ./search/

func benchDocs() int {
	if n, err := strconv.Atoi(os.Getenv("WENSHU_BENCH_DOCS")); err == nil && n > 0 {
		return n
	}
	return 10000
}

// benchOptions are the Options of the indexing benchmarks;
// WENSHU_BENCH_BULK_BATCH sets BulkBatchSize.
func benchOptions() Options {
	n, _ := strconv.Atoi(os.Getenv("WENSHU_BENCH_BULK_BATCH"))
	return Options{BulkBatchSize: n}
}

func plainDocs(g []genDoc) []Doc {
	out := make([]Doc, len(g))
	for i, d := range g {
		out[i] = d.Doc
	}
	return out
}

// BenchmarkQuality reports recall@10 and precision@10 of the same query set
// for this package's analyzer and for Bleve's built-in cjk analyzer alone
// (bare terms as a match query with Bleve's default OR, and with AND).
func BenchmarkQuality(b *testing.B) {
	corpus := genCorpus(qualityDocs)
	qs := genQueries(corpus)
	docs := plainDocs(corpus)
	for _, c := range []struct {
		name string
		opts Options
	}{
		{"jieba", Options{}},
		{"cjk-or", Options{mode: modeCJKOnly, baseOp: "or"}},
		{"cjk-and", Options{mode: modeCJKOnly, baseOp: "and"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			ix := openTest(b, c.opts, docs...)
			b.ResetTimer()
			var q quality
			var sr, sp substringRecall
			for i := 0; i < b.N; i++ {
				q = measure(b, ix, qs)
				sr = measureSubstrings(b, ix, docs, everyone, drawSubstrings(rand.New(rand.NewSource(3)), docs, 100))
			}
			b.StopTimer()
			pdocs := genSubstringCorpus(600)
			pix := openTest(b, c.opts, pdocs...)
			sp = measureSubstrings(b, pix, pdocs, Viewer{Units: cUnits[:4], Clearance: "秘密"}, drawSubstrings(rand.New(rand.NewSource(5)), pdocs, 400))
			b.ReportMetric(q.recall, "recall@10")
			b.ReportMetric(q.precision, "precision@10")
			b.ReportMetric(float64(q.queries), "queries")
			b.ReportMetric(sr.bare, "substr_bare")
			b.ReportMetric(sr.quoted, "substr_quoted")
			b.ReportMetric(sp.bare, "property_bare")
			b.ReportMetric(sp.quoted, "property_quoted")
		})
	}
}

// BenchmarkIndexVsSegment indexes WENSHU_BENCH_DOCS records (default
// 10000) of the benchmark shape and segments the same text with raw jieba
// on one goroutine (search mode, the index tokenizer's own call, of title,
// body and meta), reporting both rates and their ratio. "all" hands every
// record to one Index call; "calls-of-500" calls Index with 500 records at a
// time, as internal/indexer's reindex does; "bulk-calls-of-500" does the
// same between BeginBulk and EndBulk (the time includes EndBulk's sync).
// Run it under taskset -c 0 for the one-core figures.
func BenchmarkIndexVsSegment(b *testing.B) {
	docs := plainDocs(genCorpusShape(benchDocs(), benchShape))
	s := testSegmenter(b)
	for _, c := range []struct {
		name  string
		chunk int
		bulk  bool
	}{{"all", len(docs), false}, {"calls-of-500", 500, false}, {"bulk-calls-of-500", 500, true}} {
		b.Run(c.name, func(b *testing.B) {
			var idxRate, segRate float64
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				for _, d := range docs {
					for _, text := range []string{d.Title, d.Body, d.fields()[fMeta].(string)} {
						s.jb.Tokenize(text, gojieba.SearchMode, true)
					}
				}
				segRate = float64(len(docs)) / time.Since(t0).Seconds()

				ix, err := Open(b.TempDir(), benchOptions())
				if err != nil {
					b.Fatal(err)
				}
				t0 = time.Now()
				if c.bulk {
					if err := ix.BeginBulk(); err != nil {
						b.Fatal(err)
					}
				}
				for start := 0; start < len(docs); start += c.chunk {
					if err := ix.Index(context.Background(), docs[start:min(start+c.chunk, len(docs))]...); err != nil {
						b.Fatal(err)
					}
				}
				if c.bulk {
					if err := ix.EndBulk(); err != nil { // everything on disk
						b.Fatal(err)
					}
				}
				idxRate = float64(len(docs)) / time.Since(t0).Seconds()
				ix.Close()
			}
			b.ReportMetric(float64(len(docs)), "docs")
			b.ReportMetric(idxRate, "index_docs/s")
			b.ReportMetric(segRate, "segment_docs/s")
			b.ReportMetric(idxRate/segRate, "ratio")
		})
	}
}

// benchViewer is one user of the latency benchmark and what it asks.
type benchViewer struct {
	name string
	v    Viewer
	reqs []benchReq
}

// benchReq is a request and the kind of query it is, for the breakdown.
type benchReq struct {
	kind string
	r    Request
}

// partTerms are partial or differently worded terms per problem index.
var partTerms = map[int]string{0: "礼金", 1: "八项规定", 4: "漏报", 5: "招投标"}

// viewerQueries draws k documents the viewer may see and derives the query
// mix from them: a name, procedure + name, problem + procedure, an exact
// phrase + name, a 文号, a differently worded problem + name, a partial
// term + name, a year filter, a person filter, and four broad requests
// (list everything, an OR with an exclusion, a term in every record sorted
// by date, a frequent term of art by relevance).
func viewerQueries(r *rand.Rand, corpus []genDoc, v Viewer, k int) []benchReq {
	rank := classRank(v.Clearance)
	units := map[string]bool{}
	for _, u := range v.Units {
		units[u] = true
	}
	var vis []genDoc
	for _, d := range corpus {
		if units[d.Unit] && classRank(d.Classification) <= rank {
			vis = append(vis, d)
		}
	}
	reqs := []benchReq{{"list all", Request{}}, {"OR + NOT", Request{Q: "三重一大 OR 八项规定 -问责"}},
		{"term in every record, by date", Request{Q: "纪检监察", Sort: "-filed_at"}}, {"frequent term", Request{Q: "谈话函询"}}}
	for i := 0; i < k && len(vis) > 0; i++ {
		d := vis[r.Intn(len(vis))]
		p := d.persons[0]
		t, pr := topics[d.topic].term, problems[d.problem].term
		part := partTerms[d.problem]
		if part == "" {
			part = pr
		}
		reqs = append(reqs,
			benchReq{"name", Request{Q: p}},
			benchReq{"procedure + name", Request{Q: t + " " + p}},
			benchReq{"problem + procedure", Request{Q: pr + " " + t}},
			benchReq{"phrase + name", Request{Q: `"` + t + `" ` + p}},
			benchReq{"文号", Request{Q: d.DocNumber}},
			benchReq{"reworded + name", Request{Q: "违反八项规定精神 " + p}},
			benchReq{"partial + name", Request{Q: part + " " + p}},
			benchReq{"procedure + year", Request{Q: t, Year: d.Year}},
			benchReq{"person filter", Request{Person: p}},
		)
	}
	return reqs
}

// benchViewers returns the production-like mix (clerks of one unit, drawn
// by unit size, mostly at 内部; archivists granted 2–5 units at 秘密 or 机密)
// and, apart, the worst case: an archivist granted every unit at 机密.
func benchViewers(corpus []genDoc, shape corpusShape) (mix []benchViewer, worst benchViewer) {
	r := rand.New(rand.NewSource(7))
	for i := 0; i < 16; i++ {
		u := shape.units[shape.pick(r)]
		cl := "内部"
		if i%4 == 3 {
			cl = "秘密"
		}
		v := Viewer{Units: []string{u}, Clearance: cl}
		mix = append(mix, benchViewer{"clerk " + u + " " + cl, v, viewerQueries(r, corpus, v, 2)})
	}
	for i := 0; i < 6; i++ {
		seen := map[string]bool{}
		var us []string
		for n := 2 + r.Intn(4); len(us) < n; {
			if u := shape.units[shape.pick(r)]; !seen[u] {
				seen[u] = true
				us = append(us, u)
			}
		}
		cl := []string{"秘密", "机密"}[i%2]
		v := Viewer{Units: us, Clearance: cl}
		mix = append(mix, benchViewer{fmt.Sprintf("archivist %d units %s", len(us), cl), v, viewerQueries(r, corpus, v, 2)})
	}
	all := Viewer{Units: shape.units, Clearance: "机密"}
	worst = benchViewer{"archivist all units 机密", all, viewerQueries(r, corpus, all, 4)}
	return mix, worst
}

// benchIndex opens an index of corpus. With WENSHU_BENCH_INDEX_DIR set, an
// index already there with the same number of records and the current
// schema is reused (the corpus is deterministic); otherwise it is built.
func benchIndex(b *testing.B, corpus []genDoc) *Index {
	dir := os.Getenv("WENSHU_BENCH_INDEX_DIR")
	if dir == "" {
		return openTest(b, Options{}, plainDocs(corpus)...)
	}
	dir = filepath.Join(dir, strconv.Itoa(len(corpus)))
	ix, current := openBenchIndex(b, dir, len(corpus))
	if !current {
		ix.Close()
		var err error
		if err := os.RemoveAll(dir); err != nil {
			b.Fatal(err)
		}
		if ix, err = Open(dir, Options{}); err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		if err := ix.BeginBulk(); err != nil {
			b.Fatal(err)
		}
		docs := plainDocs(corpus)
		for start := 0; start < len(docs); start += 500 {
			if err := ix.Index(context.Background(), docs[start:min(start+500, len(docs))]...); err != nil {
				b.Fatal(err)
			}
		}
		if err := ix.EndBulk(); err != nil {
			b.Fatal(err)
		}
		b.Logf("built %d records in bulk mode in %s", len(docs), time.Since(t0).Round(time.Millisecond))
	}
	b.Cleanup(func() { ix.Close() })
	return ix
}

// openBenchIndex opens the index at path and reports whether it holds n
// records of the current schema and dictionary (the corpus is
// deterministic, so it can be reused).
func openBenchIndex(b *testing.B, path string, n int) (*Index, bool) {
	testSegmenter(b)
	ix, err := Open(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	count, _ := ix.Count()
	stale, _ := ix.NeedsReindex()
	return ix, count == uint64(n) && !stale
}

// benchSetup opens the benchmark index and its viewers. With
// WENSHU_BENCH_INDEX_DIR set, the viewers are kept beside the index
// (<dir>/<n>.viewers.json): a later run on the same index reads them and
// never generates the corpus, so the process holds the index's memory
// only (what the RSS figures are for).
func benchSetup(b *testing.B) (*Index, []benchViewer, benchViewer) {
	var saved string
	if dir := os.Getenv("WENSHU_BENCH_INDEX_DIR"); dir != "" {
		saved = filepath.Join(dir, strconv.Itoa(benchDocs())+".viewers.json")
		if ix, mix, worst, ok := reopenBench(b, dir, saved); ok {
			return ix, mix, worst
		}
	}
	corpus := genCorpusShape(benchDocs(), benchShape)
	ix := benchIndex(b, corpus)
	mix, worst := benchViewers(corpus, benchShape)
	if saved != "" {
		data, err := json.Marshal(append(savedViewers(mix), savedViewers([]benchViewer{worst})...))
		if err == nil {
			err = os.WriteFile(saved, data, 0o600)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	// the generated records are not the index's memory: let them go
	corpus = nil
	debug.FreeOSMemory()
	return ix, mix, worst
}

// savedViewer is a benchViewer as benchSetup keeps it.
type savedViewer struct {
	Name  string
	V     Viewer
	Kinds []string
	Reqs  []Request
}

func savedViewers(vs []benchViewer) []savedViewer {
	var out []savedViewer
	for _, v := range vs {
		sv := savedViewer{Name: v.name, V: v.v}
		for _, r := range v.reqs {
			sv.Kinds, sv.Reqs = append(sv.Kinds, r.kind), append(sv.Reqs, r.r)
		}
		out = append(out, sv)
	}
	return out
}

// reopenBench opens the index of benchDocs records under dir with the
// viewers saved beside it, if both are there and the index is current.
func reopenBench(b *testing.B, dir, saved string) (*Index, []benchViewer, benchViewer, bool) {
	data, err := os.ReadFile(saved)
	if err != nil {
		return nil, nil, benchViewer{}, false
	}
	var svs []savedViewer
	if err := json.Unmarshal(data, &svs); err != nil || len(svs) < 2 {
		return nil, nil, benchViewer{}, false
	}
	ix, current := openBenchIndex(b, filepath.Join(dir, strconv.Itoa(benchDocs())), benchDocs())
	if !current {
		ix.Close()
		return nil, nil, benchViewer{}, false
	}
	b.Cleanup(func() { ix.Close() })
	var vs []benchViewer
	for _, sv := range svs {
		v := benchViewer{name: sv.Name, v: sv.V}
		for i, r := range sv.Reqs {
			v.reqs = append(v.reqs, benchReq{sv.Kinds[i], r})
		}
		vs = append(vs, v)
	}
	b.Logf("reopened %d records and %d viewers; no corpus generated", benchDocs(), len(vs))
	return ix, vs[:len(vs)-1], vs[len(vs)-1], true
}

// latencies runs every viewer's requests rounds times (after one warm-up
// round) and returns the sorted latencies, the slowest 1 % of the requests
// (at least one), slowest first, and the latencies by kind of query.
func latencies(b *testing.B, ix *Index, viewers []benchViewer, rounds int) ([]time.Duration, []string, map[string][]time.Duration) {
	ctx := context.Background()
	for _, bv := range viewers {
		for _, r := range bv.reqs {
			if _, err := ix.Search(ctx, r.r, bv.v); err != nil {
				b.Fatal(err)
			}
		}
	}
	type timed struct {
		d    time.Duration
		name string
	}
	var all []timed
	byKind := map[string][]time.Duration{}
	for round := 0; round < rounds; round++ {
		for _, bv := range viewers {
			for _, r := range bv.reqs {
				t0 := time.Now()
				if _, err := ix.Search(ctx, r.r, bv.v); err != nil {
					b.Fatal(err)
				}
				d := time.Since(t0)
				all = append(all, timed{d, bv.name + ": " + reqString(r.r)})
				byKind[r.kind] = append(byKind[r.kind], d)
			}
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].d > all[j].d })
	lat := make([]time.Duration, len(all))
	var slow []string
	for i, t := range all {
		lat[len(all)-1-i] = t.d
		if i < max(1, len(all)/100) {
			slow = append(slow, fmt.Sprintf("%.1f ms %s", float64(t.d.Microseconds())/1000, t.name))
		}
	}
	for _, l := range byKind {
		sortDurations(l)
	}
	return lat, slow, byKind
}

func sortDurations(l []time.Duration) { sort.Slice(l, func(i, j int) bool { return l[i] < l[j] }) }

// logKinds logs p50/p99 per kind of query.
func logKinds(b *testing.B, title string, byKind map[string][]time.Duration) {
	var kinds []string
	for k := range byKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		b.Logf("%s | %-30s | n=%4d | p50 %6.2f ms | p99 %6.2f ms", title, k, len(byKind[k]), pctMS(byKind[k], 0.5), pctMS(byKind[k], 0.99))
	}
}

// reqString shows the fields of r that are set.
func reqString(r Request) string {
	var parts []string
	for _, f := range []struct{ k, v string }{{"q", r.Q}, {"person", r.Person}, {"sort", r.Sort}} {
		if f.v != "" {
			parts = append(parts, f.k+"="+strconv.Quote(f.v))
		}
	}
	if r.Year != 0 {
		parts = append(parts, "year="+strconv.Itoa(r.Year))
	}
	if len(parts) == 0 {
		return "(empty request)"
	}
	return strings.Join(parts, " ")
}

func pctMS(lat []time.Duration, p float64) float64 {
	return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
}

// BenchmarkSearchLatency indexes WENSHU_BENCH_DOCS records (default 10000)
// of the benchmark shape (40 units of skewed sizes, 2019–2026) and reports
// p50/p99 latency of a production-like mix of viewers and queries (see
// benchViewers), p50/p99 of the worst case (one archivist granted every
// unit) apart, and the process's resident memory.
func BenchmarkSearchLatency(b *testing.B) {
	ix, mix, worst := benchSetup(b)
	docs := benchDocs()
	b.ResetTimer()
	var lat, wlat []time.Duration
	var slow, wslow []string
	var kinds, wkinds map[string][]time.Duration
	var cpu, wcpu time.Duration
	rounds := 10 // after one warm-up round; WENSHU_BENCH_ROUNDS overrides
	if n, err := strconv.Atoi(os.Getenv("WENSHU_BENCH_ROUNDS")); err == nil && n > 0 {
		rounds = n
	}
	for i := 0; i < b.N; i++ {
		c0 := processCPU()
		lat, slow, kinds = latencies(b, ix, mix, rounds)
		c1 := processCPU()
		wlat, wslow, wkinds = latencies(b, ix, []benchViewer{worst}, rounds)
		cpu, wcpu = c1-c0, processCPU()-c1
	}
	b.StopTimer()
	b.Logf("mix: %d searches, the slowest 1 %%:\n\t%s", len(lat), strings.Join(slow, "\n\t"))
	b.Logf("worst case: %d searches, the slowest 1 %%:\n\t%s", len(wlat), strings.Join(wslow, "\n\t"))
	logKinds(b, "mix", kinds)
	logKinds(b, "all units", wkinds)
	b.ReportMetric(float64(docs), "docs")
	b.ReportMetric(pctMS(lat, 0.50), "p50_ms")
	b.ReportMetric(pctMS(lat, 0.99), "p99_ms")
	b.ReportMetric(pctMS(wlat, 0.50), "all-units_p50_ms")
	b.ReportMetric(pctMS(wlat, 0.99), "all-units_p99_ms")
	// CPU time per search (the warm-up round included) is less
	// sensitive than latency to other processes on a shared machine
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(len(lat)*(rounds+1)/rounds), "cpu_ms/search")
	b.ReportMetric(float64(wcpu.Microseconds())/1000/float64(len(wlat)*(rounds+1)/rounds), "all-units_cpu_ms/search")
	mem := procMemMB()
	b.ReportMetric(mem["VmRSS:"], "rss_MB")
	b.ReportMetric(mem["VmHWM:"], "peak_rss_MB")
	// anonymous memory is the process's own (heap, stacks); file-backed
	// is the index's mmapped segments in the page cache, which the kernel
	// reclaims under pressure
	b.ReportMetric(mem["RssAnon:"], "rss_anon_MB")
	b.ReportMetric(mem["RssFile:"], "rss_file_MB")
}

// processCPU is the user + system CPU time of the process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procMemMB reads the memory lines of /proc/self/status (Linux), in MB by
// their names ("VmRSS:", "VmHWM:", "RssAnon:", "RssFile:").
func procMemMB() map[string]float64 {
	out := map[string]float64{}
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && strings.HasSuffix(f[0], ":") {
			if kb, err := strconv.ParseFloat(f[1], 64); err == nil {
				out[f[0]] = kb / 1024
			}
		}
	}
	return out
}

// BenchmarkBroadAllUnits repeats the broad requests of the archivist
// granted every unit (list all, a term in every record by date, a frequent
// term by relevance) on the index BenchmarkSearchLatency builds; for
// profiles (-cpuprofile).
func BenchmarkBroadAllUnits(b *testing.B) {
	corpus := genCorpusShape(benchDocs(), benchShape)
	ix := benchIndex(b, corpus)
	_, worst := benchViewers(corpus, benchShape)
	reqs := []Request{{}, {Q: "纪检监察", Sort: "-filed_at"}, {Q: "谈话函询"}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := ix.Search(context.Background(), reqs[i%len(reqs)], worst.v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAnalyzers reports the analysis rate of title + body + meta of
// 2 000 benchmark records for the exact-field analyzer, the cjk bigram
// analyzer it replaced, and the jieba index analyzer, on one goroutine.
func BenchmarkAnalyzers(b *testing.B) {
	var texts []string
	for _, d := range plainDocs(genCorpusShape(2000, benchShape)) {
		texts = append(texts, d.Title, d.Body, d.fields()[fMeta].(string))
	}
	testSegmenter(b)
	for _, name := range []string{AnalyzerExact, AnalyzerBigram, AnalyzerIndex} {
		b.Run(name, func(b *testing.B) {
			a, err := registry.NewCache().AnalyzerNamed(name)
			if err != nil {
				b.Fatal(err)
			}
			tokens := 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for _, text := range texts {
					tokens += len(a.Analyze([]byte(text)))
				}
			}
			docs := float64(len(texts) / 3 * b.N)
			b.ReportMetric(docs/b.Elapsed().Seconds(), "docs/s")
			b.ReportMetric(float64(tokens)/docs, "tokens/doc")
		})
	}
}

// BenchmarkAllUnitsMix repeats every request of the archivist granted
// every unit on the index BenchmarkSearchLatency builds; for profiles
// (-cpuprofile) of the worst case. WENSHU_BENCH_KIND keeps the requests
// of one kind of query only ("problem + procedure").
func BenchmarkAllUnitsMix(b *testing.B) {
	ix, _, worst := benchSetup(b)
	if kind := os.Getenv("WENSHU_BENCH_KIND"); kind != "" {
		worst.reqs = slices.DeleteFunc(worst.reqs, func(r benchReq) bool { return r.kind != kind })
	}
	b.ResetTimer()
	c0 := processCPU()
	for i := 0; i < b.N; i++ {
		r := worst.reqs[i%len(worst.reqs)]
		if _, err := ix.Search(context.Background(), r.r, worst.v); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((processCPU()-c0).Microseconds())/1000/float64(b.N), "cpu_ms/search")
}
