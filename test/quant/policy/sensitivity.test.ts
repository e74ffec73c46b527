import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTinyDetector } from '../../../src/examples/tiny-detector.js';
import { parsePlan, planToJson, type QuantPlan, type WeightDecision } from '../../../src/quant/plan.js';
import { chooseKept, fourBitShare, keepAtEightBits } from '../../../src/quant/policy/sensitivity-budget.js';
import { measureSensitivity } from '../../../src/quant/policy/sensitivity.js';
import { findQuantTargets } from '../../../src/quant/policy/targets.js';
import { planWeightsRtn } from '../../../src/quant/policy/weight-policy.js';
import { seededRandom } from '../../../src/quant/rounding.js';
import { SCHEMES } from '../../../src/quant/scheme.js';

function decision(node: string, params: number, bits: number): WeightDecision {
  return {
    node,
    opType: 'Conv',
    input: 1,
    tensor: `${node}.w`,
    shape: [params, 1, 1, 1],
    bits,
    narrow: true,
    granularity: { kind: 'per-channel', axis: 0 },
    scales: [],
    algorithm: { name: 'rtn' },
    reason: '',
  };
}

test('budget: keeps the highest noise per parameter at 8 bits while ≥ budget of Conv params stay at 4', () => {
  const ds = [decision('stem', 10, 8), decision('a', 100, 4), decision('b', 400, 4), decision('c', 490, 4)];
  const sens = [
    { node: 'a', params: 100, sqnrDb: 10, noise: 0.1, noisePerMParam: 1000 },
    { node: 'b', params: 400, sqnrDb: 3, noise: 0.5, noisePerMParam: 1250 },
    { node: 'c', params: 490, sqnrDb: 20, noise: 0.01, noisePerMParam: 20 },
  ];
  // b (most noise per param) does not fit under 0.9; a does.
  const c = chooseKept(ds, sens, 0.85);
  assert.deepEqual(c.kept, ['a']);
  assert.ok(Math.abs(c.fourBitShare - 890 / 1000) < 1e-12);
  assert.deepEqual(chooseKept(ds, sens, 0.4).kept, ['b', 'a']);
  assert.equal(fourBitShare(ds), 990 / 1000);
});

test('budget: Conv weights left float count in the whole, as inspect counts them', () => {
  const ds = [decision('a', 100, 4), decision('b', 400, 4), decision('c', 400, 4)];
  const sens = [
    { node: 'a', params: 100, sqnrDb: 10, noise: 0.1, noisePerMParam: 1000 },
    { node: 'b', params: 400, sqnrDb: 3, noise: 0.5, noisePerMParam: 10 },
    { node: 'c', params: 400, sqnrDb: 3, noise: 0.5, noisePerMParam: 5 },
  ];
  // Without the 100 float parameters a fits (800 / 900 ≥ 0.85); with them it does not (800 / 1000).
  assert.deepEqual(chooseKept(ds, sens, 0.85).kept, ['a']);
  const c = chooseKept(ds, sens, 0.85, 100);
  assert.deepEqual(c.kept, []);
  assert.equal(c.fourBitShare, 900 / 1000);
});

test('sensitivity: one session, one score per 4-bit layer; 8-bit moves are RTN per-channel', async () => {
  const model = buildTinyDetector('float');
  const targets = findQuantTargets(model);
  const { weights } = planWeightsRtn(targets, SCHEMES.w4a16, { keepFirstLast: false });
  const rnd = seededRandom(3);
  const inputs = [
    { images: { dtype: 'float32' as const, dims: [1, 3, 32, 32], data: Float32Array.from({ length: 3072 }, () => rnd() * 2 - 1) } },
  ];
  const s = await measureSensitivity(model, weights, inputs, { threads: 1 });
  assert.deepEqual(
    s.map((x) => x.node),
    weights.map((w) => w.node),
  );
  assert.ok(s.every((x) => Number.isFinite(x.sqnrDb) && x.sqnrDb > 0 && x.noise > 0));
  const s8 = await measureSensitivity(model, weights, inputs, { bits: 8, threads: 1 });
  s8.forEach((x, i) => assert.ok(x.sqnrDb > s[i]!.sqnrDb + 10, x.node));
  const kept = keepAtEightBits(weights, targets, [weights[1]!.node]);
  assert.equal(kept[1]!.bits, 8);
  assert.equal(kept[0]!.bits, 4);
});

test('keepAtEightBits: a two-level 4-bit decision becomes a plain 8-bit per-channel one whose plan reads back', () => {
  const model = buildTinyDetector('float');
  const targets = findQuantTargets(model);
  const { weights, float } = planWeightsRtn(targets, SCHEMES.w4a16, {
    granularity: { kind: 'blocked', blockSize: 8 },
    keepFirstLast: false,
    blockScales: 'uint8',
  });
  const i = weights.findIndex((w) => w.blockScales);
  assert.ok(i >= 0, 'the fixture has a two-level decision');
  const withZeroPoints = weights.map((w, j) => (j === i ? { ...w, zeroPoints: w.scales.map(() => 1) } : w));
  const kept = keepAtEightBits(withZeroPoints, targets, [weights[i]!.node]);
  assert.equal(kept[i]!.bits, 8);
  assert.equal(kept[i]!.granularity.kind, 'per-channel');
  assert.equal(kept[i]!.blockScales, undefined);
  assert.equal(kept[i]!.zeroPoints, undefined);
  const plan: QuantPlan = { yoloqPlan: 1, scheme: 'w4a16', modelSha256: '', weights: kept, float, activations: [] };
  assert.deepEqual(parsePlan(planToJson(plan)).weights[i], kept[i]);
});
