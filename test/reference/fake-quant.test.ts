import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTinyDetector } from '../../src/examples/tiny-detector.js';
import { exportModel, type ExportOptions } from '../../src/export/export-model.js';
import { DataType } from '../../src/onnx/ir/dtypes.js';
import { toFloat32 } from '../../src/onnx/ir/tensor.js';
import { modelFromBytes, modelToBytes } from '../../src/onnx/serde/model-io.js';
import type { ActivationDecision, QuantPlan } from '../../src/quant/plan.js';
import { findQuantTargets } from '../../src/quant/policy/targets.js';
import { planWeightsRtn, type WeightPolicyOptions } from '../../src/quant/policy/weight-policy.js';
import { SCHEMES } from '../../src/quant/scheme.js';
import { quantizeCodes } from '../../src/quant/weights/codes.js';
import { activationStep, referenceFakeQuant } from '../reference-impl/fake-quant.js';
import { refFromValues } from '../reference-impl/ref-tensor.js';
import { runReference } from '../reference-impl/run-reference.js';
import { runOrt, uniform } from './ort-helpers.js';

/**
 * Exported graphs (qcdq, qdq, int4, int4 CUDA layout) of the tiny example detector on ORT against the fake-quant
 * reference computed from the float model and the plan alone: every output element within one activation
 * quantization step, and nearly all equal up to float32 rounding.
 */

function act(value: string, scale: number, zeroPoint: number, signed: boolean, range: [number, number]): ActivationDecision {
  return { value, bits: 8, signed, scale, zeroPoint, observer: 'minmax', observed: range, range };
}

/** Scales set by hand from the float model's observed ranges on this input (see the ranges in each decision). */
const ACTIVATIONS: ActivationDecision[] = [
  act('images', 1 / 127, 0, true, [-1, 1]),
  act('stem.silu_out', 0.0052, 54, false, [-0.28, 1.05]),
  act('dw.silu_out', 0.00307, 0, true, [-0.39, 0.39]),
  act('down.silu_out', 0.000588, 102, false, [-0.06, 0.09]),
  // Read only by a float Mul: no quantized consumer, so neither the export nor the reference quantizes it.
  act('stem.sigmoid_out', 0.5, 0, false, [0, 1]),
];

/** SiLU path decisions read by every reader (the float Sigmoid and Mul too), as plans for integer SiLU do. */
const SILU_PATH: ActivationDecision[] = [
  { ...act('dw_out', 0.004, 0, true, [-0.5, 0.5]), readers: 'all' },
  { ...act('dw.sigmoid_out', 1 / 255, 0, false, [0, 1]), readers: 'all' },
];

function makePlan(options: WeightPolicyOptions = {}, extra: ActivationDecision[] = []): QuantPlan {
  const { weights, float } = planWeightsRtn(findQuantTargets(buildTinyDetector('float')), SCHEMES.w4a8, options);
  return { yoloqPlan: 1, scheme: 'w4a8', modelSha256: '', weights, float, activations: [...ACTIVATIONS, ...extra] };
}

const input = uniform(3 * 32 * 32, 5);
const feeds = { images: refFromValues(DataType.FLOAT, [1, 3, 32, 32], input) };

interface Comparison {
  maxAbs: number;
  exactShare: number;
  floatGap: number;
}

async function compare(plan: QuantPlan, options: ExportOptions): Promise<Comparison> {
  const float = buildTinyDetector('float');
  const exported = modelFromBytes(modelToBytes(exportModel(float, plan, options)));
  const ort = (await runOrt(exported, feeds, ['output'])).output!;
  const ref = referenceFakeQuant(float, plan, feeds).output!;
  const plain = runReference(float, feeds).output!;
  let maxAbs = 0;
  let exact = 0;
  let floatGap = 0;
  for (let i = 0; i < ref.data.length; i++) {
    const d = Math.abs(ort.data[i]! - ref.data[i]!);
    maxAbs = Math.max(maxAbs, d);
    if (d <= 1e-6 * Math.max(1e-3, Math.abs(ref.data[i]!))) exact++;
    floatGap = Math.max(floatGap, Math.abs(plain.data[i]! - ref.data[i]!));
  }
  return { maxAbs, exactShare: exact / ref.data.length, floatGap };
}

