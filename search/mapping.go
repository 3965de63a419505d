package search

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/mapping"
)

// Doc is one filed record as the index sees it.
type Doc struct {
	ID             string    `json:"id"`
	Title          string    `json:"title"`
	Body           string    `json:"body"`
	DocNumber      string    `json:"doc_number"`     // 文号, e.g. 国办发〔2024〕1号
	ArchiveCode    string    `json:"archive_code"`   // 档号, e.g. Z109-WS·2026-Y-BGS-0001
	Kind           string    `json:"kind"`           // 文种
	Template       string    `json:"template"`       // template id
	Unit           string    `json:"unit"`           // owning unit (机构)
	Year           int       `json:"year"`           // 年度; 0 = FiledAt's year
	Persons        []string  `json:"persons"`        // people the record concerns
	CaseNo         string    `json:"case_no"`        // 案件编号
	Classification string    `json:"classification"` // 密级: 公开|内部|秘密|机密
	Retention      string    `json:"retention"`      // 保管期限: Y|D30|D10
	FiledAt        time.Time `json:"filed_at"`
	Author         string    `json:"author"`
	Approver       string    `json:"approver"`
}

// Classifications in ascending order of sensitivity.
var Classifications = []string{"公开", "内部", "秘密", "机密"}

// Retentions are the 保管期限 codes of DA/T 22-2015: 永久, 定期30年, 定期10年.
var Retentions = []string{"Y", "D30", "D10"}

func classRank(c string) int {
	for i, v := range Classifications {
		if v == c {
			return i
		}
	}
	return -1
}

func validRetention(r string) bool {
	for _, v := range Retentions {
		if v == r {
			return true
		}
	}
	return false
}

// Index field names.
const (
	fTitle          = "title"
	fBody           = "body"
	fMeta           = "meta"    // 文号, 档号, persons, case, author … as text
	fTitleExact     = "title_x" // AnalyzerExact: every substring (exact.go)
	fBodyExact      = "body_x"
	fMetaExact      = "meta_x"
	fDocNumber      = "doc_number"     // stored, as filed
	fDocNumberKey   = "doc_number_key" // indexed, normalised
	fArchiveCode    = "archive_code"
	fArchiveCodeKey = "archive_code_key"
	fKind           = "kind"
	fTemplate       = "template"
	fUnit           = "unit"
	fYear           = "year"
	fPersons        = "persons"
	fCase           = "case_no"
	fPersonsFiled   = "persons_filed" // stored, as filed: the hit's persons (fPersons is indexed, folded)
	fCaseFiled      = "case_no_filed" // stored, as filed
	fClass          = "classification"
	fRetention      = "retention"
	fFiledAt        = "filed_at"
	fAuthor         = "author"
	fApprover       = "approver"
	fFacets         = "facets"         // doc values: facet letter + value, one per facet
	fFiledKey       = "filed_key"      // doc values: filedKey(filed_at) + id, the oldest-first sort key
	fFiledKeyDesc   = "filed_key_desc" // doc values: the newest-first sort key (sortKeys)
)

// facetLetters prefix a facet's values in the facets field (short: zap
// decompresses the doc values of every chunk a search touches).
var facetLetters = map[string]string{"kind": "k", "year": "y", "unit": "u", "retention": "r", "classification": "c"}

// The date sort keys: milliseconds from year 1 (Unix milliseconds plus
// msFromYear1) as ten base-36 digits, the newest-first key maxSortKey less
// that.
const (
	msFromYear1 = 62135596800000
	maxSortKey  = 3656158440062975 // 36^10 - 1: ten base-36 digits
)

// filedKey is filed_at as ten base-36 digits of milliseconds since year 1:
// fixed width, so the keys sort as the times do, and short.
func filedKey(t time.Time) string {
	k := strconv.FormatInt(t.UnixMilli()+msFromYear1, 36)
	return strings.Repeat("0", max(0, 10-len(k))) + k
}

// sortKeys are the two date sort keys of a record, both sorted ascending
// and unique, so that no sort needs the record id as a tie-break (which
// reads every match's stored id): the filing time then the id, and the
// time inverted (newest first) then the id. A record without a filing time
// sorts last in both orders.
func sortKeys(filed time.Time, id string) (oldestFirst, newestFirst string) {
	if filed.IsZero() {
		return "~" + id, "~" + id
	}
	k := filedKey(filed)
	ms, _ := strconv.ParseInt(k, 36, 64)
	inv := strconv.FormatInt(maxSortKey-ms, 36)
	return k + id, strings.Repeat("0", max(0, 10-len(inv))) + inv + id
}

// keyTime is the filing time a sort key begins with (the newest-first key
// when newestFirst), or false for the key of a record without one.
func keyTime(key string, newestFirst bool) (time.Time, bool) {
	if len(key) < 10 || key[0] == '~' {
		return time.Time{}, false
	}
	v, err := strconv.ParseInt(key[:10], 36, 64)
	if err != nil {
		return time.Time{}, false
	}
	if newestFirst {
		v = maxSortKey - v
	}
	return time.UnixMilli(v - msFromYear1).UTC(), true
}

