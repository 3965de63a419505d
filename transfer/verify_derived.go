package transfer

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"wenshu/archive"
)

// The checks of what is derived from the record manifests: the chain
// segment, the catalogue, the metadata and the audit extract.

// chain checks chain.json: positions first…last without a gap, each
// link's predecessor hash equal to the previous link's manifest hash (the
// first's to predecessor_sm3), and every record manifest of the package at
// its position with its own SM3 and predecessor hash.
func (v *verifier) chain() {
	mark := len(v.rep.Findings)
	var c Chain
	b, ok := v.data(ChainPath, "链段 ")
	if ok && (decodeStrict(b, &c) != nil || len(c.Links) == 0) {
		v.rep.find(ChainPath, KindInvalid, "不是有效的链段")
		ok = false
	}
	if ok {
		v.chainLinks(&c)
		v.chainRecords(&c)
	}
	v.rep.check(CheckChain, mark, fmt.Sprintf("链段第%d至%d件连续，首件前序摘要 %s", c.FirstSeq, c.LastSeq, orDash(c.PredecessorSM3)))
}

func (v *verifier) chainLinks(c *Chain) {
	if c.FirstSeq == 1 && c.PredecessorSM3 != "" {
		v.rep.find(ChainPath, KindChain, "第1件不应有前序摘要")
	}
	if c.FirstSeq < 1 || c.LastSeq != c.FirstSeq+int64(len(c.Links))-1 {
		v.rep.find(ChainPath, KindChain, fmt.Sprintf("链段记载第%d至%d件，却有 %d 个位置", c.FirstSeq, c.LastSeq, len(c.Links)))
	}
	for i, l := range c.Links {
		want := c.PredecessorSM3
		if i > 0 {
			want = c.Links[i-1].ManifestSM3
		}
		switch {
		case l.Seq != c.FirstSeq+int64(i):
			v.rep.find(ChainPath, KindChain, fmt.Sprintf("第%d个位置的序号为 %d，应为 %d（缺失或重复）", i+1, l.Seq, c.FirstSeq+int64(i)))
			return
		case l.PrevManifestSM3 != want:
			v.rep.find(ChainPath, KindChain, fmt.Sprintf("第%d件的前序摘要与第%d件的清单摘要不符", l.Seq, l.Seq-1))
		}
	}
}

func (v *verifier) chainRecords(c *Chain) {
	at := map[string]ChainLink{}
	for _, l := range c.Links {
		if l.ManifestPath != "" {
			at[l.ManifestPath] = l
		}
	}
	for _, r := range v.recs {
		l, ok := at[r.path]
		delete(at, r.path)
		switch {
		case !ok:
			v.rep.find(r.path, KindChain, fmt.Sprintf("档案 %s（第%d件）不在链段中", r.m.ArchiveCode, r.m.ChainSeq))
		case l.Seq != r.m.ChainSeq:
			v.rep.find(r.path, KindChain, fmt.Sprintf("清单为第%d件，链段记载第%d件", r.m.ChainSeq, l.Seq))
		case l.ManifestSM3 != v.entries[r.path].file.SM3:
			v.rep.find(r.path, KindChain, "清单的 SM3 与链段记载不符")
		case l.PrevManifestSM3 != r.m.PrevManifestSM3:
			v.rep.find(r.path, KindChain, "清单的前序摘要与链段记载不符")
		}
	}
	for p := range at {
		v.rep.find(p, KindChain, "链段记载的清单不在包内")
	}
}

// wantRows are the catalogue rows the manifests give, by 档号.
func (v *verifier) wantRows() (map[string][]string, []string) {
	rows := map[string][]string{}
	var order []string
	for i, r := range v.recs {
		rows[r.m.ArchiveCode] = catalogueRow(i+1, r.m)
		order = append(order, r.m.ArchiveCode)
	}
	return rows, order
}

