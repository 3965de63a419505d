// Package docgen is wenshu's GB/T 9704-2012 layout engine. It holds a small
// document model of a 党政机关公文 — 版头 (份号, 密级, 紧急程度, 发文机关标志,
// 发文字号), 主体 (标题, 主送, 正文 with heading levels, lists and tables,
// 附件说明, 署名, 成文日期, 附注) and 版记 (抄送, 印发机关, 印发日期) — and writes
// it as an Office Open XML (.docx) package with encoding/xml escaping and
// archive/zip.
//
// Two layouts follow the standard: LayoutDocument (文件格式, red-head
// document) and LayoutLetter (信函格式). LayoutPlain is the same page without
// 版头 and 版记, for internal approval papers such as a 谈话方案.
//
// The line grid is 22 lines × 28 characters in Word and in LibreOffice: a
// lines-only grid of pitch 579 and −0.3 pt character spacing on body text
// (see shared/spec/formats.md §1.1). Output is deterministic: the same
// Document gives byte-identical bytes (fixed zip times, fixed part order),
// which signing and tests rely on.
//
// ExtractText reads the text back out of a .docx, also one that came from
// outside: it refuses zip bombs from the zip directory before inflating
// anything and streams the document part within Limits.
//
// docgen knows nothing of HTTP, storage, templates or search.
package docgen