// schemaVersion changes with the mapping; with the dictionary hash it decides
// NeedsReindex.
// Version 2: the five facets share one doc-values field and filed_at is
// sorted by a keyword key (see newMapping).
// Version 3: one index per unit (shard.go) with meta.json; an index of
// version ≤ 2 is one Bleve index at <dir>/index and is recreated.
// Version 4: the cjk-bigram shadow fields (title_cjk …) are replaced by the
// exact fields (title_x …, AnalyzerExact), which find every substring; the
// date sort keys hold the id (sortKeys).
// Version 5: the persons and the case number are stored as filed
// (persons_filed, case_no_filed), so that a hit carries them (Hit.Persons,
// Hit.CaseNo). Bleve cannot add a stored field to an existing index, so the
// shards are recreated and the start-up reindex fills them again.
const schemaVersion = "5"

type analysisMode int

const (
	modeJieba   analysisMode = iota // jieba fields + exact fields
	modeCJKOnly                     // baseline for benchmarks: only Bleve's cjk analyzer
)

func newMapping(mode analysisMode) *mapping.IndexMappingImpl {
	im := bleve.NewIndexMapping()
	im.StoreDynamic = false
	im.IndexDynamic = false
	im.DocValuesDynamic = false
	im.DefaultAnalyzer = keyword.Name
	dm := bleve.NewDocumentStaticMapping()

	text := func(name, analyzer string, store bool) *mapping.FieldMapping {
		fm := bleve.NewTextFieldMapping()
		fm.Name = name
		fm.Analyzer = analyzer
		fm.Store = store
		fm.IncludeInAll = false
		fm.IncludeTermVectors = true // positions for phrases
		fm.DocValues = false
		return fm
	}
	kw := func(name string, store, index, docValues bool) *mapping.FieldMapping {
		fm := bleve.NewKeywordFieldMapping()
		fm.Name = name
		fm.Store = store
		fm.Index = index
		fm.IncludeInAll = false
		fm.IncludeTermVectors = false
		fm.DocValues = docValues
		return fm
	}
	prop := func(fms ...*mapping.FieldMapping) *mapping.DocumentMapping {
		p := bleve.NewDocumentStaticMapping()
		for _, fm := range fms {
			p.AddFieldMapping(fm)
		}
		return p
	}
	switch mode {
	case modeCJKOnly:
		dm.AddSubDocumentMapping(fTitle, prop(text(fTitle, AnalyzerBigram, true)))
		dm.AddSubDocumentMapping(fBody, prop(text(fBody, AnalyzerBigram, true)))
		dm.AddSubDocumentMapping(fMeta, prop(text(fMeta, AnalyzerBigram, false)))
	default:
		dm.AddSubDocumentMapping(fTitle, prop(text(fTitle, AnalyzerIndex, true), text(fTitleExact, AnalyzerExact, false)))
		dm.AddSubDocumentMapping(fBody, prop(text(fBody, AnalyzerIndex, true), text(fBodyExact, AnalyzerExact, false)))
		dm.AddSubDocumentMapping(fMeta, prop(text(fMeta, AnalyzerIndex, false), text(fMetaExact, AnalyzerExact, false)))
	}
	dm.AddSubDocumentMapping(fDocNumber, prop(kw(fDocNumber, true, false, false)))
	dm.AddSubDocumentMapping(fDocNumberKey, prop(kw(fDocNumberKey, false, true, false)))
	dm.AddSubDocumentMapping(fArchiveCode, prop(kw(fArchiveCode, true, false, false)))
	dm.AddSubDocumentMapping(fArchiveCodeKey, prop(kw(fArchiveCodeKey, false, true, false)))
	dm.AddSubDocumentMapping(fPersonsFiled, prop(kw(fPersonsFiled, true, false, false)))
	dm.AddSubDocumentMapping(fCaseFiled, prop(kw(fCaseFiled, true, false, false)))
	// Doc values are what a search reads for every match (facets, sort),
	// and zap reads them chunk by chunk per field: the five facets share
	// one field ("kind\x1f函", "year\x1f2024", …) and the sort reads one
	// short key, instead of six fields of which filed_at (a datetime) holds
	// eight prefix-coded terms per record.
	for _, f := range []string{fKind, fUnit, fYear, fClass, fRetention} {
		dm.AddSubDocumentMapping(f, prop(kw(f, true, true, false))) // stored, filtered
	}
	dm.AddSubDocumentMapping(fFacets, prop(kw(fFacets, false, true, true)))
	dm.AddSubDocumentMapping(fFiledKey, prop(kw(fFiledKey, false, true, true)))
	dm.AddSubDocumentMapping(fFiledKeyDesc, prop(kw(fFiledKeyDesc, false, true, true)))
	for _, f := range []string{fTemplate, fPersons, fCase, fAuthor, fApprover} {
		dm.AddSubDocumentMapping(f, prop(kw(f, false, true, false)))
	}
	dt := bleve.NewDateTimeFieldMapping()
	dt.Name = fFiledAt
	dt.IncludeInAll = false
	dt.DocValues = false // range filter only; the sort uses filed_key
	dm.AddSubDocumentMapping(fFiledAt, prop(dt))

	im.DefaultMapping = dm
	im.DefaultField = fBody
	return im
}

