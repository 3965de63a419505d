// make-template.js builds template.docx, the docxtemplater template of the
// peer benchmark, from wenshu's own 20-row 党风廉政意见回复:
//
//  1. render templates/testdata/bench-20rows.json's fields with
//     `go run ./cmd/wenshu render -t integrity-reply`;
//  2. replace each filled-in value of that .docx with a docxtemplater tag,
//     keeping the fixed wording around it, and cut the 20 table rows down
//     to one row wrapped in {#rows}…{/rows};
//  3. write the result with DEFLATE.
//
// So the template carries exactly our styles, fonts, page set-up, header
// and footers, and docxtemplater has to produce the same paragraphs and
// table that we lay out from data. Run it from anywhere:
//
//	node bench/docxtemplater/make-template.js [ours.docx]
//
// where ours.docx, if given, is wenshu's rendering of the fields (for when
// the CLI cannot be built).
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const PizZip = require('pizzip');

const root = path.resolve(__dirname, '..', '..');
const dataFile = path.join(root, 'templates', 'testdata', 'bench-20rows.json');
const outFile = path.join(__dirname, 'template.docx');

const bench = JSON.parse(fs.readFileSync(dataFile, 'utf8'));
const d = bench.data;

// ours.docx may be given as an argument (already rendered from
// bench-20rows.json's fields); otherwise the CLI renders it.
let rendered = process.argv[2];
let tmp;
if (!rendered) {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wenshu-bench-'));
  const input = path.join(tmp, 'fields.json');
  rendered = path.join(tmp, 'ours.docx');
  fs.writeFileSync(input, JSON.stringify(bench.fields));
  try {
    execFileSync('go', ['run', './cmd/wenshu', 'render', '-t', 'integrity-reply', '-i', input, '-o', rendered], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}
const zip = new PizZip(fs.readFileSync(rendered));
if (tmp) fs.rmSync(tmp, { recursive: true, force: true });

// Parts this script rewrites get the fixed zip time wenshu uses, so the
// template is the same bytes every time it is made.
const zipTime = { date: new Date(1980, 0, 1) };
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const run = (text) => '<w:t xml:space="preserve">' + text + '</w:t>';

// replaceOnce swaps the run text literal for tagged, failing unless the
// literal occurs exactly once.
function replaceOnce(xml, part, literal, tagged) {
  const needle = run(esc(literal));
  const n = xml.split(needle).length - 1;
  if (n !== 1) {
    throw new Error(`${part}: want 1 run with ${JSON.stringify(literal)}, found ${n}`);
  }
  return xml.replace(needle, () => run(tagged));
}

// The fixed wording is templates/builtin/integrity-reply/body.tmpl's; each
// pair is [what our document carries, the same with tags].
const pairs = [
  [d.doc_number, '{doc_number}'],
  [`关于${d.lead_name}${d.several ? '等' : ''}同志党风廉政意见的回复`, '关于{lead_name}{#several}等{/several}同志党风廉政意见的回复'],
  [`${d.recipient}：`, '{recipient}：'],
  [
    `你单位《${d.request_title}》${d.request_number ? `（${d.request_number}）` : ''}于${d.received_date}收悉。` +
      `经查阅信访举报、问题线索、在办案件和党纪政务处分等情况，现将${d.count}名同志${d.purpose}党风廉政意见回复如下：`,
    '你单位《{request_title}》{#request_number}（{request_number}）{/request_number}于{received_date}收悉。' +
      '经查阅信访举报、问题线索、在办案件和党纪政务处分等情况，现将{count}名同志{purpose}党风廉政意见回复如下：',
  ],
  [
    `本意见仅反映截至${d.as_of}我组掌握的情况。如发现新的问题线索，我组将及时向你单位通报。`,
    '本意见仅反映截至{as_of}我组掌握的情况。如发现新的问题线索，我组将及时向你单位通报。',
  ],
  [d.issuer, '{issuer}'],
  [d.date, '{date}'],
  [`（联系人：${d.contact}，电话：${d.phone}）`, '（联系人：{contact}，电话：{phone}）'],
];

let doc = zip.file('word/document.xml').asText();
for (const [literal, tagged] of pairs) {
  doc = replaceOnce(doc, 'word/document.xml', literal, tagged);
}

// The table: keep the header row and the first data row, whose cells
// become the row loop; drop the other rows.
const tbl = doc.match(/<w:tbl>[\s\S]*?<\/w:tbl>/);
if (!tbl) throw new Error('word/document.xml: no table');
const rows = tbl[0].match(/<w:tr>[\s\S]*?<\/w:tr>/g);
if (!rows || rows.length !== d.rows.length + 1) {
  throw new Error(`word/document.xml: want ${d.rows.length + 1} table rows, found ${rows ? rows.length : 0}`);
}
const cols = ['no', 'name', 'position', 'matter', 'conclusion', 'note'];
let cell = 0;
const loopRow = rows[1].replace(/<w:tc>[\s\S]*?<\/w:tc>/g, (tc) => {
  const col = cols[cell];
  const want = d.rows[0][col];
  const has = tc.match(/<w:t xml:space="preserve">([^<]*)<\/w:t>/);
  if ((has ? has[1] : '') !== esc(want === undefined ? '' : want)) {
    throw new Error(`table row 1, column ${col}: want ${JSON.stringify(want)}, found ${JSON.stringify(has && has[1])}`);
  }
  let tag = `{${col}}`;
  if (cell === 0) tag = '{#rows}' + tag;
  if (cell === cols.length - 1) tag += '{/rows}';
  cell++;
  // Every cell gets one run, even where our row 1 has an empty cell.
  return tc.replace(/(<\/w:pPr>)[\s\S]*?(<\/w:p>)/, (_, a, b) => `${a}<w:r>${run(tag)}</w:r>${b}`);
});
if (cell !== cols.length) throw new Error(`table row 1: want ${cols.length} cells, found ${cell}`);
const tblStart = tbl[0].indexOf(rows[1]);
const tblEnd = tbl[0].lastIndexOf('</w:tr>') + '</w:tr>'.length;
const newTbl = tbl[0].slice(0, tblStart) + loopRow + tbl[0].slice(tblEnd);
doc = doc.replace(tbl[0], () => newTbl);
zip.file('word/document.xml', doc, zipTime);

// The letter's first-page header carries the 发文机关标志.
zip.file('word/header1.xml', replaceOnce(zip.file('word/header1.xml').asText(), 'word/header1.xml', bench.mark, '{issuer}'), zipTime);

// docProps/core.xml carries the title as dc:title.
const title = pairs[1];
let core = zip.file('docProps/core.xml').asText();
const dcTitle = `<dc:title>${esc(title[0])}</dc:title>`;
if (!core.includes(dcTitle)) throw new Error('docProps/core.xml: no dc:title with the title');
core = core.replace(dcTitle, () => `<dc:title>${title[1]}</dc:title>`);
zip.file('docProps/core.xml', core, zipTime);

const out = zip.generate({ type: 'nodebuffer', compression: 'DEFLATE' });
fs.writeFileSync(outFile, out);
console.log(`wrote ${path.relative(root, outFile)} (${out.length} bytes)`);
