package archive

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"wenshu/identity"
	"wenshu/templates"
)

// TestFilingBench measures filing (approve → numbered, rendered, signed,
// two locked objects, catalogued) against a bare MinIO PUT of the same
// .docx bytes, in the same run on the same server. Opt-in:
//
//	WENSHU_BENCH=1 go test -run TestFilingBench -v ./archive/
//
// WENSHU_BENCH_N (default 400) filings per pass, WENSHU_BENCH_C (default
// 1,8) the concurrency levels. Figures go to archive/BENCH.md by hand.
func TestFilingBench(t *testing.T) {
	if os.Getenv("WENSHU_BENCH") != "1" {
		t.Log("opt-in measurement: set WENSHU_BENCH=1 to run it")
		return
	}
	n := envInt("WENSHU_BENCH_N", 400)
	levels := []int{1, 8}
	if v := os.Getenv("WENSHU_BENCH_C"); v != "" {
		levels = nil
		for _, f := range bytes.Split([]byte(v), []byte(",")) {
			c, _ := strconv.Atoi(string(f))
			levels = append(levels, c)
		}
	}
	reg := realTemplates(t)
	e := newEnv(t, func(o *Options) { o.Templates = reg })
	fe := newEnv(t) // the same pipeline with the stub renderer: archive's own cost
	ctx := context.Background()
	fields := exampleFields(t, "talk-plan")
	sample, err := reg.Render(templates.RenderRequest{TemplateID: "talk-plan", Fields: withIssuer(fields, e.unit.Name),
		IssuerName: e.unit.Name, DocNumber: "驻测纪〔2026〕1号", Date: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	docx := sample.Docx
	cl := e.srv.Client(t)
	plain := e.srv.Bucket(t)
	if err := cl.MakeBucket(ctx, plain, minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Logf("docx %d bytes; %d operations per pass; GOMAXPROCS=%d", len(docx), n, runtimeProcs())

	// Render alone, for reference.
	renderStats := run(n, 1, func(i int) error {
		_, err := reg.Render(templates.RenderRequest{TemplateID: "talk-plan", Fields: withIssuer(fields, e.unit.Name),
			IssuerName: e.unit.Name, DocNumber: fmt.Sprintf("驻测纪〔2026〕%d号", i+1), Date: time.Now()})
		return err
	})
	t.Logf("%-34s c=%d %s", "render .docx only", 1, renderStats)

	for _, c := range levels {
		bare := run(n, c, func(i int) error {
			_, err := cl.PutObject(ctx, plain, fmt.Sprintf("bench/c%d/%d.docx", c, i), bytes.NewReader(docx), int64(len(docx)),
				minio.PutObjectOptions{ContentType: MediaTypeDocx})
			return err
		})
		t.Logf("%-34s c=%d %s", "bare PUT (plain bucket)", c, bare)
		locked := run(n, c, func(i int) error {
			_, err := e.s.putLocked(ctx, e.s.Bucket(), fmt.Sprintf("bench/c%d/%d.docx", c, i), docx, MediaTypeDocx,
				time.Now().Add(24*time.Hour))
			return err
		})
		t.Logf("%-34s c=%d %s", "locked PUT (COMPLIANCE, If-None-Match)", c, locked)

		drafts := make([]string, n)
		for i := range drafts {
			d, err := e.s.CreateDraft(ctx, e.clerk, DraftInput{TemplateID: "talk-plan", Fields: fields,
				Persons: []string{"张建国"}, Classification: identity.ClearanceInternal, Retention: Retention30})
			if err != nil {
				t.Fatal(err)
			}
			drafts[i] = d.ID
		}
		filing := run(n, c, func(i int) error {
			_, err := e.s.ApproveDraft(ctx, e.approver, drafts[i])
			return err
		})
		t.Logf("%-34s c=%d %s", "filing (approve → filed)", c, filing)
		fakeDrafts := make([]string, n)
		for i := range fakeDrafts {
			fakeDrafts[i] = fe.draft(fe.clerk, "notice", fmt.Sprintf("基准%d", i)).ID
		}
		pipeline := run(n, c, func(i int) error {
			_, err := fe.s.ApproveDraft(ctx, fe.approver, fakeDrafts[i])
			return err
		})
		t.Logf("%-34s c=%d %s", "filing, stub renderer (no docgen)", c, pipeline)
		t.Logf("c=%d: filing p99 / bare PUT p99 = %.2f×; filing p50 / bare PUT p50 = %.2f×", c,
			float64(filing.p99)/float64(bare.p99), float64(filing.p50)/float64(bare.p50))
	}
	bv, err := e.s.VerifyBucketOnly(ctx, nil, nil)
	if err != nil || !bv.OK {
		t.Fatalf("bucket after the benchmark: %+v %v", bv, err)
	}
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
	n             int
	wall          time.Duration
	p50, p99, max time.Duration
}

func (s benchStats) String() string {
	return fmt.Sprintf("%7.1f ops/s  p50 %6.2f ms  p99 %6.2f ms  max %6.2f ms", float64(s.n)/s.wall.Seconds(),
		ms(s.p50), ms(s.p99), ms(s.max))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// run calls op(0..n-1) on c workers and returns throughput and latency.
func run(n, c int, op func(i int) error) benchStats {
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
		panic(firstErr)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) time.Duration { return lat[min(n-1, int(p*float64(n)))] }
	return benchStats{n: n, wall: wall, p50: pct(0.50), p99: pct(0.99), max: lat[n-1]}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
