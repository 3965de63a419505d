package transfer

import (
	"fmt"
	"sort"
)

// Kinds of findings.
const (
	KindUnsafe    = "unsafe"    // a zip entry that may not be unpacked (path, link, size, count)
	KindDuplicate = "duplicate" // two zip entries with one name
	KindMissing   = "missing"   // listed or required, not in the package
	KindExtra     = "extra"     // in the package, not listed
	KindAltered   = "altered"   // size, SM3 or SHA-256 differs from the package manifest
	KindSignature = "signature" // a manifest's signature or key does not verify
	KindContent   = "content"   // content differs from its record manifest
	KindChain     = "chain"     // the chain segment is broken
	KindCatalogue = "catalogue" // a catalogue row differs from the manifests
	KindSequence  = "sequence"  // a 件号 missing without a void marker, or used twice
	KindMetadata  = "metadata"  // metadata.xml differs from its manifest
	KindInvalid   = "invalid"   // a file that does not parse
)

// Names of the checks, in the order they run.
const (
	CheckZip        = "zip_safety"        // entry count, sizes, names, duplicates
	CheckPackageSig = "package_signature" // manifest.json is canonical and SM2-signed
	CheckFiles      = "files"             // every listed file present and intact, nothing extra
	CheckRecords    = "record_signatures" // each record manifest SM2-signed by a key in the package
	CheckContent    = "content_digests"   // each content's size, SM3, SHA-256 equal its manifest's
	CheckVoids      = "void_markers"      // each void marker SM2-signed, of the package's 年度
	CheckSequence   = "item_sequence"     // 件号 run 1…N per 保管期限 and 机构, gaps explained by void markers
	CheckChain      = "chain"             // the chain segment is continuous and matches the manifests
	CheckCatalogue  = "catalogue"         // catalogue.csv and catalogue.xml rows equal the manifests
	CheckMetadata   = "metadata"          // each metadata.xml equals its manifest's
	CheckAudit      = "audit"             // audit.json parses and names only records of the package
)

// Finding is one thing wrong, naming the file ("" for the package itself).
type Finding struct {
	Path   string `json:"path"`
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
}

// Check is one check's outcome.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Report is what Verify found. OK is true only when every check passed
// and there is no finding.
type Report struct {
	OK        bool      `json:"ok"`
	Refused   bool      `json:"refused"` // unsafe zip: not unpacked, nothing else checked
	PackageID string    `json:"package_id,omitempty"`
	Unit      string    `json:"unit,omitempty"`
	Year      int       `json:"year,omitempty"`
	Retention string    `json:"retention,omitempty"`
	Records   int       `json:"records"`
	Files     int       `json:"files"`
	KeyID     string    `json:"key_id,omitempty"`
	KeySource string    `json:"key_source,omitempty"` // "given" (--pubkey) or "package"
	Reports   []string  `json:"reports"`              // attached reports (四性检测), by path
	Checks    []Check   `json:"checks"`
	Findings  []Finding `json:"findings"`
}

// Key sources.
const (
	KeyGiven   = "given"   // the key passed in VerifyOptions (--pubkey)
	KeyPackage = "package" // the key in the package itself
)

func (r *Report) find(path, kind, detail string) {
	r.Findings = append(r.Findings, Finding{Path: path, Kind: kind, Detail: detail})
}

// check records a check that passed when no finding of its kinds was
// added since mark (the number of findings when it started).
func (r *Report) check(name string, mark int, okDetail string) {
	n := len(r.Findings) - mark
	if n == 0 {
		r.Checks = append(r.Checks, Check{Name: name, OK: true, Detail: okDetail})
		return
	}
	r.Checks = append(r.Checks, Check{Name: name, OK: false, Detail: fmt.Sprintf("%d 处问题", n)})
}

func (r *Report) finish() *Report {
	r.OK = !r.Refused && len(r.Findings) == 0 && len(r.Checks) > 0
	for _, c := range r.Checks {
		r.OK = r.OK && c.OK
	}
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	if r.Reports == nil {
		r.Reports = []string{}
	}
	return r
}

// Paths returns the files named by findings, sorted, each once.
func (r *Report) Paths() []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range r.Findings {
		if f.Path != "" && !seen[f.Path] {
			seen[f.Path] = true
			out = append(out, f.Path)
		}
	}
	sort.Strings(out)
	return out
}

// Has reports whether a finding of kind names path.
func (r *Report) Has(path, kind string) bool {
	for _, f := range r.Findings {
		if f.Path == path && f.Kind == kind {
			return true
		}
	}
	return false
}

// Lines is the report as `wenshu verify-package` prints it.
func (r *Report) Lines() []string {
	var out []string
	if r.Refused {
		out = append(out, "package refused: unsafe zip, not unpacked (移交包不安全，未解包)")
	} else {
		out = append(out, fmt.Sprintf("package %s: %s %d年 %s, %d records, %d files", orDash(r.PackageID), r.Unit, r.Year,
			orAll(r.Retention), r.Records, r.Files))
		switch r.KeySource {
		case KeyGiven:
			out = append(out, "key "+r.KeyID+": the key given with --pubkey (与给定公钥一致)")
		case KeyPackage:
			out = append(out, "key "+orDash(r.KeyID)+": taken from the package itself — pass --pubkey to check it against a key you trust (公钥取自移交包本身)")
		}
		if len(r.Reports) == 0 {
			out = append(out, "四性检测 report: not included (未附四性检测报告)")
		} else {
			out = append(out, fmt.Sprintf("四性检测 report: %v", r.Reports))
		}
	}
	for _, c := range r.Checks {
		mark := "✓"
		if !c.OK {
			mark = "✗"
		}
		out = append(out, fmt.Sprintf("  %s %-18s %s", mark, c.Name, c.Detail))
	}
	for _, f := range r.Findings {
		out = append(out, fmt.Sprintf("  %-9s %s: %s", f.Kind, orDash(f.Path), f.Detail))
	}
	if r.OK {
		out = append(out, "ok")
	} else {
		out = append(out, fmt.Sprintf("FAILED: %d finding(s)", len(r.Findings)))
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func orAll(r string) string {
	if r == "" {
		return "all retentions"
	}
	return r
}
