package archive

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"wenshu/identity"
	"wenshu/internal/testenv"
	"wenshu/templates"
)

// The filing benchmarks compare filing (approve → numbered, rendered,
// signed, two locked objects, catalogued) with a bare MinIO PUT of the same
// .docx bytes, on the same server in the same run:
//
//	go test -run '^$' -bench . -benchtime 400x ./archive/
//
// Each reports ns/op (wall time per operation over all workers, so its
// inverse is the throughput), ops/s, and the p50 and p99 latency of one
// operation. Figures go to archive/BENCH.md by hand.

// benchWorkers are the concurrency levels of every benchmark.
var benchWorkers = []int{1, 8}

// talkPlanDocx renders the talk-plan example once: the bytes the PUT
// benchmarks store.
func talkPlanDocx(b *testing.B, reg *templates.Registry) []byte {
	b.Helper()
	fields := exampleFields(b, "talk-plan")
	r, err := reg.Render(templates.RenderRequest{TemplateID: "talk-plan", Fields: withIssuer(fields, "中央纪委国家监委驻测试部纪检监察组"),
		IssuerName: "中央纪委国家监委驻测试部纪检监察组", DocNumber: "驻测纪〔2026〕1号", Date: time.Now()})
	if err != nil {
		b.Fatal(err)
	}
	return r.Docx
}

// BenchmarkFiling is ApproveDraft of talk-plan drafts with the real
// templates (docgen included).
func BenchmarkFiling(b *testing.B) {
	reg := realTemplates(b)
	for _, c := range benchWorkers {
		b.Run(fmt.Sprintf("workers=%d", c), func(b *testing.B) {
			e := newEnv(b, func(o *Options) { o.Templates = reg })
			if _, err := e.s.Identity().SetUnitHead(e.ctx, nil, e.unit.ID, e.approver.Name); err != nil {
				b.Fatal(err) // the 谈话方案 is signed by the unit's head
			}
			fields := exampleFields(b, "talk-plan")
			delete(fields, "classification") // printed as the draft's (内部)
			drafts := make([]string, b.N)
			for i := range drafts {
				d, err := e.s.CreateDraft(e.ctx, e.clerk, DraftInput{TemplateID: "talk-plan", Fields: fields,
					Persons: []string{"张建国"}, Classification: identity.ClearanceInternal, Retention: Retention30})
				if err != nil {
					b.Fatal(err)
				}
				drafts[i] = d.ID
			}
			measure(b, c, func(i int) error {
				_, err := e.s.ApproveDraft(e.ctx, e.approver, drafts[i])
				return err
			})
			verifyBenchBucket(b, e)
		})
	}
}

// BenchmarkFilingStubRenderer is the same pipeline with the test renderer
// (a small .docx built in microseconds): the archive's own cost.
func BenchmarkFilingStubRenderer(b *testing.B) {
	for _, c := range benchWorkers {
		b.Run(fmt.Sprintf("workers=%d", c), func(b *testing.B) {
			e := newEnv(b)
			drafts := make([]string, b.N)
			for i := range drafts {
				drafts[i] = e.draft(e.clerk, "notice", fmt.Sprintf("基准%d", i)).ID
			}
			measure(b, c, func(i int) error {
				_, err := e.s.ApproveDraft(e.ctx, e.approver, drafts[i])
				return err
			})
			verifyBenchBucket(b, e)
		})
	}
}

// BenchmarkPutObjectBare is the floor filing is compared with: PutObject
// of the talk-plan .docx into a plain bucket, default options.
func BenchmarkPutObjectBare(b *testing.B) {
	docx := talkPlanDocx(b, realTemplates(b))
	for _, c := range benchWorkers {
		b.Run(fmt.Sprintf("workers=%d", c), func(b *testing.B) {
			srv := testenv.MinIO(b)
			cl := srv.Client(b)
			plain := srv.Bucket(b)
			if err := cl.MakeBucket(context.Background(), plain, minio.MakeBucketOptions{}); err != nil {
				b.Fatal(err)
			}
			measure(b, c, func(i int) error {
				_, err := cl.PutObject(context.Background(), plain, fmt.Sprintf("bench/%d.docx", i), bytes.NewReader(docx),
					int64(len(docx)), minio.PutObjectOptions{ContentType: MediaTypeDocx})
				return err
			})
		})
	}
}

// BenchmarkPutLocked is the Store's own PUT of the same bytes: COMPLIANCE
// retention, If-None-Match: *, Content-MD5.
func BenchmarkPutLocked(b *testing.B) {
	docx := talkPlanDocx(b, realTemplates(b))
	for _, c := range benchWorkers {
		b.Run(fmt.Sprintf("workers=%d", c), func(b *testing.B) {
			e := newEnv(b)
			measure(b, c, func(i int) error {
				_, err := e.s.putLocked(e.ctx, e.s.Bucket(), fmt.Sprintf("bench/%d.docx", i), docx, MediaTypeDocx,
					time.Now().Add(24*time.Hour))
				return err
			})
		})
	}
}

// BenchmarkRenderTalkPlan is rendering alone, for reference: no storage.
func BenchmarkRenderTalkPlan(b *testing.B) {
	reg := realTemplates(b)
	fields := withIssuer(exampleFields(b, "talk-plan"), "中央纪委国家监委驻测试部纪检监察组")
	measure(b, 1, func(i int) error {
		_, err := reg.Render(templates.RenderRequest{TemplateID: "talk-plan", Fields: fields,
			IssuerName: "中央纪委国家监委驻测试部纪检监察组", DocNumber: fmt.Sprintf("驻测纪〔2026〕%d号", i+1), Date: time.Now()})
		return err
	})
}

// verifyBenchBucket checks that what a benchmark filed verifies from the
// bucket alone, so a benchmark cannot pass on broken records.
func verifyBenchBucket(b *testing.B, e *env) {
	b.Helper()
	bv, err := e.s.VerifyBucketOnly(e.ctx, nil, nil)
	if err != nil || !bv.OK {
		b.Fatalf("bucket after the benchmark: %+v %v", bv, err)
	}
}

// measure times op(0..b.N-1) on c workers and reports ops/s and the p50
// and p99 latency beside ns/op.
func measure(b *testing.B, c int, op func(i int) error) {
	b.Helper()
	b.ResetTimer()
	st, err := run(b.N, c, op)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(st.n)/st.wall.Seconds(), "ops/s")
	b.ReportMetric(ms(st.p50), "p50-ms")
	b.ReportMetric(ms(st.p99), "p99-ms")
}

func withIssuer(f map[string]any, issuer string) map[string]any {
	c := map[string]any{}
	for k, v := range f {
		c[k] = v
	}
	c["issuer"] = issuer
	return c
}

type benchStats struct {
	n        int
	wall     time.Duration
	p50, p99 time.Duration
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// run calls op(0..n-1) on c workers and returns throughput and latency,
// or the first error.
func run(n, c int, op func(i int) error) (benchStats, error) {
	lat := make([]time.Duration, n)
	next := make(chan int, n)
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	var errOnce sync.Once
	var firstErr error
	start := time.Now()
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t0 := time.Now()
				if err := op(i); err != nil {
					errOnce.Do(func() { firstErr = err })
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	if firstErr != nil {
		return benchStats{}, firstErr
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) time.Duration { return lat[min(n-1, int(p*float64(n)))] }
	return benchStats{n: n, wall: wall, p50: pct(0.50), p99: pct(0.99)}, nil
}
