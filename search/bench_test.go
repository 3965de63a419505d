package search

import (
	"context"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

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
			for i := 0; i < b.N; i++ {
				q = measure(b, ix, qs)
			}
			b.ReportMetric(q.recall, "recall@10")
			b.ReportMetric(q.precision, "precision@10")
			b.ReportMetric(float64(q.queries), "queries")
		})
	}
}

// BenchmarkIndexVsSegment indexes WENSHU_BENCH_DOCS records (default 10000)
// and segments the same text with raw jieba (search mode, the index
// tokenizer's own call), reporting both rates and their ratio.
func BenchmarkIndexVsSegment(b *testing.B) {
	docs := plainDocs(genCorpus(benchDocs()))
	s := testSegmenter(b)
	var idxRate, segRate float64
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		for _, d := range docs {
			for _, text := range []string{d.Title, d.Body, d.fields()[fMeta].(string)} {
				s.jb.Tokenize(text, gojieba.SearchMode, true)
			}
		}
		segRate = float64(len(docs)) / time.Since(t0).Seconds()

		ix, err := Open(b.TempDir(), Options{})
		if err != nil {
			b.Fatal(err)
		}
		t0 = time.Now()
		if err := ix.Index(context.Background(), docs...); err != nil {
			b.Fatal(err)
		}
		idxRate = float64(len(docs)) / time.Since(t0).Seconds()
		ix.Close()
	}
	b.ReportMetric(float64(len(docs)), "docs")
	b.ReportMetric(idxRate, "index_docs/s")
	b.ReportMetric(segRate, "segment_docs/s")
	b.ReportMetric(idxRate/segRate, "ratio")
}

// BenchmarkSearchLatency runs the labelled query set (and a few filter-only
// and phrase queries) over WENSHU_BENCH_DOCS records and reports p50/p99
// latency and the process's resident memory.
func BenchmarkSearchLatency(b *testing.B) {
	corpus := genCorpus(benchDocs())
	qs := genQueries(corpus[:min(len(corpus), qualityDocs)])
	var reqs []Request
	for _, q := range qs {
		reqs = append(reqs, Request{Q: q.q})
	}
	reqs = append(reqs, Request{}, Request{Q: "谈话函询", Year: 2023}, Request{Q: `"违反中央八项规定精神"`},
		Request{Q: "三重一大 OR 八项规定 -问责"}, Request{Person: corpus[0].persons[0]}, Request{Q: "纪检监察", Sort: "-filed_at"})
	ix := openTest(b, Options{}, plainDocs(corpus)...)
	viewer := Viewer{Units: cUnits[:5], Clearance: "秘密"}
	ctx := context.Background()
	for _, r := range reqs { // warm up
		if _, err := ix.Search(ctx, r, viewer); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	var lat []time.Duration
	for i := 0; i < b.N; i++ {
		for round := 0; round < 20; round++ {
			for _, r := range reqs {
				t0 := time.Now()
				if _, err := ix.Search(ctx, r, viewer); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 {
		return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(len(corpus)), "docs")
	b.ReportMetric(pct(0.50), "p50_ms")
	b.ReportMetric(pct(0.99), "p99_ms")
	rss, hwm := procMemMB()
	b.ReportMetric(rss, "rss_MB")
	b.ReportMetric(hwm, "peak_rss_MB")
}

// procMemMB reads VmRSS and VmHWM from /proc/self/status (Linux).
func procMemMB() (rss, hwm float64) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			hwm = kb / 1024
		}
	}
	return rss, hwm
}
