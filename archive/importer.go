package archive

import (
	"archive/zip"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"wenshu/catalog"
	"wenshu/docgen"
	"wenshu/identity"
	"wenshu/problem"
	"wenshu/textrule"
)

// ImportRequest is an existing record to file (a .docx or UTF-8 .txt).
type ImportRequest struct {
	FileName       string // decides the type: .docx or .txt
	Data           []byte
	Title          string // 题名, required
	Kind           string // 文种, required
	Year           int    // 年度 of the 档号, required
	Classification string // default 内部
	Retention      Retention
	Persons        []string
	CaseNo         string
	DocNumber      string // optional 文号; must be the importer's unit's own and not in use
	// Fields go into the manifest as they are: set by the archive itself
	// for the records it generates (销毁清册, 四性检测报告), never from a
	// client.
	Fields map[string]any
}

// Import files an existing document like a generated record: the 档号 is
// allocated for its year, the content is digested, signed, stored under
// COMPLIANCE lock and catalogued; a given 文号 is recorded if it is the
// unit's own (checkImportDocNumber: doc_number_other_unit otherwise) and
// no record uses it yet. Archivists (and operators) import, into their own unit, at
// or below their clearance. Rejected with typed errors: empty files
// (ErrInvalid, empty_file), unknown extensions (unsupported_type), a .docx
// that is not a Word package (invalid_docx), a .txt that is not UTF-8 text
// (invalid_text), and files over Options.MaxImportBytes (ErrTooLarge).
func (s *Store) Import(ctx context.Context, u *identity.User, req ImportRequest) (*Record, error) {
	im, err := s.checkImport(ctx, u, &req)
	if err != nil {
		return nil, err
	}
	if err := s.storageChecked(); err != nil {
		return nil, err
	}
	now := s.now().Truncate(time.Millisecond)
	f := &filingRow{ID: newID(), Source: SourceImported, Owner: s.instance, FiledAt: now}
	f.ContentKey = contentKey(req.Year, f.ID, im.ext)
	m := s.importedManifest(u, req, im, f)
	f.ContentSM3, f.ContentSHA256, f.ContentSize = m.Content.SM3, m.Content.SHA256, m.Content.Size
	s.setActive(f.ID, true)
	defer s.setActive(f.ID, false)
	err = s.cat.Tx(ctx, func(tx *sql.Tx) error { return s.allocateImport(ctx, tx, u, req, im.unit, f, m) })
	if catalog.IsUniqueViolation(err) {
		return nil, errDocNumberTaken(req.DocNumber)
	}
	if err != nil {
		return nil, internal("import", err)
	}
	s.crashPoint("rendered")
	return s.storeAndFinish(ctx, f, req.Data, im.mediaType, im.text)
}

// checkedImport is an import request that passed checkImport.
type checkedImport struct {
	unit                 *identity.Unit
	mediaType, ext, text string
	caseNo, originalName string
	persons              []string
}

// checkImport applies the import rules to req (normalising its strings):
// an archivist of a unit with real codes, a file that is what its
// extension says, the required metadata, and a classification within the
// caller's clearance.
func (s *Store) checkImport(ctx context.Context, u *identity.User, req *ImportRequest) (*checkedImport, error) {
	if err := identity.RequireRole(u, identity.RoleArchivist); err != nil {
		return nil, err
	}
	unit, err := s.id.GetUnit(ctx, u.UnitID)
	if err != nil {
		return nil, err
	}
	if unit.Placeholder {
		return nil, problem.Conflict("unit_placeholder", "单位「"+unit.Name+"」尚未设置机关代字、全宗号和机构代码，不能归档")
	}
	mediaType, ext, text, err := s.checkImportFile(req.FileName, req.Data)
	if err != nil {
		return nil, err
	}
	if err := s.checkImportMetadata(req); err != nil {
		return nil, err
	}
	if err := s.checkImportDocNumber(ctx, unit, req.DocNumber); err != nil {
		return nil, err
	}
	if identity.ClearanceRank(req.Classification) > identity.ClearanceRank(u.Clearance) {
		return nil, problem.Forbidden("above_clearance", "不能导入高于本人密级的档案")
	}
	in := DraftInput{TemplateID: "import", CaseNo: req.CaseNo, Persons: req.Persons, Classification: req.Classification, Retention: req.Retention}
	if err := in.normalise(); err != nil {
		return nil, err
	}
	return &checkedImport{unit: unit, mediaType: mediaType, ext: ext, text: text, caseNo: in.CaseNo,
		persons: in.Persons, originalName: filepath.Base(req.FileName)}, nil
}

