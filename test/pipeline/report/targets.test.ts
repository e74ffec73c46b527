import { test } from 'node:test';
import assert from 'node:assert/strict';
import { anyOverlap, placeLabels } from '../../../src/pipeline/report/label-placement.js';
import { planFacts, recommend, sizeBudget, type VariantFacts } from '../../../src/pipeline/report/targets.js';
import { tradeoffChart } from '../../../src/pipeline/report/tradeoff.js';
import type { VariantRow } from '../../../src/pipeline/summary.js';

const row = (id: string, scheme: string | undefined, format: string | undefined, mb: number, map: number): VariantRow => ({
  id,
  name: id,
  kind: scheme ? 'ptq' : 'float',
  status: 'done',
  ...(scheme ? { scheme } : {}),
  ...(format ? { format } : {}),
  sizeBytes: mb * 1e6,
  map,
});

// The embedded default's CPU run (docs/run.md): FP32 0.4698; the 4-bit files are 0.74 and 0.77 MB, the 8-bit 0.89 and 0.92.
const rows = [
  row('fp32', undefined, undefined, 3.03, 0.4698),
  row('w8a16', 'w8a16', 'qdq', 0.89, 0.4694),
  row('w8a8', 'w8a8', 'qdq', 0.92, 0.4675),
  row('w4a16', 'w4a16', 'int4', 0.74, 0.4702),
  row('w4a8', 'w4a8', 'int4', 0.77, 0.4562),
];
const facts = new Map<string, VariantFacts>([
  [
    'w8a16',
    { id: 'w8a16', actDtype: 'fp32', blocked: false, weightZeroPoints: false, activationZeroPoints: false, plan: 'run/plans/w8a16.json' },
  ],
  ['w8a8', { id: 'w8a8', blocked: false, weightZeroPoints: false, activationZeroPoints: true, plan: 'run/plans/w8a8.json' }],
  [
    'w4a16',
    { id: 'w4a16', actDtype: 'fp32', blocked: true, weightZeroPoints: true, activationZeroPoints: false, plan: 'run/plans/w4a16.json' },
  ],
  ['w4a8', { id: 'w4a8', blocked: true, weightZeroPoints: true, activationZeroPoints: true, plan: 'run/plans/w4a8.json' }],
]);

test('recommendation per target: best mAP within the size budget among what runs there; a command when nothing does', () => {
  const budget = sizeBudget(rows)!;
  assert.ok(Math.abs(budget - 0.74e6 * 1.1) < 1);
  const [cpu, cuda, trt] = recommend(rows, facts, budget, 'm.onnx');
  assert.equal(cpu!.pick!.row.id, 'w4a16');
  assert.match(cpu!.pick!.runsAs, /FP32-activation twin/);
  assert.deepEqual(
    cpu!.runners.map((r) => r.id),
    ['w4a16', 'w8a16', 'w8a8', 'w4a8'],
  );
  // Blocked INT4 is the CUDA layout; QDQ is fake-quant there, not a CUDA form.
  assert.equal(cuda!.pick!.row.id, 'w4a16');
  assert.match(cuda!.pick!.runsAs, /int4-cuda.*re-apply run\/plans\/w4a16\.json with --target ort-cuda for the FP16-activation twin/);
  assert.equal(trt!.pick, undefined);
  assert.match(trt!.build!, /yoloq quantize --model m\.onnx --scheme w4a8 --target tensorrt/);
});

test('recommendation: an FP16-activation graph is not a CPU runner, per-channel int4 not a CUDA one; over budget takes the smallest', () => {
  const f = new Map(facts);
  f.set('w4a16', { ...f.get('w4a16')!, actDtype: 'fp16', blocked: false });
  f.set('w4a8', { ...f.get('w4a8')!, blocked: false });
  const [cpu, cuda] = recommend(rows, f, 0.5e6, 'm.onnx');
  assert.ok(!cpu!.runners.some((r) => r.id === 'w4a16'));
  assert.equal(cpu!.pick!.row.id, 'w4a8');
  assert.equal(cpu!.pick!.overBudget, true);
  // On the CUDA EP only the 8-bit QDQ variants run (as fake quantization): over the budget, the smallest.
  assert.deepEqual([cuda!.pick!.row.id, cuda!.pick!.overBudget], ['w8a16', true]);
  assert.match(cuda!.build!, /--target ort-cuda/, 'and the command for a 4-bit file that runs there');
  const [, noCuda] = recommend(
    rows.filter((r) => !r.id.startsWith('w8')),
    f,
    0.5e6,
    'm.onnx',
  );
  assert.equal(noCuda!.pick, undefined);
  assert.match(noCuda!.build!, /^yoloq apply --plan run\/plans\/w4a16\.json m\.onnx --target ort-cuda -o cuda\.onnx$/);
  // A symmetric int8-carried QDQ variant is TensorRT's.
  const trtRows = [...rows, row('w4a8-qdq', 'w4a8', 'qdq', 0.95, 0.45)];
  f.set('w4a8-qdq', { id: 'w4a8-qdq', weightZeroPoints: false, activationZeroPoints: false });
  assert.equal(recommend(trtRows, f, undefined, 'm.onnx')[2]!.pick!.row.id, 'w4a8-qdq');
});

