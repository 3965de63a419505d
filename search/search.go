package search

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
)

// Limits of a Request.
const (
	DefaultSize = 20
	MaxSize     = 100
	MaxWindow   = 10000 // page*size may not go past this
)

// Request is one search. Every field but Q is an exact filter; the zero
// value of a field means "any".
type Request struct {
	Q              string    `json:"q"` // query language, see README.md
	Kind           string    `json:"kind"`
	Unit           string    `json:"unit"`
	Person         string    `json:"person"`
	Case           string    `json:"case"`
	Classification string    `json:"classification"`
	Retention      string    `json:"retention"`
	Year           int       `json:"year"`
	From           time.Time `json:"from"` // filed_at >= From (inclusive)
	To             time.Time `json:"to"`   // filed_at <= To (inclusive)
	// Sort is "" or "relevance" (score, then newest first), "filed_at"
	// (oldest first) or "-filed_at" (newest first). Without q, relevance
	// means newest first.
	Sort string `json:"sort"`
	Page int    `json:"page"` // 1-based; 0 means 1
	Size int    `json:"size"` // 0 means DefaultSize; at most MaxSize
}

// Viewer is who is asking. Only records of one of Units at or below
// Clearance are ever seen, counted or faceted.
type Viewer struct {
	Units     []string `json:"units"`     // units the caller may see; none = nothing
	Clearance string   `json:"clearance"` // 公开 < 内部 < 秘密 < 机密; "" = 公开
}

// Result is one page of hits with the total and facets over every visible
// match. Total is exact unless TotalCapped: a search in date order stops
// counting a shard's matches after Options.TotalLimit (default 10 000;
// window.go), and Total is then the matches counted, a lower bound ("10 000
// 件以上"). Facets are counted when there are at most
// Options.FacetLimit matches (default 10 000); above, FacetsCapped is set
// and every facet is empty (counting them would visit every match).
type Result struct {
	Total        uint64                  `json:"total"`
	TotalCapped  bool                    `json:"total_capped,omitempty"` // there are more than Total`
	TookMS       int64                   `json:"took_ms"`
	Hits         []Hit                   `json:"hits"`
	Facets       map[string][]FacetValue `json:"facets"` // kind, year, unit, retention, classification
	FacetsCapped bool                    `json:"facets_capped,omitempty"`
}

// Hit is one matching record. Highlights["title"] and ["body"] are HTML:
// matches wrapped in <mark>…</mark>, everything else escaped.
type Hit struct {
	ID          string              `json:"id"`
	Title       string              `json:"title"`
	DocNumber   string              `json:"doc_number"`
	ArchiveCode string              `json:"archive_code"`
	Kind        string              `json:"kind"`
	Year        int                 `json:"year"`
	Unit        string              `json:"unit"`
	FiledAt     time.Time           `json:"filed_at"`
	Persons     []string            `json:"persons,omitempty"` // 涉及人员, as filed
	CaseNo      string              `json:"case_no,omitempty"` // 案件编号, as filed
	Score       float64             `json:"score"`
	Highlights  map[string][]string `json:"highlights"`
}

// FacetValue is one value of a facet and the number of visible matches
// that have it.
type FacetValue struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// maxFacetTerms bounds the values counted over all five facets together.
const maxFacetTerms = 10000

var facetByLetter = func() map[string]string {
	m := map[string]string{}
	for name, l := range facetLetters {
		m[l] = name
	}
	return m
}()

// FacetNames are the keys of Result.Facets.
var FacetNames = []string{"kind", "year", "unit", "retention", "classification"}

var facetFields = map[string]string{
	"kind": fKind, "year": fYear, "unit": fUnit, "retention": fRetention, "classification": fClass,
}