// catalogue checks catalogue.csv and catalogue.xml row by row against the
// manifests, naming the row and the column that differ.
func (v *verifier) catalogue() {
	mark := len(v.rep.Findings)
	if b, ok := v.data(CatalogueCSVPath, "归档文件目录 "); ok {
		if rows, err := parseCatalogueCSV(b); err != nil {
			v.rep.find(CatalogueCSVPath, KindCatalogue, err.Error())
		} else {
			v.compareRows(CatalogueCSVPath, rows)
		}
	}
	if b, ok := v.data(CatalogueXMLPath, "归档文件目录 "); ok {
		var doc catalogueXML
		if err := xml.Unmarshal(b, &doc); err != nil {
			v.rep.find(CatalogueXMLPath, KindCatalogue, "不是有效的 XML")
		} else {
			rows := make([][]string, len(doc.Items))
			for i, it := range doc.Items {
				rows[i] = it.cells()
			}
			v.compareRows(CatalogueXMLPath, rows)
		}
	}
	v.rep.check(CheckCatalogue, mark, fmt.Sprintf("归档文件目录（CSV、XML）%d 行与清单一致", len(v.recs)))
}

func parseCatalogueCSV(b []byte) ([][]string, error) {
	if !bytes.HasPrefix(b, []byte(csvBOM)) {
		return nil, fmt.Errorf("缺少 UTF-8 BOM")
	}
	rows, err := csv.NewReader(bytes.NewReader(b[len(csvBOM):])).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("不是有效的 CSV：%v", err)
	}
	if len(rows) == 0 || !slices.Equal(rows[0], CatalogueHeader) {
		return nil, fmt.Errorf("表头应为 %v", CatalogueHeader)
	}
	return rows[1:], nil
}

func (v *verifier) compareRows(p string, got [][]string) {
	want, order := v.wantRows()
	seen := map[string]bool{}
	for i, row := range got {
		line := "第" + strconv.Itoa(i+1) + "行"
		if len(row) != len(CatalogueHeader) {
			v.rep.find(p, KindCatalogue, fmt.Sprintf("%s有 %d 列，应为 %d 列", line, len(row), len(CatalogueHeader)))
			continue
		}
		w, ok := want[row[1]]
		switch {
		case !ok:
			v.rep.find(p, KindCatalogue, fmt.Sprintf("%s的档号 %s 没有对应的档案清单", line, row[1]))
			continue
		case seen[row[1]]:
			v.rep.find(p, KindCatalogue, fmt.Sprintf("%s的档号 %s 重复", line, row[1]))
			continue
		}
		seen[row[1]] = true
		for j := range row {
			if row[j] != w[j] {
				v.rep.find(p, KindCatalogue, fmt.Sprintf("%s（档号 %s）「%s」为 %q，档案清单为 %q", line, row[1], CatalogueHeader[j], row[j], w[j]))
			}
		}
	}
	for _, code := range order {
		if !seen[code] {
			v.rep.find(p, KindCatalogue, "档号 "+code+" 不在目录中")
		}
	}
}

// metadata checks each record's metadata.xml: it must be exactly what
// its manifest gives (compared by SM3, so it is never held in memory).
func (v *verifier) metadata() {
	mark := len(v.rep.Findings)
	for _, r := range v.recs {
		p := recordDir(r.m) + recordMetadata
		e := v.entries[p]
		if e == nil {
			v.rep.find(p, KindMissing, "档案 "+r.m.ArchiveCode+" 的元数据不在包内")
			continue
		}
		if want, err := recordMetadataXML(r.m); err != nil || e.err != nil || archive.SM3Hex(want) != e.file.SM3 {
			v.rep.find(p, KindMetadata, "DA/T 46 元数据与档案清单不一致")
		}
	}
	v.rep.check(CheckMetadata, mark, fmt.Sprintf("%d 份 DA/T 46 元数据与清单一致", len(v.recs)))
}

// audit checks audit.json: it parses, names only the package's records,
// and holds the record.export event of each.
func (v *verifier) audit() {
	mark := len(v.rep.Findings)
	var a Audit
	b, ok := v.data(AuditPath, "审计摘录 ")
	if ok && json.Unmarshal(b, &a) != nil {
		v.rep.find(AuditPath, KindInvalid, "不是有效的审计摘录")
		ok = false
	}
	if ok {
		exported := map[string]bool{}
		mine := map[string]bool{}
		for _, r := range v.recs {
			mine[r.m.RecordID] = true
		}
		for _, e := range a.Events {
			if e.RecordID != "" && !mine[e.RecordID] {
				v.rep.find(AuditPath, KindInvalid, fmt.Sprintf("事件 %d 涉及的档案 %s 不在包内", e.ID, e.RecordID))
			}
			if e.Action == "record.export" {
				exported[e.RecordID] = true
			}
		}
		for _, r := range v.recs {
			if !exported[r.m.RecordID] {
				v.rep.find(AuditPath, KindMissing, "没有档案 "+r.m.ArchiveCode+" 的导出事件 record.export")
			}
		}
	}
	v.rep.check(CheckAudit, mark, fmt.Sprintf("审计摘录 %d 条事件，均属包内档案", len(a.Events)))
}