// checkImportMetadata normalises and checks title, kind, year,
// classification, retention and 文号.
func (s *Store) checkImportMetadata(req *ImportRequest) error {
	req.Title = strings.TrimSpace(req.Title)
	req.Kind = strings.TrimSpace(req.Kind)
	req.DocNumber = strings.TrimSpace(req.DocNumber)
	if req.Classification == "" {
		req.Classification = identity.ClearanceInternal
	}
	thisYear := s.now().In(s.opts.Location).Year()
	switch {
	case req.Title == "" || utf8.RuneCountInString(req.Title) > 200 || textrule.Refused(req.Title):
		return problem.Invalid("bad_title", "title", "题名不能为空，不超过200字，且不含控制字符")
	case req.Kind == "" || utf8.RuneCountInString(req.Kind) > 50 || textrule.Refused(req.Kind):
		return problem.Invalid("bad_kind", "kind", "文种不能为空，不超过50字")
	case req.Year < 1949 || req.Year > thisYear:
		return problem.Invalid("bad_year", "year", fmt.Sprintf("年度须在1949至%d之间", thisYear))
	case identity.ClearanceRank(req.Classification) < 0:
		return problem.Invalid("bad_classification", "classification", "密级须为 公开、内部、秘密 或 机密")
	case !req.Retention.Valid():
		return problem.Invalid("bad_retention", "retention", "保管期限须为 Y（永久）、D30（定期30年）或 D10（定期10年）")
	case utf8.RuneCountInString(req.DocNumber) > 50 || textrule.Refused(req.DocNumber):
		return problem.Invalid("bad_doc_number", "doc_number", "文号不超过50字")
	}
	return nil
}

// importedManifest is the unsigned manifest of an import, without its
// numbers (allocateImport adds them).
func (s *Store) importedManifest(u *identity.User, req ImportRequest, im *checkedImport, f *filingRow) *Manifest {
	unit, now := im.unit, f.FiledAt
	return &Manifest{
		Author: PersonRef{ID: u.ID, Name: u.Name}, CaseNo: im.caseNo, Classification: req.Classification,
		Content: ObjectRef{Key: f.ContentKey, MediaType: im.mediaType, OriginalName: im.originalName, SHA256: sha256Hex(req.Data),
			Size: int64(len(req.Data)), SM3: sm3Hex(req.Data)},
		DocNumber: req.DocNumber, Fields: nonNilMap(req.Fields), FiledAt: catalog.FormatTime(now), Format: ManifestFormat,
		Kind: req.Kind, ManifestKey: manifestKey(req.Year, f.ID), Persons: im.persons, RecordID: f.ID,
		RetainUntil: s.retainUntil(now, req.Retention).Format(retainLayout), Retention: req.Retention,
		Source: SourceImported, Title: req.Title,
		Unit: UnitRef{Code: unit.Code, Fonds: unit.Fonds, ID: unit.ID, Name: unit.Name, Org: unit.Org}, Year: req.Year,
	}
}

// allocateImport is the import's first transaction: a given 文号 must be
// free, the 档号 is allocated for the stated year, and the journal row is
// inserted already rendered (the content is what was uploaded).
func (s *Store) allocateImport(ctx context.Context, tx *sql.Tx, u *identity.User, req ImportRequest, unit *identity.Unit, f *filingRow, m *Manifest) error {
	a := allocation{DocNumber: req.DocNumber, Fonds: unit.Fonds, Year: req.Year, Retention: req.Retention, Org: unit.Org}
	if a.DocNumber != "" {
		taken, err := numberTaken(ctx, tx, a.DocNumber)
		if err != nil {
			return err
		}
		if taken {
			return errDocNumberTaken(a.DocNumber)
		}
	}
	var err error
	if a.ItemNo, err = allocItem(ctx, tx, a.Fonds, a.Year, a.Retention, a.Org); err != nil {
		return err
	}
	a.ArchiveCode = FormatArchiveCode(a.Fonds, a.Year, a.Retention, a.Org, a.ItemNo)
	f.alloc = a
	m.ArchiveCode, m.Fonds, m.Org, m.ItemNo = a.ArchiveCode, a.Fonds, a.Org, a.ItemNo
	if f.Pending, err = canonicalJSON(m); err != nil {
		return err
	}
	if err := insertFiling(ctx, tx, f, f.FiledAt); err != nil {
		return err
	}
	return s.audit(ctx, tx, u, "record.import_start", f.ID, "", m.Content.OriginalName+" "+a.ArchiveCode)
}

