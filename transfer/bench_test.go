package transfer

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"wenshu/archive"
	"wenshu/identity"
)

// benchRecords is how many imported records the benchmark package holds.
const benchRecords = 200

// benchPackage files benchRecords imported texts of about 2 KB each for
// unit A beside the fixture's records and returns the fixture.
func benchPackage(b *testing.B) *fixture {
	f := newFixture(b)
	body := bytes.Repeat([]byte("全年开展谈话函询，督促落实三重一大决策制度和中央八项规定精神。"), 20)
	for i := range benchRecords {
		title := fmt.Sprintf("基准测试报告%04d", i)
		if _, err := f.st.Import(f.ctx, f.archivist, archive.ImportRequest{FileName: title + ".txt", Data: body, Title: title,
			Kind: "报告", Year: f.year, Classification: identity.ClearanceInternal, Retention: archive.Retention10}); err != nil {
			b.Fatal(err)
		}
	}
	return f
}

// BenchmarkWrite: one export of the D10 records (benchRecords + 1) from
// MinIO into a zip in memory, OpenExport (audit) included.
func BenchmarkWrite(b *testing.B) {
	f := benchPackage(b)
	b.ResetTimer()
	for b.Loop() {
		x, err := f.st.OpenExport(f.ctx, f.archivist, archive.ExportSelection{UnitID: f.unitA.ID, Year: f.year, Retention: archive.Retention10})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Write(f.ctx, io.Discard, x, WriteOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(benchRecords+1)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkVerify: one offline verification of that package.
func BenchmarkVerify(b *testing.B) {
	f := benchPackage(b)
	x, err := f.st.OpenExport(f.ctx, f.archivist, archive.ExportSelection{UnitID: f.unitA.ID, Year: f.year, Retention: archive.Retention10})
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := Write(f.ctx, &buf, x, WriteOptions{}); err != nil {
		b.Fatal(err)
	}
	pkg := buf.Bytes()
	b.SetBytes(int64(len(pkg)))
	b.ResetTimer()
	for b.Loop() {
		if rep := verifyBytes(pkg, VerifyOptions{}); !rep.OK {
			b.Fatal(rep.Lines())
		}
	}
	b.ReportMetric(float64(benchRecords+1)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
