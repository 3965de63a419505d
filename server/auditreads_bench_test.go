package server

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"sort"
	"testing"
	"time"

	"wenshu/archive"
	"wenshu/identity"
	"wenshu/internal/testenv"
	"wenshu/templates"
)

// benchServer is a server on real MinIO and a real catalog with one
// imported record and its archivist's token.
func benchServer(b *testing.B) (srv *Server, recordID, token string) {
	b.Helper()
	ctx := context.Background()
	mio := testenv.MinIO(b)
	reg, err := templates.New(templates.Options{})
	if err != nil {
		b.Fatal(err)
	}
	st, err := archive.New(ctx, archive.Options{DataDir: testenv.TempDataDir(b), S3Endpoint: mio.Endpoint,
		S3AccessKey: mio.AccessKey, S3SecretKey: mio.SecretKey, Bucket: mio.Bucket(b),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Templates: reg})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if _, err := st.Identity().AddUnit(ctx, identity.UnitInput{Name: unitA, Code: "驻财纪", Fonds: "Z109", Org: "CZT"}); err != nil {
		b.Fatal(err)
	}
	res, err := st.Identity().AddUser(ctx, identity.NewUser{Name: "赵磊", Role: identity.RoleArchivist, Unit: unitA, Clearance: identity.ClearanceConfidential})
	if err != nil {
		b.Fatal(err)
	}
	rec, err := st.Import(ctx, res.User, archive.ImportRequest{FileName: "记录.txt", Data: []byte("谈话记录\n某丙同志如实说明了情况。"),
		Title: "谈话记录", Kind: "谈话记录", Year: 2019, Classification: "内部", Retention: archive.RetentionPermanent})
	if err != nil {
		b.Fatal(err)
	}
	srv, err = New(Config{Templates: reg, Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { closeServer(b, srv) })
	return srv, rec.ID, res.Token
}

// BenchmarkRecordMetaRead: GET /api/v1/records/:id through app.Test,
// with the audited-reads middleware (audited) and without it (baseline);
// p50-ns and p99-ns are single requests. Events are committed by the
// Recorder in the background, as in production.
func BenchmarkRecordMetaRead(b *testing.B) {
	srv, id, token := benchServer(b)
	for _, mode := range []struct {
		name string
		off  bool
	}{{"baseline", true}, {"audited", false}} {
		b.Run(mode.name, func(b *testing.B) {
			srv.reads.off = mode.off
			for range 200 { // warm up: caches, connections
				readRecordMeta(b, srv, id, token)
			}
			flushBench(b, srv)
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				readRecordMeta(b, srv, id, token)
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
			flushBench(b, srv)
		})
	}
}

func readRecordMeta(b *testing.B, srv *Server, id, token string) {
	req := httptest.NewRequest("GET", "/api/v1/records/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := srv.App().Test(req, -1)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		b.Fatalf("status %d", res.StatusCode)
	}
}

// flushBench commits the events queued so far, so that one run's
// background writes do not fall into the next.
func flushBench(b *testing.B, srv *Server) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := srv.reads.rec.Flush(ctx); err != nil {
		b.Fatal(err)
	}
}