// checkImportDocNumber holds an imported 文号 to the importer's unit
// (文号归属本单位): its 机关代字 — the text before 〔 — must be the unit's
// code, alone or followed by a series of one to four Chinese characters
// (驻财纪函〔2026〕6号), and must not be read better as another unit's
// longer code (驻财纪 when the unit is 驻财). Anything else is refused
// before the catalog is asked whether the number is in use, with one
// answer whether or not another unit used it, so that an import neither
// tells about nor takes from another unit's sequence.
func (s *Store) checkImportDocNumber(ctx context.Context, unit *identity.Unit, docNumber string) error {
	if docNumber == "" {
		return nil
	}
	refused := problem.Invalid("doc_number_other_unit", "doc_number",
		"文号须为本单位（机关代字「"+unit.Code+"」）的发文字号，如 "+FormatDocNumber(unit.Code, s.now().In(s.opts.Location).Year(), 1))
	agency, _, _, ok := ParseDocNumber(docNumber)
	if !ok {
		return refused
	}
	series, own := strings.CutPrefix(agency, unit.Code)
	if !own || (series != "" && !docSeriesRE.MatchString(series)) {
		return refused
	}
	if series == "" {
		return nil
	}
	units, err := s.id.ListUnits(ctx)
	if err != nil {
		return err
	}
	for _, other := range units {
		if other.ID != unit.ID && len(other.Code) > len(unit.Code) && strings.HasPrefix(agency, other.Code) {
			return refused
		}
	}
	return nil
}

// docSeriesRE is a 文号 series (系列) after the 机关代字: one to four Chinese
// characters, as templates allows in doc_series.
var docSeriesRE = regexp.MustCompile(`^\p{Han}{1,4}$`)

func errDocNumberTaken(docNumber string) error {
	return problem.FieldError(problem.ErrConflict, "doc_number_taken", "doc_number", "文号「"+docNumber+"」已被使用")
}

// checkImportFile decides the media type from the extension and checks
// that the bytes are what it says. The text it returns is for the index,
// cut to MaxIndexedText.
func (s *Store) checkImportFile(name string, data []byte) (mediaType, ext, text string, err error) {
	ext = strings.ToLower(filepath.Ext(name))
	switch {
	case len(data) == 0:
		return "", "", "", problem.Invalid("empty_file", "file", "文件为空")
	case int64(len(data)) > s.opts.MaxImportBytes:
		return "", "", "", problem.FieldError(ErrTooLarge, "too_large", "file", fmt.Sprintf("文件超过 %d MiB 的上限", s.opts.MaxImportBytes>>20))
	}
	limits := s.opts.ImportLimits.withDefaults()
	switch ext {
	case ".docx":
		if err := limits.checkDocxZip(data); err != nil {
			return "", "", "", err
		}
		text, err := docgen.ExtractTextLimits(data, limits.docxLimits())
		var le *docgen.LimitError
		if errors.As(err, &le) {
			return "", "", "", problem.FieldError(ErrTooLarge, "zip_too_large", "file",
				fmt.Sprintf("Word 文档超过解压限额（%s：%d，上限 %d），疑为解压炸弹", le.Limit, le.Value, le.Max))
		}
		if err != nil {
			return "", "", "", problem.Invalid("invalid_docx", "file", "文件不是有效的 Word (.docx) 文档")
		}
		return MediaTypeDocx, ext, cutText(text, limits.MaxIndexedText), nil
	case ".txt":
		if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
			return "", "", "", problem.Invalid("invalid_text", "file", "文本文件须为 UTF-8 编码，且不含二进制内容")
		}
		return MediaTypeText, ext, plainText(data, limits.MaxIndexedText), nil
	}
	return "", "", "", problem.Invalid("unsupported_type", "file", "只能导入 .docx 或 UTF-8 .txt 文件")
}

// contentText returns the plain text of stored content, for the index
// (cut to MaxIndexedText).
func (s *Store) contentText(b []byte, mediaType string) (string, error) {
	limits := s.opts.ImportLimits.withDefaults()
	if strings.HasPrefix(mediaType, "text/plain") {
		return plainText(b, limits.MaxIndexedText), nil
	}
	if mediaType != MediaTypeDocx {
		t, err := extractedText(b, mediaType) // a PDF or a scan (replies.go)
		return cutText(t, limits.MaxIndexedText), err
	}
	t, err := docgen.ExtractTextLimits(b, storedDocxLimits(limits))
	if errors.Is(err, docgen.ErrNotDocx) {
		return "", fmt.Errorf("archive: stored content is not a .docx: %w", err)
	}
	return cutText(t, limits.MaxIndexedText), err
}

// docxLimits are docgen's extraction limits for an imported .docx: the
// document.xml cap of these limits, and a text cap no smaller than what
// that XML can hold (the index is given only MaxIndexedText of it), so a
// long but honest document is accepted and a bomb is refused.
func (l ImportLimits) docxLimits() docgen.Limits {
	d := docgen.DefaultLimits()
	d.MaxDocumentXML = l.MaxDocumentXML
	if l.MaxDocumentXML > int64(d.MaxTextChars) {
		d.MaxTextChars = int(l.MaxDocumentXML)
	}
	return d
}