const FORMATS: Array<[string, ExportOptions]> = [
  ['qcdq', { format: 'qcdq' }],
  ['qdq', { format: 'qdq' }],
  ['int4', { format: 'int4' }],
  ['int4 cuda layout', { format: 'int4-cuda' }],
  ['int4-compact', { format: 'int4-compact' }],
  ['int4-compact-fp8', { format: 'int4-compact-fp8' }],
];

const PLANS: Array<[string, QuantPlan, string[]]> = [
  ['per-channel W4, stem and head at 8 bits', makePlan(), ['qcdq', 'qdq', 'int4', 'int4 cuda layout']],
  [
    'per-tensor W4 everywhere',
    makePlan({ granularity: { kind: 'per-tensor' }, keepFirstLast: false }),
    ['qcdq', 'qdq', 'int4', 'int4 cuda layout'],
  ],
  [
    'blocked W4 (block 8)',
    makePlan({ granularity: { kind: 'blocked', blockSize: 8 }, keepFirstLast: false }),
    ['int4', 'int4 cuda layout'],
  ],
  ["SiLU path with readers: 'all'", makePlan({}, SILU_PATH), ['qcdq', 'int4']],
  [
    'two-level W4 (block 8, uint8 codes under row scales)',
    makePlan({ granularity: { kind: 'blocked', blockSize: 8 }, keepFirstLast: false, blockScales: 'uint8' }),
    ['int4-compact'],
  ],
  [
    'two-level W4 (block 8, E4M3 codes under one tensor scale)',
    makePlan({ granularity: { kind: 'blocked', blockSize: 8 }, keepFirstLast: false, blockScales: 'e4m3' }),
    ['int4-compact-fp8'],
  ],
];

for (const [planName, plan, formats] of PLANS) {
  for (const [name, options] of FORMATS.filter(([n]) => formats.includes(n))) {
    test(`fake-quant reference = ORT within one activation step: ${planName}, ${name}`, async (t) => {
      const step = activationStep(buildTinyDetector('float'), plan);
      const c = await compare(plan, options);
      t.diagnostic(
        `max |ORT − ref| ${c.maxAbs.toExponential(2)}, step ${step.toExponential(2)}, exact ${(100 * c.exactShare).toFixed(1)}%, float gap ${c.floatGap.toExponential(2)}`,
      );
      assert.ok(c.maxAbs <= step, `max |ORT − ref| = ${c.maxAbs} > step ${step}`);
      assert.ok(c.exactShare >= 0.9, `only ${(100 * c.exactShare).toFixed(1)}% of outputs equal up to float rounding`);
      // The check has teeth: quantization moves the output far more than ORT and the reference disagree.
      assert.ok(c.floatGap > 20 * c.maxAbs, `float gap ${c.floatGap} vs ${c.maxAbs}`);
    });
  }
}

test('plan codes are used when present (one code moved off round-to-nearest)', async () => {
  const plan = makePlan();
  const w = plan.weights.find((d) => d.node === 'down')!;
  const rtn = referenceFakeQuant(buildTinyDetector('float'), plan, feeds).output!;
  const base = buildTinyDetector('float').graph!.initializers.find((t) => t.name === w.tensor)!;
  const codes = quantizeCodes(toFloat32(base), w.shape, w.granularity, Float32Array.from(w.scales), w.bits, w.narrow);
  codes[0] = codes[0]! >= 0 ? codes[0]! - 1 : codes[0]! + 1;
  w.codes = Buffer.from(codes.buffer).toString('base64');
  const moved = referenceFakeQuant(buildTinyDetector('float'), plan, feeds).output!;
  assert.ok(
    moved.data.some((v, i) => v !== rtn.data[i]),
    'changing a code changes the reference',
  );
  const c = await compare(plan, { format: 'qcdq' });
  assert.ok(c.maxAbs <= activationStep(buildTinyDetector('float'), plan));
});

test('activationStep takes the scales entering the last quantized layers', () => {
  assert.equal(activationStep(buildTinyDetector('float'), makePlan()), Math.fround(0.000588));
  const noActs: QuantPlan = { ...makePlan(), activations: [] };
  assert.equal(activationStep(buildTinyDetector('float'), noActs), 0);
});
