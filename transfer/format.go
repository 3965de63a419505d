package transfer

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"wenshu/archive"
	"wenshu/catalog"
)

// Format identifies the package manifest schema.
const Format = "wenshu-transfer/1"

// Fixed paths inside a package.
const (
	ManifestPath     = "manifest.json"          // the package manifest, SM2-signed
	CatalogueCSVPath = "catalogue.csv"          // 归档文件目录, UTF-8 with BOM
	CatalogueXMLPath = "catalogue.xml"          // 归档文件目录 as XML
	ChainPath        = "chain.json"             // the chain segment
	AuditPath        = "audit.json"             // the audit extract (业务行为)
	keysDir          = "keys/"                  // keys/<key-id>.pem
	recordsDir       = "records/"               // records/<档号>/{manifest.json, content.*, metadata.xml}
	ReportsDir       = "reports/"               // optional extra files (四性检测 report)
	voidsDir         = "voids/"                 // voids/<档号>.json: void markers (作废标记), as stored
	recordManifest   = "manifest.json"          // inside a record's directory
	recordMetadata   = "metadata.xml"           // inside a record's directory
	contentBase      = "content"                // content.docx or content.txt
	metadataStandard = "DA/T 46-2009"           // named in metadata.xml
	catalogueRule    = "DA/T 22-2015"           // named in catalogue.xml
	csvBOM           = "\ufeff"                 // so Excel reads the CSV as UTF-8
	dateLayout       = "20060102"               // DA/T 22 日期: eight digits
	chinaOffset      = 8 * 3600                 // 日期 is the filing day in UTC+8
	formatDocx       = "DOCX (Office Open XML)" // 格式信息
	formatText       = "TXT (UTF-8)"
)

// File roles in the package manifest.
const (
	RoleManifest  = "manifest" // the package manifest itself is never listed
	RoleRecord    = "record_manifest"
	RoleContent   = "content"
	RoleMetadata  = "metadata"
	RoleCatalogue = "catalogue"
	RoleChain     = "chain"
	RoleAudit     = "audit"
	RoleKey       = "public_key"
	RoleVoid      = "void_marker"
	// RoleFourProperties is the 四性检测 report, produced by another step
	// and passed to Write as an ExtraFile.
	RoleFourProperties = "four_properties_report"
	RoleExtra          = "extra"
)

// Manifest is manifest.json: every other file of the package with its
// size, SM3 and SHA-256, what the package holds, and an SM2 signature by
// the archive's key over its canonical bytes (the archive's scheme:
// compact JSON, keys sorted, "signature" set to ""). Fields are in sorted
// order of their JSON names so encoding/json writes sorted keys.
type Manifest struct {
	Counts       Counts `json:"counts"`
	CreatedAt    string `json:"created_at"` // UTC, 2006-01-02T15:04:05.000Z
	Exporter     string `json:"exporter"`
	Files        []File `json:"files"` // sorted by path
	Format       string `json:"format"`
	PackageID    string `json:"package_id"`
	Retention    string `json:"retention"` // "" for every 保管期限
	Signature    string `json:"signature"`
	SignatureAlg string `json:"signature_alg"`
	SignerKeyID  string `json:"signer_key_id"`
	Unit         Unit   `json:"unit"`
	Year         int    `json:"year"`
}

// Counts are the package's totals (数据总量).
type Counts struct {
	Bytes   int64 `json:"bytes"` // of the listed files
	Files   int   `json:"files"` // listed files (manifest.json not included)
	Records int   `json:"records"`
}

