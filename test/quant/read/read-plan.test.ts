import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { buildTinyDetector } from '../../../src/examples/tiny-detector.js';
import { exportModel } from '../../../src/export/export-model.js';
import type { FormatName } from '../../../src/export/formats.js';
import type { Model } from '../../../src/onnx/ir/graph.js';
import { toFloat32 } from '../../../src/onnx/ir/tensor.js';
import { modelFromBytes, modelToBytes } from '../../../src/onnx/serde/model-io.js';
import {
  parsePlan,
  planToJson,
  type ActivationDecision,
  type QuantPlan,
  type WeightDecision,
  type WeightGranularity,
} from '../../../src/quant/plan.js';
import { readPlan } from '../../../src/quant/read/read-plan.js';
import { roundHalfEven } from '../../../src/quant/rounding.js';
import { maxAbsScales, quantizeCodes } from '../../../src/quant/weights/codes.js';
import { scaleLayout } from '../../../src/quant/weights/layout.js';
import { sha256 } from '../../../src/util/sha256.js';
import { tinyInput } from '../../helpers/run-tiny.js';
import { canonicalPlan, runWithWeights, sameBits } from './helpers.js';

const float = buildTinyDetector('float');
const LAYERS = ['stem', 'dw', 'down', 'head'];
const weightOf = (node: string) =>
  float.graph!.initializers.find((t) => t.name === float.graph!.nodes.find((n) => n.name === node)!.inputs[1])!;

/** A symmetric round-to-nearest decision (codes left implicit, as quantize writes them). */
function rtn(node: string, bits: number, granularity: WeightGranularity): WeightDecision {
  const w = weightOf(node);
  return {
    node,
    opType: 'Conv',
    input: 1,
    tensor: w.name,
    shape: w.dims,
    bits,
    narrow: true,
    granularity,
    scales: Array.from(maxAbsScales(toFloat32(w), w.dims, granularity, bits)),
    algorithm: { name: 'rtn' },
    reason: 'test',
  };
}

/** An asymmetric 4-bit decision with explicit codes and a zero point per scale (all 16 levels). */
function asym(node: string, granularity: WeightGranularity): WeightDecision {
  const w = weightOf(node);
  const x = toFloat32(w);
  const layout = scaleLayout(w.dims, granularity);
  const lo = new Float64Array(layout.count);
  const hi = new Float64Array(layout.count);
  x.forEach((v, i) => {
    const k = layout.indexOf(i);
    lo[k] = Math.min(lo[k]!, v);
    hi[k] = Math.max(hi[k]!, v);
  });
  const scales = Array.from(lo, (l, k) => Math.fround((hi[k]! - l) / 15 || 1));
  const zeroPoints = scales.map((s, k) => Math.max(-8, Math.min(7, roundHalfEven(-8 - lo[k]! / s))) + 0);
  const codes = Int8Array.from(x, (v, i) =>
    Math.max(-8, Math.min(7, roundHalfEven(Math.fround(v / scales[layout.indexOf(i)]!)) + zeroPoints[layout.indexOf(i)]!)),
  );
  assert.ok(zeroPoints.some((z) => z !== 0));
  return {
    ...rtn(node, 4, granularity),
    narrow: false,
    scales,
    zeroPoints,
    codes: Buffer.from(codes.buffer).toString('base64'),
    algorithm: { name: 'gptq', damp: 0.01, actOrder: false, clipSearch: true, asymmetric: true },
  };
}

function act(value: string, scale: number, zeroPoint: number, signed: boolean, readers?: 'all'): ActivationDecision {
  const range: [number, number] = [(signed ? -128 : 0) * scale, 255 * scale];
  return { value, bits: 8, signed, scale, zeroPoint, observer: 'minmax', observed: range, range, ...(readers ? { readers } : {}) };
}

const activations = [
  act('images', 2 / 255, 128, false),
  act('stem_out', 0.05, 0, true, 'all'),
  act('stem.sigmoid_out', 1 / 255, 0, false, 'all'),
  act('stem.silu_out', 0.03, 10, false),
  act('dw.silu_out', 0.04, 0, true),
];

function plan(weights: WeightDecision[]): QuantPlan {
  return { yoloqPlan: 1, scheme: 'w4a8', modelSha256: sha256(modelToBytes(float)), weights, activations, float: [] };
}

/** Every format: 8-bit per-channel, 4-bit per-tensor, asymmetric per-channel, symmetric per-channel. */
const perAxisPlan = plan([
  rtn('stem', 8, { kind: 'per-channel', axis: 0 }),
  rtn('dw', 4, { kind: 'per-tensor' }),
  asym('down', { kind: 'per-channel', axis: 0 }),
  rtn('head', 4, { kind: 'per-channel', axis: 0 }),
]);