// foldKey normalises an exact identifier the same way at index and query
// time: full-width ASCII to half-width, no spaces, upper case, and the
// bracket variants of a 文号 year (〔〕 [] () （） 【】) to 〔〕.
func foldKey(s string) string {
	s = narrow(s)
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			continue
		case r == '[' || r == '(' || r == '【' || r == '（' || r == '［':
			r = '〔'
		case r == ']' || r == ')' || r == '】' || r == '）' || r == '］':
			r = '〕'
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}

// narrow maps full-width ASCII (Ａ１：) and the ideographic space to their
// half-width forms.
func narrow(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			return r - 0xFEE0
		case r == 0x3000:
			return ' '
		}
		return r
	}, s)
}

// foldName normalises a person's name or a case number: trimmed, half-width,
// inner spaces removed.
func foldName(s string) string {
	s = narrow(strings.TrimSpace(s))
	return strings.Join(strings.Fields(s), "")
}

// cleanString makes stored text valid UTF-8 without NULs, so the stored
// value and the analysed value are byte for byte the same.
func cleanString(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", " ")
	}
	return s
}

func (d *Doc) validate() error {
	if strings.TrimSpace(d.ID) == "" {
		return fmt.Errorf("%w: empty id", ErrBadDoc)
	}
	if classRank(d.Classification) < 0 {
		return fmt.Errorf("%w: %s: classification %q is not one of 公开|内部|秘密|机密", ErrBadDoc, d.ID, d.Classification)
	}
	if !validRetention(d.Retention) {
		return fmt.Errorf("%w: %s: retention %q is not one of Y|D30|D10", ErrBadDoc, d.ID, d.Retention)
	}
	if strings.TrimSpace(d.Unit) == "" {
		return fmt.Errorf("%w: %s: empty unit", ErrBadDoc, d.ID)
	}
	if d.Year < 0 || d.Year > 9999 {
		return fmt.Errorf("%w: %s: year %d", ErrBadDoc, d.ID, d.Year)
	}
	return nil
}

// fields turns a Doc into the map Bleve indexes.
func (d *Doc) fields() map[string]any {
	m := map[string]any{}
	put := func(k, v string) {
		if v = strings.TrimSpace(cleanString(v)); v != "" {
			m[k] = v
		}
	}
	m[fTitle] = cleanString(d.Title)
	m[fBody] = cleanString(d.Body)
	put(fDocNumber, d.DocNumber)
	put(fDocNumberKey, foldKey(cleanString(d.DocNumber)))
	put(fArchiveCode, d.ArchiveCode)
	put(fArchiveCodeKey, foldKey(cleanString(d.ArchiveCode)))
	put(fKind, d.Kind)
	put(fTemplate, d.Template)
	put(fUnit, d.Unit)
	put(fClass, d.Classification)
	put(fRetention, d.Retention)
	put(fCase, foldName(cleanString(d.CaseNo)))
	put(fCaseFiled, d.CaseNo)
	put(fAuthor, d.Author)
	put(fApprover, d.Approver)
	year := d.Year
	if year == 0 && !d.FiledAt.IsZero() {
		year = d.FiledAt.Year()
	}
	if year > 0 {
		m[fYear] = strconv.Itoa(year)
	}
	if !d.FiledAt.IsZero() {
		m[fFiledAt] = d.FiledAt.UTC()
	}
	m[fFiledKey], m[fFiledKeyDesc] = sortKeys(d.FiledAt, d.ID)
	var facets []string
	for _, name := range FacetNames {
		if v, ok := m[facetFields[name]].(string); ok {
			facets = append(facets, facetLetters[name]+v)
		}
	}
	m[fFacets] = facets
	var persons, filed []string
	for _, p := range d.Persons {
		p = strings.TrimSpace(cleanString(p))
		if f := foldName(p); f != "" {
			persons = append(persons, f)
			filed = append(filed, p)
		}
	}
	if len(persons) > 0 {
		m[fPersons] = persons
		m[fPersonsFiled] = filed
	}
	// meta: the identifiers and names as text, one per line, so a bare
	// query finds a record by its 文号 or a person's name too.
	// Unit and kind are left out: every unit name holds 纪检监察, and both
	// are facets and filters already.
	meta := []string{d.DocNumber, d.ArchiveCode, d.CaseNo, d.Author, d.Approver}
	meta = append(meta, d.Persons...)
	m[fMeta] = cleanString(strings.Join(meta, "\n"))
	return m
}