// File is one listed file.
type File struct {
	Path   string `json:"path"`
	Role   string `json:"role"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	SM3    string `json:"sm3"`
}

// Unit is the unit (立档单位) whose records the package holds.
type Unit struct {
	Code  string `json:"code"`
	Fonds string `json:"fonds"`
	Name  string `json:"name"`
	Org   string `json:"org"`
}

// signingBytes returns the canonical bytes the signature covers.
func (m *Manifest) signingBytes() ([]byte, error) {
	c := *m
	c.Signature = ""
	if c.Files == nil {
		c.Files = []File{}
	}
	return archive.CanonicalJSON(&c)
}

// safeCode is a 档号 that can be a directory name as it is.
var safeCode = regexp.MustCompile(`^[A-Za-z0-9·\-]{1,64}$`)

// recordDir is the directory of a record in the package: its 档号, or its
// record id when the 档号 holds anything else.
func recordDir(m *archive.Manifest) string {
	if safeCode.MatchString(m.ArchiveCode) {
		return recordsDir + m.ArchiveCode + "/"
	}
	return recordsDir + m.RecordID + "/"
}

// contentPath is where a record's content sits: content plus the stored
// key's extension.
func contentPath(m *archive.Manifest) string {
	return recordDir(m) + contentBase + path.Ext(m.Content.Key)
}

func keyPath(id string) string { return keysDir + id + ".pem" }

// voidPath is where a void marker sits: its 档号, or its filing id.
func voidPath(vm *archive.VoidMarker) string {
	if safeCode.MatchString(vm.ArchiveCode) {
		return voidsDir + vm.ArchiveCode + ".json"
	}
	return voidsDir + vm.FilingID + ".json"
}

// sortManifests puts manifests in 档号 order, the order of the catalogue:
// 全宗号, 保管期限, 机构, 件号 (as archive.OpenExport selects them).
func sortManifests(ms []*archive.Manifest) {
	sort.SliceStable(ms, func(i, j int) bool {
		a, b := ms[i], ms[j]
		switch {
		case a.Fonds != b.Fonds:
			return a.Fonds < b.Fonds
		case a.Retention != b.Retention:
			return a.Retention < b.Retention
		case a.Org != b.Org:
			return a.Org < b.Org
		}
		return a.ItemNo < b.ItemNo
	})
}

// CatalogueHeader is the 归档文件目录's columns (DA/T 22-2015).
var CatalogueHeader = []string{"序号", "档号", "文号", "责任者", "题名", "日期", "密级", "页数", "备注"}

// catalogueRow is one line of the 归档文件目录, derived from a manifest.
// 页数 is left empty: the page count of a .docx is only known after
// rendering it, which an export does not do.
func catalogueRow(seq int, m *archive.Manifest) []string {
	return []string{strconv.Itoa(seq), m.ArchiveCode, m.DocNumber, m.Unit.Name, m.Title, filedDate(m), m.Classification, "", remarks(m)}
}

// filedDate is the 日期 column: the filing day in UTC+8 (for generated
// records it is also the 成文日期 printed in the document).
func filedDate(m *archive.Manifest) string {
	t := catalog.ParseTime(m.FiledAt)
	if t.IsZero() {
		return ""
	}
	return t.In(time.FixedZone("CST", chinaOffset)).Format(dateLayout)
}

func remarks(m *archive.Manifest) string {
	var out []string
	if m.Source == archive.SourceImported {
		out = append(out, "导入")
	}
	if m.Supersedes != "" {
		out = append(out, "更正档案 "+m.Supersedes)
	}
	return strings.Join(out, "；")
}

// catalogueCSV writes the 归档文件目录 as CSV: BOM, header, CRLF lines.
func catalogueCSV(ms []*archive.Manifest) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(csvBOM)
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	if err := w.Write(CatalogueHeader); err != nil {
		return nil, err
	}
	for i, m := range ms {
		if err := w.Write(catalogueRow(i+1, m)); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// catalogueXML is the 归档文件目录 as XML.
type catalogueXML struct {
	XMLName   xml.Name       `xml:"归档文件目录"`
	Rule      string         `xml:"依据,attr"`
	Unit      string         `xml:"立档单位,attr"`
	Fonds     string         `xml:"全宗号,attr"`
	Year      int            `xml:"年度,attr"`
	Retention string         `xml:"保管期限,attr,omitempty"`
	Items     []catalogueRec `xml:"条目"`
}

type catalogueRec struct {
	Seq            string `xml:"序号"`
	ArchiveCode    string `xml:"档号"`
	DocNumber      string `xml:"文号"`
	Responsible    string `xml:"责任者"`
	Title          string `xml:"题名"`
	Date           string `xml:"日期"`
	Classification string `xml:"密级"`
	Pages          string `xml:"页数"`
	Remarks        string `xml:"备注"`
}

func (c catalogueRec) cells() []string {
	return []string{c.Seq, c.ArchiveCode, c.DocNumber, c.Responsible, c.Title, c.Date, c.Classification, c.Pages, c.Remarks}
}

func recFromCells(r []string) catalogueRec {
	return catalogueRec{r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8]}
}

func marshalCatalogueXML(pm *Manifest, ms []*archive.Manifest) ([]byte, error) {
	doc := catalogueXML{Rule: catalogueRule, Unit: pm.Unit.Name, Fonds: pm.Unit.Fonds, Year: pm.Year, Retention: pm.Retention}
	for i, m := range ms {
		doc.Items = append(doc.Items, recFromCells(catalogueRow(i+1, m)))
	}
	return marshalXML(doc)
}

func marshalXML(v any) ([]byte, error) {
	b, err := xml.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(append([]byte(xml.Header), b...), '\n'), nil
}

// metadataXML is a record's DA/T 46-2009 metadata (文件实体), with the
// elements wenshu has. 页数 is omitted (see catalogueRow).
type metadataXML struct {
	XMLName     xml.Name   `xml:"文件实体"`
	Standard    string     `xml:"依据,attr"`
	FileNo      string     `xml:"电子文件号"`
	ArchiveCode string     `xml:"档号"`
	Fonds       string     `xml:"全宗号"`
	Year        int        `xml:"年度"`
	Retention   string     `xml:"保管期限"`
	Org         string     `xml:"机构或问题"`
	ItemNo      int        `xml:"件号"`
	Content     mdContent  `xml:"内容描述"`
	Electronic  mdFile     `xml:"电子属性"`
	Digests     []mdDigest `xml:"数字摘要"`
	Signature   mdSign     `xml:"电子签名"`
}

type mdContent struct {
	Title          string `xml:"题名"`
	DocNumber      string `xml:"文件编号"`
	Responsible    string `xml:"责任者"`
	Date           string `xml:"日期"`
	Kind           string `xml:"文种"`
	Classification string `xml:"密级"`
}

type mdFile struct {
	Format       string `xml:"格式信息"`
	MediaType    string `xml:"媒体类型"`
	FileName     string `xml:"计算机文件名"`
	OriginalName string `xml:"原始文件名,omitempty"`
	Size         int64  `xml:"计算机文件大小"`
}

type mdDigest struct {
	Alg   string `xml:"算法,attr"`
	Value string `xml:",chardata"`
}

type mdSign struct {
	Rule   string `xml:"签名规则"`
	Time   string `xml:"签名时间"`
	Signer string `xml:"签名人"`
	Result string `xml:"签名结果"`
	KeyID  string `xml:"证书引证"`
	Alg    string `xml:"签名算法标识"`
}

// recordMetadataXML renders a record's metadata.xml from its manifest
// (deterministic, so the verifier renders it again and compares).
func recordMetadataXML(m *archive.Manifest) ([]byte, error) {
	format := formatDocx
	if path.Ext(m.Content.Key) == ".txt" {
		format = formatText
	}
	doc := metadataXML{Standard: metadataStandard, FileNo: m.RecordID, ArchiveCode: m.ArchiveCode, Fonds: m.Fonds,
		Year: m.Year, Retention: string(m.Retention), Org: m.Org, ItemNo: m.ItemNo,
		Content: mdContent{Title: m.Title, DocNumber: m.DocNumber, Responsible: m.Unit.Name, Date: filedDate(m),
			Kind: m.Kind, Classification: m.Classification},
		Electronic: mdFile{Format: format, MediaType: m.Content.MediaType, FileName: path.Base(contentPath(m)),
			OriginalName: m.Content.OriginalName, Size: m.Content.Size},
		Digests: []mdDigest{{"SM3", m.Content.SM3}, {"SHA-256", m.Content.SHA256}},
		Signature: mdSign{Rule: "GB/T 35276（SM2 签名覆盖规范化清单，清单记载正文 SM3）", Time: m.FiledAt,
			Signer: m.Unit.Name + " 电子档案系统", Result: m.Signature,
			KeyID: m.SignerKeyID, Alg: m.SignatureAlg},
	}
	return marshalXML(doc)
}

// Chain is chain.json: the chain positions from the package's first
// record to its last. Links of the package's records name their manifest;
// links of other units' records carry only the two hashes, so the chain is
// unbroken without holding their content.
type Chain struct {
	FirstSeq       int64       `json:"first_seq"`
	LastSeq        int64       `json:"last_seq"`
	Links          []ChainLink `json:"links"`
	PredecessorSM3 string      `json:"predecessor_sm3"` // SM3 of manifest first_seq-1; "" when first_seq is 1
}

// ChainLink is one chain position.
type ChainLink struct {
	ManifestPath    string `json:"manifest_path,omitempty"` // in this package
	ManifestSM3     string `json:"manifest_sm3"`
	PrevManifestSM3 string `json:"prev_manifest_sm3"`
	Seq             int64  `json:"seq"`
}

// Audit is audit.json: the process metadata (业务行为) of the records.
type Audit struct {
	Events []archive.AuditEvent `json:"events"`
}