// validate checks a request and fills in defaults.
func (r *Request) validate() error {
	switch r.Sort {
	case "", "relevance", "filed_at", "-filed_at":
	default:
		return qerr("sort", CodeBadSort, "排序方式只能是 relevance、filed_at 或 -filed_at")
	}
	if r.Size < 0 {
		return qerr("size", CodeBadSize, "每页条数不能为负数")
	}
	if r.Size > MaxSize {
		return qerr("size", CodeSizeTooLarge, "每页最多 %d 条", MaxSize)
	}
	if r.Size == 0 {
		r.Size = DefaultSize
	}
	if r.Page < 0 {
		return qerr("page", CodeBadPage, "页码必须是正整数")
	}
	if r.Page == 0 {
		r.Page = 1
	}
	if r.Page > MaxWindow/r.Size {
		return qerr("page", CodeBadPage, "只能翻到前 %d 条结果，请缩小查询范围", MaxWindow)
	}
	if r.Year != 0 && (r.Year < 1900 || r.Year > 9999) {
		return qerr("year", CodeBadYear, "年度应为四位年份")
	}
	if r.Classification != "" && classRank(r.Classification) < 0 {
		return qerr("classification", CodeBadClassification, "密级只能是 公开、内部、秘密 或 机密")
	}
	if r.Retention != "" && !validRetention(r.Retention) {
		return qerr("retention", CodeBadRetention, "保管期限只能是 Y（永久）、D30（定期30年）或 D10（定期10年）")
	}
	if !r.From.IsZero() && !r.To.IsZero() && r.From.After(r.To) {
		return qerr("from", CodeBadDateRange, "起始日期晚于截止日期")
	}
	return nil
}

// Search runs req for viewer v. A *QueryError means the request is wrong
// (HTTP 400); any other error is the index's.
func (ix *Index) Search(ctx context.Context, req Request, v Viewer) (*Result, error) {
	return ix.search(ctx, req, v, true)
}

// ByPerson lists the records that name person, newest first.
func (ix *Index) ByPerson(ctx context.Context, name string, v Viewer, page, size int) (*Result, error) {
	if strings.TrimSpace(name) == "" {
		return nil, qerr("person", CodeEmptyFieldValue, "缺少人员姓名")
	}
	return ix.search(ctx, Request{Person: name, Sort: "-filed_at", Page: page, Size: size}, v, false)
}

// ByCase lists the records of one case, newest first.
func (ix *Index) ByCase(ctx context.Context, caseNo string, v Viewer, page, size int) (*Result, error) {
	if strings.TrimSpace(caseNo) == "" {
		return nil, qerr("case", CodeEmptyFieldValue, "缺少案件编号")
	}
	return ix.search(ctx, Request{Case: caseNo, Sort: "-filed_at", Page: page, Size: size}, v, false)
}

func emptyResult(took time.Duration) *Result {
	r := &Result{Hits: []Hit{}, Facets: map[string][]FacetValue{}, TookMS: took.Milliseconds()}
	for _, n := range FacetNames {
		r.Facets[n] = []FacetValue{}
	}
	return r
}

func (ix *Index) search(ctx context.Context, req Request, v Viewer, facets bool) (*Result, error) {
	start := time.Now()
	if err := req.validate(); err != nil {
		return nil, err
	}
	rank, err := clearanceRank(v)
	if err != nil {
		return nil, err
	}
	ast, err := parseQuery(req.Q)
	if err != nil {
		return nil, err
	}
	if err := ix.rlock(); err != nil {
		return nil, err
	}
	defer ix.mu.RUnlock()

	shards := ix.viewerShards(v, req.Unit)
	if len(shards) == 0 {
		return emptyResult(time.Since(start)), nil // sees nothing
	}
	ix.searched.Add(int64(len(shards)))
	c := ix.newCompiler()
	userQ := c.compile(ast, false)
	q := shardQuery{user: userQ, filters: append(classFilter(rank), requestFilters(req)...), narrow: ix.narrowFraction(ast)}
	// facets are counted over the matches noted while searching, as long
	// as there are at most FacetLimit of them
	var log *matchLog
	if facets {
		log = &matchLog{limit: int64(ix.opts.FacetLimit)}
		if ix.opts.FacetLimit < 0 {
			log.limit = math.MaxInt64
		}
	}
	runs, err := runShards(ctx, shards, q, req.Page*req.Size, orderOf(req, userQ == nil), log, ix.opts.TotalLimit)
	defer closeRuns(runs)
	if err != nil {
		return nil, err
	}
	page, total, capped := mergePage(runs, sortOrder(req, userQ == nil), (req.Page-1)*req.Size, req.Size)
	hits, err := loadFields(page, hitFields)
	if err != nil {
		return nil, err
	}
	out := emptyResult(0)
	out.Total = total
	if capped {
		// the matches counted: a lower bound
		out.TotalCapped = true
		if log != nil {
			log.full.Store(true)
		}
	}
	hl := newHighlighter(c.marks, ix.opts.FragmentRunes, ix.opts.MaxFragments)
	for _, dm := range hits {
		out.Hits = append(out.Hits, hitOf(dm, hl))
	}
	switch {
	case facets && !log.full.Load():
		counts, err := countFacets(runs)
		if err != nil {
			return nil, err
		}
		ix.splitFacets(out, counts)
	case facets:
		out.FacetsCapped = true
	}
	out.TookMS = time.Since(start).Milliseconds()
	return out, nil
}

