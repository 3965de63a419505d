package search

import (
	"context"
	"math/rand"
	"os"
	"testing"
)

var everyone = Viewer{Units: cUnits, Clearance: "机密"}

type quality struct {
	recall, precision float64 // means over the query set
	queries           int
	worst             []string
}

// measure runs every query and returns mean recall@10 and precision@10:
// recall@10 = relevant in top 10 / min(10, relevant);
// precision@10 = relevant in top 10 / results in top 10 (1 when none return
// and none are relevant).
func measure(tb testing.TB, ix *Index, qs []labeledQuery) quality {
	var q quality
	for _, lq := range qs {
		r, err := ix.Search(context.Background(), Request{Q: lq.q, Size: 10}, everyone)
		if err != nil {
			tb.Fatalf("%s: %v", lq.q, err)
		}
		hit := 0
		for _, h := range r.Hits {
			if lq.rel[h.ID] {
				hit++
			}
		}
		rec := float64(hit) / float64(min(10, len(lq.rel)))
		prec := 1.0
		if len(r.Hits) > 0 {
			prec = float64(hit) / float64(len(r.Hits))
		}
		if rec < 1 || prec < 1 {
			q.worst = append(q.worst, lq.q)
			if os.Getenv("WENSHU_QUALITY_DEBUG") != "" {
				for _, h := range r.Hits {
					if !lq.rel[h.ID] {
						tb.Logf("%s: not relevant %s %s", lq.q, h.ID, h.Title)
					}
				}
			}
		}
		q.recall += rec
		q.precision += prec
		q.queries++
	}
	q.recall /= float64(q.queries)
	q.precision /= float64(q.queries)
	return q
}

const qualityDocs = 800

// TestQuality asserts the search quality over a generated corpus of 800
// records and 40 labelled queries (thresholds: the measured figures minus
// a margin, see BENCH.md), and that 100 strings drawn from the records find
// every record that holds them, bare and quoted (TestSubstringProperty does
// the same on a corpus with more digits, Latin letters and quotation marks).
func TestQuality(t *testing.T) {
	corpus := genCorpus(qualityDocs)
	qs := genQueries(corpus)
	if len(qs) < 30 {
		t.Fatalf("only %d queries", len(qs))
	}
	docs := make([]Doc, len(corpus))
	for i, d := range corpus {
		docs[i] = d.Doc
	}
	ix := openTest(t, Options{}, docs...)
	q := measure(t, ix, qs)
	subs := drawSubstrings(rand.New(rand.NewSource(3)), docs, 100)
	sr := measureSubstrings(t, ix, docs, everyone, subs)
	t.Logf("jieba: %d queries, recall@10 %.3f, precision@10 %.3f; imperfect: %q", q.queries, q.recall, q.precision, q.worst)
	t.Logf("substrings: %d strings, %d pairs, recall bare %.3f, quoted %.3f", sr.strings, sr.pairs, sr.bare, sr.quoted)
	if q.recall < minRecall || q.precision < minPrecision {
		t.Errorf("quality dropped: recall@10 %.3f (min %.2f), precision@10 %.3f (min %.2f)", q.recall, minRecall, q.precision, minPrecision)
	}
	if sr.bare < 1 || sr.quoted < 1 {
		t.Errorf("substring recall bare %.3f, quoted %.3f (want 1.000); missed %q", sr.bare, sr.quoted, sr.missed[:min(20, len(sr.missed))])
	}
	if os.Getenv("WENSHU_QUALITY_BASELINE") != "" {
		for _, op := range []string{"or", "and"} {
			b := openTest(t, Options{mode: modeCJKOnly, baseOp: op}, docs...)
			bq := measure(t, b, qs)
			bs := measureSubstrings(t, b, docs, everyone, subs)
			t.Logf("cjk-%s: recall@10 %.3f, precision@10 %.3f; imperfect: %d; substrings bare %.3f, quoted %.3f", op, bq.recall, bq.precision, len(bq.worst), bs.bare, bs.quoted)
		}
	}
}

const (
	minRecall    = 0.93
	minPrecision = 0.95
)
