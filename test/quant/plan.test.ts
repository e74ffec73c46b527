import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/errors.js';
import { parsePlan, planToJson, type QuantPlan } from '../../src/quant/plan.js';

const weight = (algorithm: unknown) => ({
  node: 'conv',
  opType: 'Conv',
  input: 1,
  tensor: 'w',
  shape: [2, 1, 1, 1],
  bits: 4,
  narrow: false,
  granularity: { kind: 'per-channel', axis: 0 },
  scales: [0.1, 0.2],
  zeroPoints: [1, -2],
  codes: 'AAE=',
  algorithm,
  reason: 'test',
});

test('plans written before typed algorithm records and the equalization rename still parse, into the typed form', () => {
  const legacy = {
    yoloqPlan: 1,
    scheme: 'w4a8',
    modelSha256: 'x',
    activations: [],
    float: [],
    weights: [
      weight('gptq(damp=0.01,act-order,clip-search,asymmetric,refine=2)+correct(ridge=0.1×3 Infinity×1,chunk=4)'),
      { ...weight('rtn'), zeroPoints: undefined, codes: undefined, narrow: true },
    ],
    smoothing: [{ node: 'dw', value: 'x', scales: [1, 2] }],
  };
  const p = parsePlan(JSON.stringify(legacy));
  assert.deepEqual(p.weights[0]!.algorithm, {
    name: 'gptq',
    damp: 0.01,
    actOrder: true,
    clipSearch: true,
    asymmetric: true,
    refine: 2,
    correction: {
      ridges: [
        { ridge: 0.1, groups: 3 },
        { ridge: null, groups: 1 },
      ],
      chunk: 4,
    },
  });
  assert.deepEqual(p.weights[1]!.algorithm, { name: 'rtn' });
  assert.deepEqual(p.equalization, [{ node: 'dw', value: 'x', scales: [1, 2] }]);
  assert.equal('smoothing' in p, false);
  // The typed form survives its own round trip.
  assert.deepEqual(parsePlan(planToJson(p as QuantPlan)), p);
});

test('an algorithm record that is neither typed nor a known legacy string is refused', () => {
  const bad = (algorithm: unknown) =>
    JSON.stringify({ yoloqPlan: 1, scheme: 'w4a8', modelSha256: 'x', weights: [weight(algorithm)], activations: [], float: [] });
  for (const a of [{ name: 'adaround' }, 7, 'gptq(damp=0.01', null]) {
    assert.throws(
      () => parsePlan(bad(a)),
      (e: unknown) => e instanceof InputError && /algorithm/.test((e as Error).message),
      JSON.stringify(a),
    );
  }
  assert.throws(
    () => parsePlan(bad({ name: 'imported', from: 'qcdq' }).replace('"codes":"AAE=",', '')),
    /imported weight needs explicit "codes"|zero points need/,
  );
});