// shardQuery is a search's query for one shard: the user's query (nil for
// none) and the filter, which names the shard's own unit (every record of
// a shard is of its unit; the term guards against one that is not) beside
// filters, the viewer's (classFilter) and the request's own.
type shardQuery struct {
	user    query.Query
	filters []query.Query
	// narrow: a search by relevance is narrowed to candidates first when
	// they are at most a narrow-th of the shard (0: never; prefilter.go)
	narrow uint64
}

func (q shardQuery) on(sh *shard) query.Query {
	filters := append([]query.Query{termOn(fUnit, sh.unit)}, q.filters...)
	// The filter is a conjunct of the query, not Bleve's post-filter: see
	// filterQuery.
	var top query.Query = filterQuery{query.NewConjunctionQuery(filters)}
	if q.user != nil {
		top = query.NewConjunctionQuery([]query.Query{q.user, top})
	}
	return top
}

// classFilter is the classifications up to rank, or nothing when rank is
// the highest (every record passes).
func classFilter(rank int) []query.Query {
	if rank >= len(Classifications)-1 {
		return nil
	}
	var classes []query.Query
	for _, c := range Classifications[:rank+1] {
		classes = append(classes, termOn(fClass, c))
	}
	return []query.Query{disjunction(classes)}
}

// clearanceRank is the rank of the viewer's clearance ("" = 公开).
func clearanceRank(v Viewer) (int, error) {
	clearance := v.Clearance
	if clearance == "" {
		clearance = Classifications[0]
	}
	rank := classRank(clearance)
	if rank < 0 {
		return 0, fmt.Errorf("%w: clearance %q", ErrBadViewer, v.Clearance)
	}
	return rank, nil
}

// viewerShards returns the shards to search: those of the viewer's units
// (only only's, when set) that exist.
func (ix *Index) viewerShards(v Viewer, only string) []*shard {
	var shards []*shard
	seen := map[string]bool{}
	only = strings.TrimSpace(only)
	for _, u := range v.Units {
		if u = strings.TrimSpace(u); u == "" || seen[u] || only != "" && u != only {
			continue
		}
		seen[u] = true
		if sh, _ := ix.shardFor(u, false); sh != nil {
			shards = append(shards, sh)
		}
	}
	return shards
}

// requestFilters are the request's own exact filters.
func requestFilters(req Request) []query.Query {
	var filters []query.Query
	for _, f := range []struct{ field, value string }{
		{fKind, req.Kind}, {fUnit, req.Unit}, {fClass, req.Classification},
		{fRetention, req.Retention}, {fPersons, foldName(req.Person)}, {fCase, foldName(req.Case)},
	} {
		if v := strings.TrimSpace(f.value); v != "" {
			filters = append(filters, termOn(f.field, v))
		}
	}
	if req.Year != 0 {
		filters = append(filters, termOn(fYear, strconv.Itoa(req.Year)))
	}
	if !req.From.IsZero() || !req.To.IsZero() {
		incl := true
		dr := query.NewDateRangeInclusiveQuery(req.From, req.To, &incl, &incl)
		dr.SetField(fFiledAt)
		filters = append(filters, dr)
	}
	return filters
}

// hitFields are the stored fields a Hit is made of.
var hitFields = []string{fTitle, fBody, fDocNumber, fArchiveCode, fKind, fYear, fUnit, fFiledAt, fPersonsFiled, fCaseFiled}

