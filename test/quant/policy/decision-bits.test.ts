import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTinyDetector } from '../../../src/examples/tiny-detector.js';
import { exportModel } from '../../../src/export/export-model.js';
import { inspectModel } from '../../../src/inspect/inspect-model.js';
import type { QuantPlan, WeightDecision } from '../../../src/quant/plan.js';
import { decisionBits } from '../../../src/quant/policy/decision-bits.js';
import { findQuantTargets } from '../../../src/quant/policy/targets.js';
import { planWeightsRtn } from '../../../src/quant/policy/weight-policy.js';
import { SCHEMES } from '../../../src/quant/scheme.js';

function blocked(rows: number, k: number, blockSize: number, twoLevel: boolean): WeightDecision {
  const blocks = rows * Math.ceil(k / blockSize);
  return {
    node: 'c',
    opType: 'Conv',
    input: 1,
    tensor: 'c.w',
    shape: [rows, k, 1, 1],
    bits: 4,
    narrow: true,
    granularity: { kind: 'blocked', blockSize },
    scales: new Array<number>(blocks).fill(0.5),
    ...(twoLevel ? { blockScales: { codes: new Array<number>(blocks).fill(128), rowScales: new Array<number>(rows).fill(1 / 256) } } : {}),
    algorithm: { name: 'rtn' },
    reason: '',
  };
}

test('decision bits by hand: codes, scales, zero points, two-level codes and row scales', () => {
  // 8 rows × 64: 512 four-bit codes; block:32 → 16 scales.
  assert.equal(decisionBits(blocked(8, 64, 32, false)), 512 * 4 + 16 * 32);
  assert.equal(decisionBits(blocked(8, 64, 32, false), { asymmetric: true }), 512 * 4 + 16 * 32 + 16 * 4);
  // Two-level: an 8-bit code per block, one float32 scale per row.
  assert.equal(decisionBits(blocked(8, 64, 32, true)), 512 * 4 + 16 * 8 + 8 * 32);
  assert.equal(decisionBits(blocked(8, 64, 32, true), { asymmetric: true, scaleBits: 16 }), 512 * 4 + 16 * 8 + 16 * 4 + 8 * 16);
  // A row of 40 under block:32 has two blocks, the second partial.
  assert.equal(decisionBits(blocked(2, 40, 32, false)), 80 * 4 + 4 * 32);
  // 8-bit per-channel: no zero points even when 4-bit grids are asymmetric.
  const eight: WeightDecision = {
    ...blocked(8, 64, 32, false),
    bits: 8,
    granularity: { kind: 'per-channel', axis: 0 },
    scales: new Array<number>(8).fill(1),
  };
  assert.equal(decisionBits(eight, { asymmetric: true }), 512 * 8 + 8 * 32);
});

test('decision bits agree with what inspect counts in the exported file (int4, int4-compact, int4-compact-fp8)', () => {
  const model = buildTinyDetector('float');
  for (const [format, blockScales] of [
    ['int4', 'float32'],
    ['int4-compact', 'uint8'],
    ['int4-compact-fp8', 'e4m3'],
  ] as const) {
    const granularity = { kind: 'blocked', blockSize: 8 } as const;
    const { weights, float } = planWeightsRtn(findQuantTargets(model), SCHEMES.w4a16, { granularity, blockScales });
    const plan: QuantPlan = { yoloqPlan: 1, scheme: 'w4a16', modelSha256: '', weights, float, activations: [] };
    const r = inspectModel(exportModel(model, plan, { format }));
    for (const w of weights) {
      const row = r.weights.find((x) => x.node === w.node)!;
      const n = w.shape.reduce((a, b) => a * b, 1);
      assert.ok(
        Math.abs(row.bitsPerWeight - decisionBits(w) / n) < 1e-9,
        `${format} ${w.node}: ${row.bitsPerWeight} vs ${decisionBits(w) / n}`,
      );
    }
  }
});
