import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { reportHtml, type ReportInput } from '../../../src/pipeline/report/html.js';
import { makeOverlays } from '../../../src/pipeline/report/overlays.js';
import { niceTicks } from '../../../src/pipeline/report/charts.js';
import { writeSplit } from '../../../src/synthetic/dataset.js';
import { readCocoGroundTruth } from '../../../src/data/coco-json.js';
import type { VariantRow } from '../../../src/pipeline/summary.js';
import { chromiumAvailable, renderPage } from '../../helpers/chromium.js';

const dir = mkdtempSync(join(tmpdir(), 'yoloq-report-'));
const latency = (mean: number) => ({ mean, std: 1, min: mean - 1, max: mean + 2, p50: mean, p90: mean + 1, p99: mean + 2 });
const rows: VariantRow[] = [
  {
    id: 'fp32',
    name: 'fp32',
    kind: 'float',
    status: 'done',
    map: 0.61,
    map50: 0.9,
    latencyMs: latency(6),
    providers: { CPUExecutionProvider: 120 },
    sizeBytes: 3e6,
    percentConvParamsAt4Bits: 0,
  },
  {
    id: 'w4a8',
    name: 'w4a8',
    kind: 'ptq',
    status: 'done',
    scheme: 'w4a8',
    format: 'int4',
    map: 0.55,
    map50: 0.86,
    latencyMs: latency(7),
    providers: { CPUExecutionProvider: 200 },
    sizeBytes: 0.5e6,
    percentConvParamsAt4Bits: 97.5,
  },
  { id: 'qat-w4a8', name: 'qat-w4a8', kind: 'qat', status: 'skipped', reason: 'Python stage not available <here>' },
];

async function input(): Promise<ReportInput> {
  const split = await writeSplit({ root: join(dir, 'data'), split: 'val', count: 2, seed: 0 });
  const gt = await readCocoGroundTruth(split.instances);
  const dets = (shift: number) =>
    gt.annotations.map((a) => ({
      image_id: a.imageId,
      category_id: a.categoryId,
      bbox: [a.bbox[0] + shift, a.bbox[1], a.bbox[2], a.bbox[3]] as [number, number, number, number],
      score: 0.9,
    }));
  const overlays = await makeOverlays({
    gt,
    pathOf: (id) => join(split.images, gt.images.find((im) => im.id === id)!.fileName),
    detections: [
      { variant: 'fp32', detections: dets(0) },
      { variant: 'w4a8', detections: dets(2) },
    ],
    count: 2,
    minScore: 0.3,
  });
  const perClass = (d: number) => gt.categories.map((c) => ({ categoryId: c.id, name: c.name, ap: 0.5 + d, ap50: 0.8 }));
  return {
    title: 'test report',
    generated: 'now',
    rows,
    notes: ['a note with <markup>'],
    perClass: [
      { variant: 'fp32', perClass: perClass(0) },
      { variant: 'w4a8', perClass: perClass(-0.05) },
    ],
    sensitivity: {
      images: 2,
      layers: [
        { node: 'conv0', params: 432, sqnrDb: 20, noise: 0.01, noisePerMParam: 23 },
        { node: LONG, params: 64, sqnrDb: 25, noise: 0.003, noisePerMParam: 47 },
        { node: 'conv1', params: 100, sqnrDb: null as unknown as number, noise: 0, noisePerMParam: 0 },
      ],
    },
    overlays,
    overlayNote: 'fp32 vs w4a8',
    environment: {
      yoloq: '0',
      node: process.version,
      onnxruntime: '1',
      sharp: '0',
      python: {},
      platform: 'x',
      cpu: { model: 'x', cores: 2 },
      memoryGiB: 1,
      gpus: [],
      threads: 0,
    },
    config: { variants: ['fp32', 'w4a8'] },
    facts: [{ id: 'w4a8', blocked: true, weightZeroPoints: true, activationZeroPoints: true, plan: 'run/plans/w4a8.json' }],
    ep: 'cpu',
    model: 'model.onnx',
  };
}

const LONG = '/model.23/one2one_cv3.0/one2one_cv3.0.1/one2one_cv3.0.1.1/conv/Conv';

test('chart ticks cover the data', () => {
  assert.deepEqual(niceTicks(0, 3.33), [0, 1, 2, 3, 4]);
  assert.deepEqual(niceTicks(0, 0.66), [0, 0.2, 0.4, 0.6, 0.8]);
});

test('report.html is self-contained: no script, no link, no URL but data: URIs; text is escaped', async () => {
  const html = reportHtml(await input());
  assert.ok(!/<script|<link|<iframe|@import|url\(/i.test(html));
  const refs = [...html.matchAll(/\b(?:href|src)="([^"]*)"/g)].map((m) => m[1]!);
  assert.ok(
    refs.length >= 4 && refs.every((r) => r.startsWith('data:image/jpeg;base64,')),
    JSON.stringify(refs.map((r) => r.slice(0, 30))),
  );
  assert.ok(!/https?:\/\//.test(html));
  assert.match(html, /Python stage not available &lt;here&gt;/);
  assert.match(html, /a note with &lt;markup&gt;/);
  for (const col of ['mAP50-95', 'Δ vs FP', 'p90 ms', 'providers', 'size MB', '% of Conv params at 4 bits'])
    assert.ok(html.includes(col), col);
  assert.match(html, /−0\.0600/);
  assert.match(html, /∞/);
});

test('report.html says which variant to ship per target and why; sensitivity has units and full layer names', async () => {
  const html = reportHtml(await input());
  assert.match(html, /<h2>Which variant to ship<\/h2>/);
  assert.match(html, /<b>CPU \(ORT CPU EP\)<\/b>: <b>w4a8<\/b> — 0\.50 MB, mAP50-95 0\.5500 \(−6\.00 pts vs FP\)\. Why: the only variant/);
  assert.match(html, /<b>CUDA \(ORT CUDA EP\)<\/b>: <b>w4a8<\/b>.*blocked INT4 DequantizeLinear/);
  assert.match(
    html,
    /<b>TensorRT \(ORT TensorRT EP\)<\/b>: none of this run's variants runs there as built\. Build one: <code>yoloq quantize --model model\.onnx --scheme w4a8 --target tensorrt/,
  );
  assert.match(html, /mAP50-95 change vs FP \(points; 1 point = 0\.01 mAP\)/);
  // The sensitivity axis has its unit; a long layer name is shortened in the chart, whole in its <title> and the table.
  assert.match(html, /relative output noise with only this layer at 4 bits \(% of the output signal power\)/);
  assert.match(html, />0\.0 %<\/text>/);
  assert.ok(html.includes(`<title>${LONG}: 0.300 %`));
  assert.ok(html.includes(`<td>${LONG}</td>`));
  assert.ok(html.includes('…'));
});

test('report.html renders in headless Chromium with no console error', {
  skip: chromiumAvailable() ? false : 'skipped: /usr/bin/chromium is absent (apt-get install -y chromium)',
}, async () => {
  const file = join(dir, 'report.html');
  writeFileSync(file, reportHtml(await input()));
  const r = await renderPage(file);
  // YOLOQ_REPORT_SCREENSHOT=file.png keeps the screenshot to look at.
  if (process.env.YOLOQ_REPORT_SCREENSHOT) writeFileSync(process.env.YOLOQ_REPORT_SCREENSHOT, r.png);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.requests, []);
  const stats = await sharp(r.png).stats();
  assert.ok(
    stats.channels.some((c) => c.stdev > 10),
    'screenshot is blank',
  );
});