test('plan facts from the decisions alone, inline or with a sidecar', () => {
  const blocked = { kind: 'blocked', blockSize: 16 };
  assert.deepEqual(
    planFacts({
      weights: [
        { bits: 4, granularity: blocked, zeroPoints: { sidecar: 'weights.0.zeroPoints' } },
        { bits: 8, granularity: { kind: 'per-channel' } },
      ],
      activations: [{ signed: false, zeroPoint: 128 }],
    }),
    { blocked: true, weightZeroPoints: true, activationZeroPoints: true },
  );
  assert.deepEqual(
    planFacts({
      weights: [{ bits: 4, granularity: { kind: 'per-channel' }, zeroPoints: [0, 0] }],
      activations: [{ signed: true, zeroPoint: 0 }],
    }),
    { blocked: false, weightZeroPoints: false, activationZeroPoints: false },
  );
});

test('labels of crowded markers do not collide and stay inside the plot', () => {
  const bounds = { x: 60, y: 20, width: 560, height: 290 };
  const anchors = Array.from({ length: 8 }, (_, i) => ({ x: 300 + (i % 3), y: 150 + (i % 2), r: 6, text: `w4a8-variant-${i}` }));
  const labels = placeLabels(anchors, { bounds });
  assert.equal(anyOverlap(labels), false);
  for (const l of labels) {
    assert.ok(l.box.x >= bounds.x && l.box.x + l.box.width <= bounds.x + bounds.width, JSON.stringify(l.box));
    assert.ok(l.box.y >= bounds.y && l.box.y + l.box.height <= bounds.y + bounds.height, JSON.stringify(l.box));
  }
  assert.ok(
    labels.some((l) => l.leader),
    'labels pushed away from their marker get a leader line',
  );
});

test('the trade-off chart zooms to the quantized variants: a 1.35-point drop spans a quarter of the plot; bits per weight when given', () => {
  const pts = rows.slice(1).map((r, i) => ({
    id: r.id,
    sizeBytes: r.sizeBytes!,
    map: r.map!,
    drop: 100 * (r.map! - 0.4698),
    overBudget: r.sizeBytes! > 0.814e6,
    colour: i + 1,
  }));
  const chart = tradeoffChart(pts, { map: 0.4698, sizeBytes: 3.03e6 }, 0.814e6);
  assert.equal(chart.xAxis, 'size');
  const cy = (id: string) => Number(new RegExp(`<circle cx="[^"]+" cy="([^"]+)"[^>]*><title>${id}:`).exec(chart.svg)![1]);
  assert.ok(cy('w4a8') - cy('w4a16') > 70, `${cy('w4a8') - cy('w4a16')} px between +0.04 and −1.36 points`);
  assert.match(chart.svg, /off the chart to the right/);
  assert.match(chart.svg, /over the size budget \(&gt; 0\.81 MB\)/);
  assert.match(chart.svg, /mAP50-95 change vs FP \(points; 1 point = 0\.01 mAP\)/);
  assert.match(chart.svg, /ONNX file size \(MB\)/);
  const withBits = tradeoffChart(
    pts.map((p, i) => ({ ...p, bitsPerWeight: [8.4, 8.4, 4.6, 4.7][i]! })),
    { map: 0.4698, sizeBytes: 3.03e6, bitsPerWeight: 32 },
    0.814e6,
  );
  assert.equal(withBits.xAxis, 'bits');
  assert.match(withBits.svg, /bits per Conv weight, all in/);
});
