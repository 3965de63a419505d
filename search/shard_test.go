package search

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
)

// shardIDs lists the ids held by unit's shard.
func shardIDs(t *testing.T, ix *Index, unit string) []string {
	t.Helper()
	sh, _ := ix.shardFor(unit, false)
	if sh == nil {
		return nil
	}
	var out []string
	if err := sh.forEachID(func(id string) error { out = append(out, id); return nil }); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func TestShardDirName(t *testing.T) {
	for unit, want := range map[string]string{"12": "u_12", "unit-a_1": "u_unit-a_1"} {
		if got := shardDirName(unit); got != want {
			t.Errorf("shardDirName(%q) = %q", unit, got)
		}
	}
	seen := map[string]bool{}
	for _, unit := range []string{"../x", "驻财政部纪检监察组", "a/b", ".", "", "12 ", string(make([]byte, 100))} {
		got := shardDirName(unit)
		if len(got) != 34 || got[:2] != "h_" || seen[got] {
			t.Errorf("shardDirName(%q) = %q", unit, got)
		}
		seen[got] = true
	}
}

// A record re-indexed under another unit leaves its old shard, also after
// a reopen, and the other operations see it once.
func TestShardRouting(t *testing.T) {
	testSegmenter(t)
	ctx := context.Background()
	dir := t.TempDir()
	ix, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Index(ctx, fixture()...); err != nil {
		t.Fatal(err)
	}
	if got := shardIDs(t, ix, "驻商务部纪检监察组"); !slices.Equal(got, []string{"s1"}) {
		t.Fatalf("商务部 shard: %v", got)
	}
	moved := fixture()[0] // a1, 张三
	moved.Unit = "驻商务部纪检监察组"
	if err := ix.Index(ctx, moved); err != nil {
		t.Fatal(err)
	}
	check := func(ix *Index) {
		t.Helper()
		if got := shardIDs(t, ix, "驻财政部纪检监察组"); slices.Contains(got, "a1") {
			t.Errorf("a1 still in its old shard: %v", got)
		}
		if got := shardIDs(t, ix, "驻商务部纪检监察组"); !slices.Equal(got, []string{"a1", "s1"}) {
			t.Errorf("商务部 shard: %v", got)
		}
		if n, _ := ix.Count(); n != 8 {
			t.Errorf("count %d", n)
		}
		if ok, _ := ix.Has("a1"); !ok {
			t.Error("Has(a1)")
		}
		caizheng := Viewer{Units: []string{"驻财政部纪检监察组"}, Clearance: "机密"}
		if r := mustSearch(t, ix, Request{Q: "张三"}, caizheng); r.Total != 0 {
			t.Errorf("old unit still finds a1: %v", ids(r))
		}
		shangwu := Viewer{Units: []string{"驻商务部纪检监察组"}, Clearance: "机密"}
		if r := mustSearch(t, ix, Request{Q: "张三"}, shangwu); !slices.Equal(ids(r), []string{"a1"}) {
			t.Errorf("new unit: %v", ids(r))
		}
	}
	check(ix)
	ix.Close()
	if ix, err = Open(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	check(ix)
	// deleting finds the record in its shard
	if err := ix.Delete(ctx, "a1"); err != nil {
		t.Fatal(err)
	}
	if got := shardIDs(t, ix, "驻商务部纪检监察组"); !slices.Equal(got, []string{"s1"}) {
		t.Errorf("after delete: %v", got)
	}
}

// A record found in two shards at Open (a crash between the two writes of
// a move in bulk mode) is removed from the other one when indexed again.
func TestShardDuplicateRepaired(t *testing.T) {
	testSegmenter(t)
	ctx := context.Background()
	dir := t.TempDir()
	ix, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Index(ctx, fixture()...); err != nil {
		t.Fatal(err)
	}
	// write a second copy of a1 straight into the other shard
	dup := fixture()[0]
	dup.Unit = "驻商务部纪检监察组"
	sh, _ := ix.shardFor("驻商务部纪检监察组", false)
	b := sh.idx.NewBatch()
	if err := b.Index(dup.ID, dup.fields()); err != nil {
		t.Fatal(err)
	}
	if err := sh.writeBatch(b, nil); err != nil {
		t.Fatal(err)
	}
	ix.Close()
	if ix, err = Open(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if err := ix.Index(ctx, fixture()[0]); err != nil {
		t.Fatal(err)
	}
	if got := shardIDs(t, ix, "驻商务部纪检监察组"); !slices.Equal(got, []string{"s1"}) {
		t.Errorf("duplicate left in 商务部: %v", got)
	}
	if got := shardIDs(t, ix, "驻财政部纪检监察组"); !slices.Contains(got, "a1") {
		t.Errorf("a1 lost: %v", got)
	}
}

// A viewer's search reads only the shards of its units.
func TestSearchTouchesOnlyViewerShards(t *testing.T) {
	ix := openTest(t, Options{}, plainDocs(genCorpus(600))...)
	if len(ix.allShards()) < 5 {
		t.Fatalf("%d shards", len(ix.allShards()))
	}
	corpus := genCorpus(600)
	unit := corpus[0].Unit
	before := ix.searched.Load()
	r := mustSearch(t, ix, Request{}, Viewer{Units: []string{unit}, Clearance: "机密"})
	if d := ix.searched.Load() - before; d != 1 {
		t.Errorf("one-unit viewer searched %d shards", d)
	}
	if len(r.Facets["unit"]) != 1 || r.Facets["unit"][0].Value != unit {
		t.Errorf("unit facet %v", r.Facets["unit"])
	}
	before = ix.searched.Load()
	for _, v := range []Viewer{{}, {Units: []string{"没有这个单位"}, Clearance: "机密"}} {
		if r := mustSearch(t, ix, Request{}, v); r.Total != 0 {
			t.Errorf("viewer %v sees %d", v, r.Total)
		}
	}
	// a unit filter narrows to that shard
	two := Viewer{Units: []string{unit, corpus[1].Unit, corpus[2].Unit}, Clearance: "机密"}
	mustSearch(t, ix, Request{Unit: unit}, two)
	if d := ix.searched.Load() - before; d != 1 {
		t.Errorf("searched %d shards", d)
	}
}

// Search over several shards merges totals, facets and pages exactly: the
// results equal what a brute-force filter of the corpus gives.
func TestSearchAcrossShards(t *testing.T) {
	corpus := genCorpus(1200)
	ix := openTest(t, Options{BatchSize: 150}, plainDocs(corpus)...)
	units := map[string]bool{}
	var us []string
	for _, d := range corpus {
		if !units[d.Unit] && len(us) < 4 {
			units[d.Unit] = true
			us = append(us, d.Unit)
		}
	}
	v := Viewer{Units: us, Clearance: "秘密"}
	var vis []genDoc
	unitCount, yearCount, classCount := map[string]int{}, map[string]int{}, map[string]int{}
	for _, d := range corpus {
		if units[d.Unit] && classRank(d.Classification) <= 2 {
			vis = append(vis, d)
			unitCount[d.Unit]++
			y := d.Year
			if y == 0 {
				y = d.FiledAt.Year()
			}
			yearCount[fmt.Sprint(y)]++
			classCount[d.Classification]++
		}
	}
	r := mustSearch(t, ix, Request{}, v)
	if r.Total != uint64(len(vis)) {
		t.Fatalf("total %d, want %d", r.Total, len(vis))
	}
	for name, want := range map[string]map[string]int{"unit": unitCount, "year": yearCount, "classification": classCount} {
		got := map[string]int{}
		for _, fv := range r.Facets[name] {
			got[fv.Value] = fv.Count
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("facet %s: %v, want %v", name, got, want)
		}
	}
	for _, sortBy := range []string{"filed_at", "-filed_at"} {
		want := slices.Clone(vis)
		sort.SliceStable(want, func(i, j int) bool {
			a, b := filedKey(want[i].FiledAt), filedKey(want[j].FiledAt)
			if a != b {
				if sortBy == "filed_at" {
					return a < b
				}
				return a > b
			}
			return want[i].ID < want[j].ID
		})
		var got []string
		for page := 1; ; page++ {
			r := mustSearch(t, ix, Request{Sort: sortBy, Page: page, Size: 37}, v)
			if r.Total != uint64(len(vis)) {
				t.Fatalf("%s page %d: total %d", sortBy, page, r.Total)
			}
			if len(r.Hits) == 0 {
				break
			}
			for _, h := range r.Hits {
				got = append(got, h.ID)
			}
		}
		var wantIDs []string
		for _, d := range want {
			wantIDs = append(wantIDs, d.ID)
		}
		if !slices.Equal(got, wantIDs) {
			t.Errorf("sort %s: pages differ from the brute-force order (%d vs %d ids)", sortBy, len(got), len(wantIDs))
		}
	}
	// relevance: pages are slices of one long list, scores descending
	long := mustSearch(t, ix, Request{Q: "谈话函询", Size: 100}, v)
	if long.Total == 0 {
		t.Fatal("no hits")
	}
	var paged []string
	for page := 1; page <= 5; page++ {
		for _, h := range mustSearch(t, ix, Request{Q: "谈话函询", Page: page, Size: 20}, v).Hits {
			paged = append(paged, h.ID)
		}
	}
	var all []string
	for i, h := range long.Hits {
		all = append(all, h.ID)
		if i > 0 && h.Score > long.Hits[i-1].Score {
			t.Errorf("hit %d: score %f after %f", i, h.Score, long.Hits[i-1].Score)
		}
		if !units[h.Unit] {
			t.Errorf("hit of unit %s", h.Unit)
		}
	}
	if !slices.Equal(paged, all[:len(paged)]) {
		t.Error("relevance pages differ from one long page")
	}
}

func TestBulkMode(t *testing.T) {
	testSegmenter(t)
	ctx := context.Background()
	dir := t.TempDir()
	root := filepath.Join(dir, "index")
	ix, err := Open(dir, Options{BulkBatchSize: 70})
	if err != nil {
		t.Fatal(err)
	}
	corpus := plainDocs(genCorpus(900))
	if err := ix.BeginBulk(); err != nil {
		t.Fatal(err)
	}
	if err := ix.BeginBulk(); !errors.Is(err, ErrBulk) {
		t.Errorf("second BeginBulk: %v", err)
	}
	// on disk before anything is written: a crash from here on needs a reindex
	if m, _, _ := readMeta(root); !m.Bulk {
		t.Error("bulk mark not on disk")
	}
	if need, _ := ix.NeedsReindex(); !need {
		t.Error("NeedsReindex false during bulk")
	}
	for start := 0; start < len(corpus); start += 100 {
		if err := ix.Index(ctx, corpus[start:min(start+100, len(corpus))]...); err != nil {
			t.Fatal(err)
		}
	}
	// a record given again and one moved to another unit, within the bulk
	again := corpus[5]
	again.Title = "第二个版本"
	moved := corpus[6]
	for _, d := range corpus {
		if d.Unit != moved.Unit {
			moved.Unit = d.Unit
			break
		}
	}
	if err := ix.Index(ctx, again, moved); err != nil {
		t.Fatal(err)
	}
	if err := ix.Delete(ctx, corpus[7].ID); err != nil {
		t.Fatal(err)
	}
	if err := ix.MarkReindexed(); !errors.Is(err, ErrBulk) {
		t.Errorf("MarkReindexed during bulk: %v", err)
	}
	if err := ix.EndBulk(); err != nil {
		t.Fatal(err)
	}
	if m, _, _ := readMeta(root); m.Bulk {
		t.Error("bulk mark left after EndBulk")
	}
	if need, _ := ix.NeedsReindex(); need {
		t.Error("NeedsReindex after EndBulk of an up-to-date index")
	}
	if err := ix.MarkReindexed(); err != nil {
		t.Fatal(err)
	}
	everyone := Viewer{Units: benchUnits(corpus), Clearance: "机密"}
	checks := func(ix *Index) {
		t.Helper()
		if n, _ := ix.Count(); n != uint64(len(corpus)-1) {
			t.Errorf("count %d", n)
		}
		if r := mustSearch(t, ix, Request{Q: `"第二个版本"`}, everyone); !slices.Equal(ids(r), []string{again.ID}) {
			t.Errorf("last version: %v", ids(r))
		}
		if got := shardIDs(t, ix, corpus[6].Unit); slices.Contains(got, moved.ID) {
			t.Error("moved record still in its old shard")
		}
		if got := shardIDs(t, ix, moved.Unit); !slices.Contains(got, moved.ID) {
			t.Error("moved record not in its new shard")
		}
		if ok, _ := ix.Has(corpus[7].ID); ok {
			t.Error("deleted record still there")
		}
	}
	checks(ix)
	ix.Close()
	if ix, err = Open(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	checks(ix)

	// Close ends a bulk reindex and syncs it
	if err := ix.BeginBulk(); err != nil {
		t.Fatal(err)
	}
	extra := plainDocs(genCorpus(950))[900:]
	if err := ix.Index(ctx, extra...); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	if ix, err = Open(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if n, _ := ix.Count(); n != uint64(len(corpus)-1+50) {
		t.Errorf("after Close in bulk: count %d", n)
	}
	if need, _ := ix.NeedsReindex(); need {
		t.Error("NeedsReindex after Close ended the bulk")
	}
}

// What a process that died during a bulk reindex leaves: the mark.
func TestBulkCrashNeedsReindex(t *testing.T) {
	testSegmenter(t)
	dir := t.TempDir()
	ix, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Index(context.Background(), fixture()...); err != nil {
		t.Fatal(err)
	}
	ix.Close()
	if err := writeMeta(filepath.Join(dir, "index"), indexMeta{Schema: schemaVersion, DictHash: ix.DictionaryHash(), Bulk: true}); err != nil {
		t.Fatal(err)
	}
	if ix, err = Open(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if need, _ := ix.NeedsReindex(); !need {
		t.Error("interrupted bulk reindex not reported")
	}
	if n, _ := ix.Count(); n != 8 {
		t.Errorf("count %d", n)
	}
}

// A search over several shards fails when its context ends, rather than
// answering with the shards that happened to finish.
func TestSearchShardsErrors(t *testing.T) {
	ix := openTest(t, Options{}, fixture()...)
	shards := ix.allShards()
	if len(shards) < 2 {
		t.Fatalf("%d shards", len(shards))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := searchShards(ctx, shards, bleve.NewSearchRequest(bleve.NewMatchAllQuery())); err == nil {
		t.Error("cancelled search over shards: no error")
	}
}

func benchUnits(docs []Doc) []string {
	seen := map[string]bool{}
	var out []string
	for _, d := range docs {
		if !seen[d.Unit] {
			seen[d.Unit] = true
			out = append(out, d.Unit)
		}
	}
	return out
}

// With the shards holding more than FacetLimit records, facets come from a
// second pass and equal those of one pass; with more matches than the
// limit they are skipped (FacetsCapped) and the total stays exact.
func TestFacetLimit(t *testing.T) {
	docs := plainDocs(genCorpus(300))
	one := openTest(t, Options{}, docs...)
	two := openTest(t, Options{FacetLimit: 50}, docs...)
	for _, req := range []Request{{Q: "谈话函询 张建华"}, {Q: "立案审查", Year: 2023}, {Person: docs[0].Persons[0]}} {
		a, b := mustSearch(t, one, req, everyone), mustSearch(t, two, req, everyone)
		if a.Total > 50 {
			t.Fatalf("%+v: %d matches, more than the limit", req, a.Total)
		}
		if b.FacetsCapped || fmt.Sprint(a.Facets) != fmt.Sprint(b.Facets) || a.Total != b.Total || !slices.Equal(ids(a), ids(b)) {
			t.Errorf("%+v: two-pass %v (capped %v), one pass %v", req, b.Facets, b.FacetsCapped, a.Facets)
		}
	}
	r := mustSearch(t, two, Request{}, everyone)
	if !r.FacetsCapped || r.Total != 300 || len(r.Facets["year"]) != 0 || len(r.Facets) != len(FacetNames) {
		t.Errorf("broad search: capped %v, total %d, facets %v", r.FacetsCapped, r.Total, r.Facets)
	}
	if r := mustSearch(t, one, Request{}, everyone); r.FacetsCapped || len(r.Facets["year"]) == 0 {
		t.Errorf("default limit: capped %v, facets %v", r.FacetsCapped, r.Facets)
	}
}

// A search in date order on a shard of more than TotalLimit records counts
// to the limit (TotalCapped) and still returns every page in the exact
// order, whichever date window it found the page in; fewer matches than
// the limit, a search by relevance, or no limit count exactly. Records
// without a filing time sort last in both orders.
func TestDateOrderWindows(t *testing.T) {
	base := time.Date(2020, 1, 1, 8, 0, 0, 0, time.UTC)
	var docs []Doc
	for i := 0; i < 300; i++ {
		filed := base.Add(time.Duration(i) * 71 * time.Hour)
		switch {
		case i == 7:
			filed = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) // far ahead: the narrow windows hold only it
		case i%97 == 5:
			filed = time.Time{} // no filing time
		case i%10 == 3:
			filed = base.Add(time.Duration(i-1) * 71 * time.Hour) // the same time as another record
		}
		person := []string{"张建华", "李红梅", "王志强"}[i%3]
		if i%50 == 0 {
			person = "赵晓东"
		}
		docs = append(docs, Doc{
			ID: fmt.Sprintf("w%03d", i), Unit: "u", Classification: "内部", Retention: "Y", Kind: "函",
			Title: "关于" + person + "同志问题线索的报告", Body: "纪检监察组对" + person + "同志有关问题进行了初步核实。",
			Persons: []string{person}, FiledAt: filed,
		})
	}
	want := func(ds []Doc, oldest bool) []string {
		s := slices.Clone(ds)
		sort.SliceStable(s, func(i, j int) bool {
			a, b := s[i], s[j]
			if a.FiledAt.IsZero() != b.FiledAt.IsZero() {
				return b.FiledAt.IsZero()
			}
			if !a.FiledAt.Equal(b.FiledAt) {
				return a.FiledAt.Before(b.FiledAt) == oldest
			}
			return a.ID < b.ID
		})
		var out []string
		for _, d := range s {
			out = append(out, d.ID)
		}
		return out
	}
	pages := func(ix *Index, req Request) (ids []string, total uint64, capped bool) {
		for req.Page = 1; ; req.Page++ {
			r := mustSearch(t, ix, req, Viewer{Units: []string{"u"}, Clearance: "机密"})
			total, capped = r.Total, r.TotalCapped
			if capped && !r.FacetsCapped {
				t.Errorf("%+v: total capped, facets counted", req)
			}
			if len(r.Hits) == 0 {
				return ids, total, capped
			}
			for _, h := range r.Hits {
				ids = append(ids, h.ID)
			}
		}
	}
	capped := openTest(t, Options{TotalLimit: 40, FacetLimit: 40}, docs...)
	exact := openTest(t, Options{TotalLimit: -1}, docs...)
	for _, c := range []struct {
		req    Request
		oldest bool
	}{{Request{Size: 23}, false}, {Request{Sort: "-filed_at", Q: "纪检监察", Size: 30}, false}, {Request{Sort: "filed_at", Size: 100}, true}} {
		got, total, isCapped := pages(capped, c.req)
		if !slices.Equal(got, want(docs, c.oldest)) {
			t.Errorf("%+v: pages differ from the brute-force order (%d ids)", c.req, len(got))
		}
		if !isCapped || total != 40 {
			t.Errorf("%+v: total %d capped %v, want 40 capped", c.req, total, isCapped)
		}
		if _, total, isCapped := pages(exact, c.req); isCapped || total != 300 {
			t.Errorf("%+v without a limit: total %d capped %v", c.req, total, isCapped)
		}
	}
	// fewer matches than the limit: exact, in order
	var few []Doc
	for _, d := range docs {
		if d.Persons[0] == "赵晓东" {
			few = append(few, d)
		}
	}
	if got, total, isCapped := pages(capped, Request{Person: "赵晓东", Sort: "-filed_at", Size: 2}); isCapped || total != uint64(len(few)) || !slices.Equal(got, want(few, false)) {
		t.Errorf("person filter: %v total %d capped %v, want %v", got, total, isCapped, want(few, false))
	}
	// by relevance every match is scored: exact
	if r := mustSearch(t, capped, Request{Q: "纪检监察"}, Viewer{Units: []string{"u"}, Clearance: "机密"}); r.TotalCapped || r.Total != 300 {
		t.Errorf("relevance: total %d capped %v", r.Total, r.TotalCapped)
	}
}