// sortOrder is the order of a request's hits as Bleve writes it, by which
// mergePage merges the shards' pages (each hit's Sort holds its key, see
// shardRun.collect): unique date keys, so no tie-break by id is needed
// (see sortKeys). orderOf is the same order as the collectors keep it.
func sortOrder(req Request, noQuery bool) bsearch.SortOrder {
	oldest := &bsearch.SortField{Field: fFiledKey, Type: bsearch.SortFieldAsString, Missing: bsearch.SortFieldMissingLast}
	newest := &bsearch.SortField{Field: fFiledKeyDesc, Type: bsearch.SortFieldAsString, Missing: bsearch.SortFieldMissingLast}
	switch {
	case req.Sort == "filed_at":
		return bsearch.SortOrder{oldest}
	case req.Sort == "-filed_at" || noQuery:
		return bsearch.SortOrder{newest}
	}
	return bsearch.SortOrder{&bsearch.SortScore{Desc: true}, newest}
}

// orderOf is sortOrder as the shards' collectors keep it.
func orderOf(req Request, noQuery bool) hitOrder {
	switch {
	case req.Sort == "filed_at":
		return hitOrder{key: fFiledKey}
	case req.Sort == "-filed_at" || noQuery:
		return hitOrder{key: fFiledKeyDesc}
	}
	return hitOrder{scored: true, key: fFiledKeyDesc}
}

// hitOf turns a Bleve match into a Hit with its highlights.
func hitOf(dm *bsearch.DocumentMatch, hl *highlighter) Hit {
	h := Hit{
		ID:          dm.ID,
		Title:       fieldString(dm.Fields, fTitle),
		DocNumber:   fieldString(dm.Fields, fDocNumber),
		ArchiveCode: fieldString(dm.Fields, fArchiveCode),
		Kind:        fieldString(dm.Fields, fKind),
		Unit:        fieldString(dm.Fields, fUnit),
		Persons:     fieldStrings(dm.Fields, fPersonsFiled),
		CaseNo:      fieldString(dm.Fields, fCaseFiled),
		Score:       dm.Score,
		Highlights:  map[string][]string{"title": {}, "body": {}},
	}
	if h.Score != h.Score { // NaN from an unscored search
		h.Score = 0
	}
	h.Year, _ = strconv.Atoi(fieldString(dm.Fields, fYear))
	if s := fieldString(dm.Fields, fFiledAt); s != "" {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			h.FiledAt = t
		}
	}
	if hl.active() {
		if t := hl.title(h.Title); t != "" {
			h.Highlights["title"] = []string{t}
		}
		h.Highlights["body"] = hl.fragments(fieldString(dm.Fields, fBody))
	}
	return h
}

// splitFacets splits the counts of the shared facets field into the five
// facets of out, each its FacetSize most frequent values (years then
// newest first).
func (ix *Index) splitFacets(out *Result, counts map[string]int) {
	for term, n := range counts {
		if name := facetByLetter[term[:min(1, len(term))]]; name != "" {
			out.Facets[name] = append(out.Facets[name], FacetValue{Value: term[1:], Count: n})
		}
	}
	for name, vals := range out.Facets {
		sort.Slice(vals, func(i, j int) bool {
			if vals[i].Count != vals[j].Count {
				return vals[i].Count > vals[j].Count
			}
			return vals[i].Value < vals[j].Value
		})
		if len(vals) > ix.opts.FacetSize {
			vals = vals[:ix.opts.FacetSize]
		}
		if name == "year" {
			sort.Slice(vals, func(i, j int) bool { return vals[i].Value > vals[j].Value })
		}
		out.Facets[name] = vals
	}
}

func termOn(field, value string) query.Query {
	t := query.NewTermQuery(value)
	t.SetField(field)
	return t
}

func fieldString(fields map[string]interface{}, name string) string {
	switch v := fields[name].(type) {
	case string:
		return v
	case []interface{}:
		if len(v) > 0 {
			if s, ok := v[0].(string); ok {
				return s
			}
		}
	}
	return ""
}

// fieldStrings is every value of a stored field, in the order indexed
// (Bleve gives one value as a string, several as a list).
func fieldStrings(fields map[string]interface{}, name string) []string {
	switch v := fields[name].(type) {
	case string:
		return []string{v}
	case []interface{}:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