// storedDocxLimits are wider: content already filed (rebuild, reindex) was
// accepted under the limits of its day, which may have been larger, so
// only a size that no import ever allowed (64 MiB of XML) is refused.
func storedDocxLimits(l ImportLimits) docgen.Limits {
	d := l.docxLimits()
	if d.MaxDocumentXML < 64<<20 {
		d.MaxDocumentXML = 64 << 20
	}
	d.MaxTotalSize = max(d.MaxTotalSize, 256<<20)
	d.MaxTextChars = int(d.MaxDocumentXML)
	d.MaxRatio = 1 << 20 // the ratio guards uploads, not filed content
	return d
}

// ImportLimits bound the work wenshu does on an imported file's content:
// zip bombs (解压炸弹) are refused before they are inflated, and the text of
// a very large record is indexed only in part. Zero fields take the
// defaults.
type ImportLimits struct {
	// MaxDocumentXML bounds word/document.xml of a .docx, the one part
	// wenshu inflates, as the zip declares it; Go's zip reader refuses to
	// inflate a part beyond its declared size, so it bounds the inflated
	// size as well. Larger is ErrTooLarge (413, zip_too_large). Default
	// DefaultMaxDocumentXML.
	MaxDocumentXML int64
	// MaxZipRatio bounds the compression ratio of word/document.xml when
	// it inflates to more than 1 MiB; higher is ErrInvalid (422,
	// zip_ratio). Default DefaultMaxZipRatio.
	MaxZipRatio int
	// MaxIndexedText bounds, in bytes, the text of a record that is handed
	// to the search index (Options.OnFiled, RecordText): longer text is cut
	// at a character boundary, so that indexing a large record runs in
	// bounded memory. The stored content is always whole. Default
	// DefaultMaxIndexedText.
	MaxIndexedText int
}

// Defaults of ImportLimits.
const (
	DefaultMaxDocumentXML = 20 << 20
	DefaultMaxZipRatio    = 100
	DefaultMaxIndexedText = 512 << 10
	// maxDocxParts bounds the entries of a .docx (a real one has tens).
	maxDocxParts = 1000
	// ratioFloor: smaller parts are not held to MaxZipRatio.
	ratioFloor = 1 << 20
)

func (l ImportLimits) withDefaults() ImportLimits {
	if l.MaxDocumentXML <= 0 {
		l.MaxDocumentXML = DefaultMaxDocumentXML
	}
	if l.MaxZipRatio <= 0 {
		l.MaxZipRatio = DefaultMaxZipRatio
	}
	if l.MaxIndexedText <= 0 {
		l.MaxIndexedText = DefaultMaxIndexedText
	}
	return l
}

// checkDocxZip reads a .docx's zip directory, without inflating anything,
// and refuses a zip bomb: too many parts, or a word/document.xml declared
// larger than MaxDocumentXML or compressed beyond MaxZipRatio. Bytes that
// are no zip at all pass, for ExtractText to refuse as invalid_docx.
func (l ImportLimits) checkDocxZip(data []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil
	}
	if len(zr.File) > maxDocxParts {
		return problem.FieldError(ErrTooLarge, "zip_too_large", "file", fmt.Sprintf("Word 文档的部件超过 %d 个，疑为解压炸弹", maxDocxParts))
	}
	for _, f := range zr.File {
		if f.Name != "word/document.xml" {
			continue
		}
		size := f.UncompressedSize64
		if size > uint64(l.MaxDocumentXML) {
			return problem.FieldError(ErrTooLarge, "zip_too_large", "file",
				fmt.Sprintf("Word 文档正文（word/document.xml）解压后为 %d MiB，超过 %d MiB 的上限", size>>20, l.MaxDocumentXML>>20))
		}
		if size > ratioFloor && size > uint64(l.MaxZipRatio)*f.CompressedSize64 {
			return problem.Invalid("zip_ratio", "file",
				fmt.Sprintf("Word 文档正文的压缩比超过 %d 倍，疑为解压炸弹", l.MaxZipRatio))
		}
	}
	return nil
}

// cutText returns s, or its first bytes up to max cut at a character
// boundary (a copy, so that s itself can be freed).
func cutText(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return strings.Clone(s[:runeBoundary(s, max)])
}

// plainText is the text of a .txt without its byte order mark, cut to max
// bytes at a character boundary.
func plainText(b []byte, max int) string {
	b = bytes.TrimPrefix(b, []byte("\uFEFF"))
	if len(b) > max {
		b = b[:runeBoundary(b, max)]
	}
	return string(b)
}

// runeBoundary is the largest n <= max (max < len(s)) at which s can be
// cut without splitting a character.
func runeBoundary[T string | []byte](s T, max int) int {
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return max
}