/** INT4 only: blocks that divide K, that do not (a short last block), one longer than K, and asymmetric blocks. */
const blockedPlan = plan([
  rtn('stem', 8, { kind: 'per-channel', axis: 0 }),
  rtn('dw', 4, { kind: 'blocked', blockSize: 16 }),
  asym('down', { kind: 'blocked', blockSize: 8 }),
  rtn('head', 4, { kind: 'blocked', blockSize: 5 }),
]);

/** What int4-cuda stores for a ≤4-bit per-tensor weight: one block per row, the scale repeated (numerically the same). */
function asCudaStores(p: QuantPlan): QuantPlan {
  return {
    ...p,
    weights: p.weights.map((d) => {
      if (d.bits > 4 || d.granularity.kind !== 'per-tensor') return d;
      const rows = d.shape[0]!;
      const codes = quantizeCodes(toFloat32(weightOf(d.node)), d.shape, d.granularity, d.scales, d.bits, d.narrow);
      return {
        ...d,
        granularity: { kind: 'per-channel', axis: 0 },
        scales: new Array(rows).fill(d.scales[0]),
        codes: Buffer.from(codes.buffer).toString('base64'),
      };
    }),
  };
}

const feeds = { images: new ort.Tensor('float32', tinyInput(3), [1, 3, 32, 32]) };
const layers = LAYERS.map((n) => [n, 1] as [string, number]);

async function assertRoundTrip(source: QuantPlan, format: FormatName): Promise<void> {
  const exported = exportModel(float, source, { format });
  // Through bytes, as a file would be read.
  const read = readPlan(modelFromBytes(modelToBytes(exported)));
  assert.deepEqual(read.kept, []);
  const expected = format === 'int4-cuda' ? asCudaStores(source) : source;
  assert.deepEqual(canonicalPlan(read.plan, read.float), canonicalPlan(expected, float));
  assert.equal(read.plan.scheme, 'w4a8');
  assert.equal(read.plan.modelSha256, sha256(modelToBytes(read.float)));
  assert.deepEqual(parsePlan(planToJson(read.plan)), read.plan, 'the read plan is a valid plan file');
  const ops = (m: Model) => m.graph!.nodes.map((n) => n.opType);
  assert.deepEqual(ops(read.float), ops(float), 'every quantizer was removed, nothing else');
  // The plan re-applies to its float model: the same graph numerics, weights bit for bit.
  const again = exportModel(read.float, read.plan, { format });
  const a = await runWithWeights(exported, feeds, layers);
  const b = await runWithWeights(again, feeds, layers);
  const f = await runWithWeights(read.float, feeds, layers);
  for (const n of LAYERS) {
    assert.ok(sameBits(a.weights.get(n)!, b.weights.get(n)!), `${n}: re-exported weights`);
    assert.ok(sameBits(a.weights.get(n)!, f.weights.get(n)!), `${n}: float weights hold the dequantized values`);
  }
  assert.ok(sameBits(a.outputs[0]!, b.outputs[0]!), 'outputs');
}

for (const format of ['qcdq', 'qdq', 'int4', 'int4-cuda'] as FormatName[]) {
  test(`plan → ${format} → readPlan: the same decisions, and the read plan re-exports the same model`, () =>
    assertRoundTrip(perAxisPlan, format));
}
for (const format of ['int4', 'int4-cuda'] as FormatName[]) {
  test(`blocked plan → ${format} → readPlan: the same blocks, zero points and codes`, () => assertRoundTrip(blockedPlan, format));
}

test('scheme follows what was read: 8-bit weights and no activations read as w8a16', () => {
  const p = plan([rtn('stem', 8, { kind: 'per-channel', axis: 0 }), rtn('head', 8, { kind: 'per-channel', axis: 0 })]);
  const read = readPlan(exportModel(float, { ...p, activations: [] }, { format: 'qdq' }));
  assert.equal(read.plan.scheme, 'w8a16');
  assert.deepEqual(read.plan.float.map((f) => f.node).sort(), ['down', 'dw']);
});

test('a float model reads as an empty plan whose float model is the model itself', () => {
  const read = readPlan(float);
  assert.deepEqual([read.plan.weights.length, read.plan.activations.length, read.kept.length], [0, 0, 0]);
  assert.equal(read.plan.modelSha256, sha256(modelToBytes(float)));
  assert.equal(read.plan.float.length, 4);
});
