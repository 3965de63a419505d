// Package transfer writes and verifies transfer packages (归档信息包, for
// 移交 to an archive office under DA/T 70-2018 and GB/T 18894-2016): one
// zip holding the records of a unit × 年度 [× 保管期限] exactly as the
// archive stored them, with everything needed to check them away from the
// server.
//
// # Layout
//
//	manifest.json                    package manifest, SM2-signed (Manifest)
//	keys/<key-id>.pem                the public key(s) that signed the manifests
//	records/<档号>/manifest.json     the record's manifest, byte for byte as stored
//	records/<档号>/content.docx      its content (.docx, or .txt for an imported text), as stored
//	records/<档号>/metadata.xml      DA/T 46-2009 metadata (文件实体) from the manifest
//	catalogue.csv                    归档文件目录 (DA/T 22-2015), UTF-8 with BOM, CRLF
//	catalogue.xml                    the same as XML
//	voids/<档号>.json                void markers (作废标记) of numbers handed out and never filed, as stored
//	chain.json                       the chain segment (Chain)
//	audit.json                       the audit extract of the records (Audit)
//	reports/…                        optional: the 四性检测 report and other attachments
//
// The catalogue's columns are 序号, 档号, 文号, 责任者 (the unit), 题名,
// 日期 (the filing day, YYYYMMDD, UTC+8), 密级, 页数 and 备注 (导入;
// 更正档案 <id>). 页数 is empty and metadata.xml has no 页数: a .docx's page
// count is only known after laying it out, which an export does not do.
//
// manifest.json lists every other file with its size, SM3 and SHA-256, and
// states the unit, 年度, 保管期限, time, exporter and counts. It is signed
// the way the archive signs its manifests: canonical JSON (compact, keys
// sorted) with "signature" set to "", SM2 with SM3, by the archive's key.
//
// The chain segment runs from the package's first record to its last in
// chain order. Records of other units in between appear by their manifest
// SM3 and predecessor SM3 alone, so the hash chain is unbroken without
// handing over their content; the first's predecessor hash is stated.
//
// The void markers explain gaps: within each 全宗号 × 保管期限 × 机构 the
// 件号 of the records and the void markers run 1…N, which Verify checks
// (DA/T 70 完整性). Units that share a 全宗号 and 机构代码 share one 件号
// sequence, so their packages would show gaps; give each unit its own.
//
// # Writing and verifying
//
// Write reads an archive.Export (archive.Store.OpenExport, which checks the
// caller and audits record.export) record by record into a zip stream.
// Verify needs only the package (an io.ReaderAt): no server, catalog or
// bucket. It refuses an unsafe zip before unpacking anything, and names
// every file that is missing, extra or altered (see Verify for the
// checks). This package knows nothing of HTTP or the command line.
package transfer
