package search

import (
	"fmt"
	"math"
	"testing"
)

// Narrowing a search to candidates changes nothing it returns: on every
// shard, for queries of several parts (names, terms of art, phrases,
// synonyms, OR, NOT, field prefixes), the hits, their order and scores,
// the total and the facets equal those of the same search never narrowed.
// The candidates are let make up the whole shard, so every such query is
// narrowed.
func TestNarrowedSameAsScored(t *testing.T) {
	corpus := genCorpus(600)
	docs := plainDocs(corpus)
	narrowed := openTest(t, Options{narrow: 1}, docs...)
	plain := openTest(t, Options{narrow: -1}, docs...)
	qs := []string{
		"违规经商办企业 纪律检查建议", "公款吃喝 党风廉政意见回复", "形式主义官僚主义 函询回复",
		"三重一大 OR 八项规定 -问责", "违反八项规定精神 " + corpus[0].persons[0], "谈话函询 -诫勉谈话",
		`"谈话函询" ` + corpus[1].persons[0], "纪委 初步核实", "人员:" + corpus[2].persons[0] + " 谈话",
		"收受礼金 " + corpus[3].persons[0], "(谈话提醒 OR 诫勉谈话) 问题", "纪检 监察", "2024 谈话",
	}
	for _, q := range genQueries(corpus) {
		qs = append(qs, q.q)
	}
	narrowedSome := false
	for _, q := range qs {
		for _, v := range []Viewer{everyone, {Units: cUnits[:3], Clearance: "内部"}} {
			a := mustSearch(t, narrowed, Request{Q: q, Size: 50}, v)
			b := mustSearch(t, plain, Request{Q: q, Size: 50}, v)
			if a.Total != b.Total || fmt.Sprint(a.Facets) != fmt.Sprint(b.Facets) || len(a.Hits) != len(b.Hits) {
				t.Errorf("%q: narrowed total %d, %d hits, facets %v; plain %d, %d, %v", q, a.Total, len(a.Hits), a.Facets, b.Total, len(b.Hits), b.Facets)
				continue
			}
			for i := range a.Hits {
				if a.Hits[i].ID != b.Hits[i].ID || math.Abs(a.Hits[i].Score-b.Hits[i].Score) > 1e-9 {
					t.Errorf("%q hit %d: narrowed %s %.6f, plain %s %.6f", q, i, a.Hits[i].ID, a.Hits[i].Score, b.Hits[i].ID, b.Hits[i].Score)
					break
				}
			}
			narrowedSome = narrowedSome || narrowed.narrowFraction(mustParse(t, q)) > 0 && a.Total > 0
		}
	}
	if !narrowedSome {
		t.Fatal("no query was narrowed")
	}
}

func mustParse(t *testing.T, q string) node {
	n, err := parseQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
