import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../../src/errors.js';
import { buildTinyDetector } from '../../../src/examples/tiny-detector.js';
import { bitsBudgetLayout, checkBitsBudget, type BitsBudgetRequest } from '../../../src/quant/policy/bits-budget.js';
import { decisionBits } from '../../../src/quant/policy/decision-bits.js';
import { findQuantTargets } from '../../../src/quant/policy/targets.js';
import { planWeightsRtn } from '../../../src/quant/policy/weight-policy.js';
import { SCHEMES } from '../../../src/quant/scheme.js';

const targets = findQuantTargets(buildTinyDetector('float'));
const { weights } = planWeightsRtn(targets, SCHEMES.w4a16, { granularity: { kind: 'blocked', blockSize: 16 }, blockScales: 'uint8' });
const req = (bitsPerWeight: number): BitsBudgetRequest => ({
  bitsPerWeight,
  minShare: 0.5,
  asymmetric: true,
  blockScales: 'uint8',
  narrow: true,
});

test('bits budget layout: one way per distinct block count, then 8 bits; stem and head are fixed costs', () => {
  const layout = bitsBudgetLayout(targets, weights, req(5));
  assert.equal(layout.allParams, 216 + 72 + 1152 + 256);
  const ways = new Map(
    layout.candidates.map((c) => [
      c.decision.node,
      c.ways.map((w) => (w.bits > 4 ? '8' : w.granularity.kind === 'blocked' ? w.granularity.blockSize : 0)),
    ]),
  );
  // dw rows hold 9 weights: every block size is one block, the same storage; down rows hold 72: 5, 3, 2 and 1 blocks.
  assert.deepEqual(Object.fromEntries(ways), { dw: [16, '8'], down: [16, 32, 64, 128, '8'] });
  const fixed = weights.filter((w) => w.node === 'stem' || w.node === 'head');
  assert.equal(
    layout.fixedBits,
    fixed.reduce((s, w) => s + decisionBits(w, { asymmetric: true }), 0),
  );
  assert.equal(layout.fixedLow, 0);
});

test('bits budget: an unreachable target is refused with the least the model can take', () => {
  const layout = bitsBudgetLayout(targets, weights, req(5));
  // Least: dw at block:16 (one block per row, float32 scale), down at block:128 (one block per row: float32 scale too).
  const down = layout.candidates.find((c) => c.decision.node === 'down')!.ways[3]!;
  const dw = layout.candidates.find((c) => c.decision.node === 'dw')!.ways[0]!;
  const least = (layout.fixedBits + decisionBits(down, { asymmetric: true }) + decisionBits(dw, { asymmetric: true })) / layout.allParams;
  assert.throws(
    () => checkBitsBudget(layout, req(least - 1e-3)),
    (e: unknown) => e instanceof InputError && e.message.includes(`the fewest this model's Conv weights can take is ${least.toFixed(3)}`),
  );
  checkBitsBudget(layout, req(least + 1e-9));
});

test('bits budget: a least 4-bit share the layer policy cannot leave is refused as such, not as a bits shortfall', () => {
  const layout = bitsBudgetLayout(targets, weights, { ...req(8), minShare: 0.9 });
  // stem and head stay at 8 bits: (72 + 1152) / 1696 of the parameters can be at 4 bits.
  assert.throws(
    () => checkBitsBudget(layout, { ...req(8), minShare: 0.9 }),
    (e: unknown) =>
      e instanceof InputError && e.message.includes(`at most ${(1224 / 1696).toFixed(3)} of this model's Conv weight parameters`),
  );
});