// voids verifies each void marker (voids/*.json): SM2-signed by a key in
// the package, where its 档号 says, of the package's 年度 and 保管期限.
func (v *verifier) voids() {
	mark := len(v.rep.Findings)
	for _, name := range v.names {
		if !strings.HasPrefix(name, voidsDir) {
			continue
		}
		b, ok := v.data(name, "作废标记")
		if !ok {
			continue
		}
		vm, err := archive.ParseVoidMarker(b)
		if err != nil {
			v.rep.find(name, KindInvalid, "不是有效的作废标记")
			continue
		}
		if key := v.keyFor(vm.SignerKeyID); key == nil {
			v.rep.find(name, KindSignature, "签名密钥 "+vm.SignerKeyID+" 不在包内 keys/")
		} else if _, err := archive.VerifyVoidMarker(b, key); err != nil {
			v.rep.find(name, KindSignature, err.Error())
		}
		switch {
		case voidPath(vm) != name:
			v.rep.find(name, KindInvalid, "作废标记记载的档号 "+vm.ArchiveCode+" 应位于 "+voidPath(vm))
		case v.pm != nil && vm.Year != v.pm.Year:
			v.rep.find(name, KindInvalid, fmt.Sprintf("作废标记的年度 %d 不是移交包的年度 %d", vm.Year, v.pm.Year))
		case v.pm != nil && v.pm.Retention != "" && string(vm.Retention) != v.pm.Retention:
			v.rep.find(name, KindInvalid, "作废标记的保管期限 "+string(vm.Retention)+" 不是移交包的保管期限 "+v.pm.Retention)
		}
		v.voidMs = append(v.voidMs, vm)
	}
	v.rep.check(CheckVoids, mark, fmt.Sprintf("%d 份作废标记 SM2 签名有效", len(v.voidMs)))
}

// sequence checks that within each 全宗号 × 保管期限 × 机构 the 件号 of
// the records and the void markers run 1…N, each used once (DA/T 70
// 完整性: no unexplained gaps). A gap is named against catalogue.csv.
func (v *verifier) sequence() {
	mark := len(v.rep.Findings)
	type class struct{ fonds, retention, org string }
	used := map[class]map[int]string{} // 件号 → what holds it
	add := func(c class, n int, what string) {
		if used[c] == nil {
			used[c] = map[int]string{}
		}
		if prev, dup := used[c][n]; dup {
			v.rep.find(CatalogueCSVPath, KindSequence, fmt.Sprintf("%s-%s-%s 的件号 %d 同时属于 %s 和 %s", c.fonds, c.retention, c.org, n, prev, what))
			return
		}
		used[c][n] = what
	}
	for _, r := range v.recs {
		add(class{r.m.Fonds, string(r.m.Retention), r.m.Org}, r.m.ItemNo, "档案 "+r.m.ArchiveCode)
	}
	for _, vm := range v.voidMs {
		add(class{vm.Fonds, string(vm.Retention), vm.Org}, vm.ItemNo, "作废标记 "+vm.ArchiveCode)
	}
	classes := slices.SortedFunc(maps.Keys(used), func(a, b class) int {
		return strings.Compare(a.fonds+"\x00"+a.retention+"\x00"+a.org, b.fonds+"\x00"+b.retention+"\x00"+b.org)
	})
	for _, c := range classes {
		top := slices.Max(slices.Collect(maps.Keys(used[c])))
		for n := 1; n <= top; n++ {
			if _, ok := used[c][n]; !ok {
				v.rep.find(CatalogueCSVPath, KindSequence, fmt.Sprintf("%s-%s-%s 缺件号 %d，且没有作废标记说明", c.fonds, c.retention, c.org, n))
			}
		}
	}
	v.rep.check(CheckSequence, mark, fmt.Sprintf("%d 个分类的件号连续（作废 %d 个，均有标记）", len(classes), len(v.voidMs)))
}
