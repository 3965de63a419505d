// bench.js: docxtemplater + pizzip rendering the 20-row 党风廉政意见回复 of
// templates/testdata/bench-20rows.json from template.docx (made by
// make-template.js), single-threaded. It first checks that the output
// carries exactly the text of wenshu's own document, then times a fixed
// number of renders after a warm-up.
//
//	node bench/docxtemplater/bench.js [iterations] [warm-up] [rounds]
//
// It times `rounds` rounds of `iterations` renders each and reports the
// best round (the machine may be shared; the best round is the least
// disturbed one) with the median beside it, and the process CPU time per
// document over all rounds.
//
// Each iteration is what a docxtemplater service does per request:
// new PizZip(template) → new Docxtemplater(zip, {paragraphLoop, linebreaks})
// → render(data) → zip.generate({type: 'nodebuffer', compression: 'DEFLATE'}).
// A second run does the same with DEFLATE level 1, the level wenshu uses
// (flate.BestSpeed); pizzip's default is level 6.
'use strict';

const fs = require('fs');
const path = require('path');
const PizZip = require('pizzip');
const Docxtemplater = require('docxtemplater');

const root = path.resolve(__dirname, '..', '..');
const bench = JSON.parse(fs.readFileSync(path.join(root, 'templates', 'testdata', 'bench-20rows.json'), 'utf8'));
const template = fs.readFileSync(path.join(__dirname, 'template.docx'));
const data = bench.data;

const iterations = Number(process.argv[2] || process.env.BENCH_ITERS || 500);
const warmup = Number(process.argv[3] || process.env.BENCH_WARMUP || 100);
const rounds = Number(process.argv[4] || process.env.BENCH_ROUNDS || 3);

function render(compressionOptions) {
  const zip = new PizZip(template);
  const doc = new Docxtemplater(zip, { paragraphLoop: true, linebreaks: true });
  doc.render(data);
  return zip.generate({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions });
}

// extractText mirrors docgen.ExtractText: the text of word/document.xml,
// one paragraph a line. Tabs are dropped on both sides before comparing:
// they position the 发文字号 and are layout, not text.
function extractText(xml) {
  const unescape = (s) =>
    s.replace(/&(lt|gt|quot|apos|amp);/g, (_, e) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e]);
  let out = '';
  const re = /<w:t(?:\s[^>]*)?>([^<]*)<\/w:t>|<w:(?:br|cr)\b[^>]*\/?>|<\/w:p>/g;
  let m;
  while ((m = re.exec(xml)) !== null) {
    if (m[1] !== undefined) out += unescape(m[1]);
    else if (m[0] === '</w:p>') out += '\n';
    else out += '\n';
  }
  return out;
}

function check() {
  const out = new PizZip(render());
  const got = extractText(out.file('word/document.xml').asText());
  const want = bench.text.replace(/\t/g, '');
  if (got !== want) {
    const g = got.split('\n');
    const w = want.split('\n');
    let i = 0;
    while (i < g.length && g[i] === w[i]) i++;
    throw new Error(`docxtemplater output differs from wenshu's text at line ${i + 1}:\n got  ${JSON.stringify(g[i])}\n want ${JSON.stringify(w[i])}`);
  }
  const header = out.file('word/header1.xml').asText();
  if (!header.includes(`>${bench.mark}</w:t>`)) throw new Error('header1.xml: no 发文机关标志');
  return got.split('\n').length - 1;
}

function time(label, compressionOptions) {
  for (let i = 0; i < warmup; i++) render(compressionOptions);
  let bytes = 0;
  const perRound = [];
  const cpu0 = process.cpuUsage();
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) bytes = render(compressionOptions).length;
    perRound.push(Number(process.hrtime.bigint() - start) / 1e6 / iterations);
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuMsPerDoc = (cpu.user + cpu.system) / 1e3 / (iterations * rounds);
  const sorted = [...perRound].sort((a, b) => a - b);
  const msPerDoc = sorted[0];
  const median = sorted[Math.floor(sorted.length / 2)];
  const docsPerSec = 1000 / msPerDoc;
  console.log(
    `${label.padEnd(30)} ${rounds}×${iterations} docs  best ${docsPerSec.toFixed(1).padStart(7)} docs/s ` +
      `${msPerDoc.toFixed(3).padStart(7)} ms/doc  median ${median.toFixed(3)} ms/doc  cpu ${cpuMsPerDoc.toFixed(3)} ms/doc  ${bytes} bytes`,
  );
  return { docsPerSec, msPerDoc, median, cpuMsPerDoc, bytes };
}

const paragraphs = check();
console.log(
  `docxtemplater ${require('docxtemplater/package.json').version}, pizzip ${require('pizzip/package.json').version}, ` +
    `node ${process.version}; template ${template.length} bytes; output text = wenshu's (${paragraphs} paragraphs)`,
);
const main = time('docxtemplater-20rows', undefined);
const fast = time('docxtemplater-20rows-deflate1', { level: 1 });
// One line each for bench/render.sh.
for (const [name, r] of [['docxtemplater-20rows', main], ['docxtemplater-20rows-deflate1', fast]]) {
  console.log(`RESULT ${name} ${r.docsPerSec.toFixed(1)} ${r.msPerDoc.toFixed(4)} ${r.cpuMsPerDoc.toFixed(4)} ${r.bytes}`);
}
